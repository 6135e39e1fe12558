// Submits a PySpark job to a running cluster, waits for it, and prints its result as JSON.
//   npx tsx examples/submit-spark-job.ts
// Environment: SRS_STACK (default srs).
import { SparkCluster } from '@spark-rstudio-shiny/sdk';

// The stack as it was deployed: its ports and host come from the stack itself.
const cluster = await SparkCluster.attach(process.env.SRS_STACK ?? 'srs');

// Estimates pi from 2 million random points; the work is spread over the workers.
const job = `
from random import random
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("example-pi").getOrCreate()
n = 2_000_000
inside = spark.sparkContext.parallelize(range(n), 8).filter(lambda _: random() ** 2 + random() ** 2 <= 1).count()
print(f"PI {4.0 * inside / n}")
spark.stop()
`;

const { stdout } = await cluster.submitPython(job, { timeoutMs: 5 * 60_000 });
const pi = Number(/^PI (\S+)$/m.exec(stdout)?.[1]);
console.log(JSON.stringify({ pi }));
