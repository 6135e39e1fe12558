import { SrsError, workerCountSchema } from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';
import { clusterFor, interruptSignal, type ClusterFlags } from './cluster-options.js';

/**
 * Parses the worker count strictly ("3" yes; "-1", "abc", "2.5", "" no), then by the stack's own
 * rule (at most 200), before anything is printed or changed.
 */
export function parseWorkerCount(text: string): number {
  const refuse = (why: string): SrsError =>
    new SrsError({
      code: 'INVALID_CONFIGURATION',
      message: `the number of workers ${why}, got "${text}"`,
      hint: 'for example: srs scale 3',
    });
  if (!/^\d+$/.test(text)) throw refuse('must be a whole number ≥ 0');
  const checked = workerCountSchema.safeParse(Number(text));
  if (!checked.success) throw refuse(checked.error.issues[0]?.message ?? 'is invalid');
  return checked.data;
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
