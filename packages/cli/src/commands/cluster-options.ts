import { SparkCluster, type ClusterConfigInput } from '@spark-rstudio-shiny/sdk';

/** Options every cluster command shares. */
export interface ClusterFlags {
  stack: string;
  image?: string;
  workers?: number;
}

/** The SDK cluster for the flags given (validated by the SDK). */
export function clusterFor(flags: ClusterFlags): SparkCluster {
  const config: ClusterConfigInput = { stackName: flags.stack };
  if (flags.image !== undefined) config.image = flags.image;
  if (flags.workers !== undefined) config.workers = flags.workers;
  return new SparkCluster(config);
}

/** An AbortSignal that fires on Ctrl-C, so every wait ends cleanly. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  return controller.signal;
}
