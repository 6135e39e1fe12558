import { SrsError } from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';
import { clusterFor, interruptSignal, type ClusterFlags } from './cluster-options.js';

/** Parses the worker count strictly: "3" yes; "-1", "abc", "2.5", "" no. */
export function parseWorkerCount(text: string): number {
  if (!/^\d+$/.test(text)) {
    throw new SrsError({
      code: 'INVALID_CONFIGURATION',
      message: `the number of workers must be a whole number ≥ 0, got "${text}"`,
      hint: 'for example: srs scale 3',
    });
  }
  return Number(text);
}

/** srs scale N: sets the worker count and waits until N are ALIVE in Spark. */
export async function scale(
  count: string,
  flags: ClusterFlags & { timeout: number },
  reporter: Reporter,
): Promise<void> {
  const workers = parseWorkerCount(count);
  const cluster = await clusterFor(flags);
  reporter.step(`Scaling ${cluster.serviceName('worker')} to ${workers}…`);
  const status = await cluster.scaleWorkers(workers, {
    timeoutMs: flags.timeout * 1000,
    signal: interruptSignal(),
    onStatus: (current) =>
      reporter.progress(`  Spark workers ALIVE: ${current.spark.aliveWorkers}/${workers}`),
  });
  reporter.endProgress();
  reporter.result(status, `${status.spark.aliveWorkers} Spark worker(s) ALIVE`);
}
