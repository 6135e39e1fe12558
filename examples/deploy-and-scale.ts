// Deploys a cluster with one worker, scales it to two, and prints Spark's view as JSON.
//   npx tsx examples/deploy-and-scale.ts
// Environment: SRS_STACK (default srs), SRS_SPARK_UI_PORT (default 8080).
import { SparkCluster } from '@spark-rstudio-shiny/sdk';

const cluster = new SparkCluster({
  stackName: process.env.SRS_STACK ?? 'srs',
  workers: 1,
  ports: { sparkUi: Number(process.env.SRS_SPARK_UI_PORT ?? 8080) },
});

const deployed = await cluster.deploy({ timeoutMs: 5 * 60_000 });
console.error(`deployed: ${deployed.spark.aliveWorkers} worker(s) ALIVE`);

const scaled = await cluster.scaleWorkers(2, { timeoutMs: 3 * 60_000 });
console.log(JSON.stringify({ aliveWorkers: scaled.spark.aliveWorkers, sparkUi: scaled.urls.sparkUi }));
