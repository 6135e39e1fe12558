import type { ClusterStatus } from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';
import { clusterFor, type ClusterFlags } from './cluster-options.js';
import { describeUrls } from './urls.js';

/** srs status: Swarm's and Spark's view in one object (`--json`: the contract other tools read). */
export async function status(flags: ClusterFlags, reporter: Reporter): Promise<ClusterStatus> {
  const current = await (await clusterFor(flags)).status();
  // An image deployed by ID shows as the name it was built as, and the ID's first 12 digits.
  const image = (service: ClusterStatus['services'][number]): string =>
    service.imageTag === undefined
      ? service.image
      : `${service.imageTag} (${service.image.replace(/^sha256:/, '').slice(0, 12)})`;
  const services = current.services
    .map(
      (service) =>
        `  ${service.name.padEnd(7)} ${service.running}/${service.desired} running  ${image(service)}`,
    )
    .join('\n');
  const spark = current.spark.reachable
    ? `Spark master ${current.spark.status}: ${current.spark.aliveWorkers} worker(s) ALIVE, ${current.spark.coresUsed}/${current.spark.cores} cores used, ${current.spark.activeApps.length} app(s) running`
    : `Spark master unreachable: ${current.spark.error}`;
  const errors = current.tasks
    .filter((task) => task.error !== undefined && task.desiredState === 'running')
    .map((task) => `  ${task.service}.${task.slot ?? '?'}: ${task.error}`);
  reporter.result(
    current,
    [
      `Stack ${current.stackName}: ${current.ready ? 'ready' : `not ready (${current.readiness.detail})`}`,
      services,
      spark,
      ...(errors.length === 0 ? [] : ['Task errors:', ...errors]),
      describeUrls(current.urls),
    ].join('\n'),
  );
  return current;
}
