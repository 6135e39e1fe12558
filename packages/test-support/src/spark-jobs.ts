// PySpark jobs the resilience tests run in the head, and how to watch a stack's Spark master.
import { z } from 'zod';
import type { DockerClient } from '@spark-rstudio-shiny/core';

/**
 * A job that runs for a while (partitions × seconds per partition over the executors) and prints
 * an exact result: the sum of 0..rows-1.
 */
export function slowSumJob(options: {
  rows: number;
  partitions: number;
  secondsPerPartition: number;
  name: string;
}): { script: string; expected: bigint } {
  const script = [
    'import time',
    'from pyspark.sql import SparkSession',
    `spark = SparkSession.builder.appName("${options.name}").getOrCreate()`,
    'def slow(rows):',
    `    time.sleep(${options.secondsPerPartition})`,
    '    return [sum(rows)]',
    `total = sum(spark.sparkContext.parallelize(range(${options.rows}), ${options.partitions}).mapPartitions(slow).collect())`,
    'print(f"RESULT {total}")',
    'spark.stop()',
  ].join('\n');
  const n = BigInt(options.rows);
  return { script, expected: (n * (n - 1n)) / 2n };
}

/** The number a job printed after RESULT. */
export function jobResult(stdout: string): bigint | undefined {
  const match = /^RESULT (\d+)$/m.exec(stdout);
  return match?.[1] === undefined ? undefined : BigInt(match[1]);
}

const masterJsonSchema = z.looseObject({
  status: z.string(),
  aliveworkers: z.number(),
  coresused: z.number(),
  workers: z.array(z.looseObject({ id: z.string(), host: z.string(), state: z.string() })),
  activeapps: z.array(z.looseObject({ id: z.string(), name: z.string() })),
});
export type MasterJson = z.infer<typeof masterJsonSchema>;

/** The master's /json/ as seen from inside the head (curl in the master's container). */
export async function readMasterJson(
  docker: DockerClient,
  masterContainer: string,
): Promise<MasterJson> {
  const { stdout } = await docker.run(
    ['exec', masterContainer, 'curl', '-fsS', '--max-time', '5', 'http://127.0.0.1:8080/json/'],
    { timeoutMs: 20_000 },
  );
  return masterJsonSchema.parse(JSON.parse(stdout));
}

/** Seconds since `started`, to one decimal: recovery times for the test output. */
export function secondsSince(started: number): number {
  return Math.round((Date.now() - started) / 100) / 10;
}
