import type { Reporter } from '../reporter.js';
import { clusterFor, interruptSignal, type ClusterFlags } from './cluster-options.js';

/** srs down: removes the stack and waits until its services, containers and network are gone. Volumes stay. */
export async function down(flags: ClusterFlags & { timeout: number }, reporter: Reporter): Promise<void> {
  const cluster = clusterFor(flags);
  reporter.step(`Removing stack ${cluster.config.stackName}…`);
  await cluster.remove({ timeoutMs: flags.timeout * 1000, signal: interruptSignal() });
  reporter.result({ removed: cluster.config.stackName }, `Removed stack ${cluster.config.stackName} (volumes kept)`);
}
