import type { Reporter } from '../reporter.js';
import { clusterFor, interruptSignal, type ClusterFlags } from './cluster-options.js';

/**
 * srs down: removes the stack and waits until its services, containers and network are gone.
 * Volumes and secrets stay unless --purge.
 */
export async function down(
  flags: ClusterFlags & { timeout: number; purge?: boolean | undefined },
  reporter: Reporter,
): Promise<void> {
  const cluster = await clusterFor(flags);
  const purge = flags.purge === true;
  reporter.step(
    `Removing stack ${cluster.config.stackName}${purge ? ' with its volumes and secrets' : ''}…`,
  );
  await cluster.remove({ timeoutMs: flags.timeout * 1000, signal: interruptSignal(), purge });
  reporter.result(
    { removed: cluster.config.stackName, purged: purge },
    `Removed stack ${cluster.config.stackName}${purge ? ' (volumes and secrets deleted)' : ' (volumes and secrets kept)'}`,
  );
}
