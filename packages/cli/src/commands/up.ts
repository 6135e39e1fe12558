import {
  buildImage,
  distributeImage,
  installOrStartDockerEngine,
  ensureSwarm,
  DockerCli,
  DEFAULT_IMAGE_TAG,
  SparkCluster,
  type ClusterStatus,
} from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';
import {
  clusterFor,
  configFromFlags,
  interruptSignal,
  type ClusterFlags,
} from './cluster-options.js';
import { describeWrittenCredentials } from './credentials.js';
import { renderImageProgress } from './render-image-progress.js';
import { describeUrls } from './urls.js';

/**
 * srs up: engine, swarm, base image, verified artifacts, image, deploy, and a wait until the
 * Spark workers are ALIVE. Idempotent: run it again and only what is missing is done.
 */
export async function up(
  flags: ClusterFlags & {
    timeout: number;
    distributeTo?: string[] | undefined;
    push?: string | undefined;
    apt?: string[] | undefined;
    pip?: string[] | undefined;
  },
  reporter: Reporter,
): Promise<ClusterStatus> {
  // Bad flags stop here, before anything is installed or started.
  SparkCluster.parseConfig(configFromFlags(flags));
  const signal = interruptSignal();
  reporter.step('Checking the Docker engine…');
  await installOrStartDockerEngine({ onLine: (line) => reporter.step(`  ${line}`), signal });
  // The stack as deployed before (its ports, sizes, login), with the flags given on top.
  let cluster = await clusterFor(flags);
  if (cluster.config.orchestrator === 'swarm') {
    const swarm = await ensureSwarm(new DockerCli(), { signal });
    reporter.step(
      swarm === 'initialized'
        ? 'Initialized a single-node swarm (advertise address 127.0.0.1)'
        : 'Swarm: this engine is a manager',
    );
  } else {
    reporter.step('Compose: the stack runs on this engine with Docker Compose');
  }
  const extra =
    flags.apt !== undefined || flags.pip !== undefined
      ? { apt: flags.apt ?? [], pip: flags.pip ?? [] }
      : undefined;
  if (
    cluster.config.image === DEFAULT_IMAGE_TAG ||
    flags.push !== undefined ||
    extra !== undefined
  ) {
    reporter.step(
      `Building ${DEFAULT_IMAGE_TAG}${extra === undefined ? '' : ' with your packages'} (cached layers and artifacts are reused)${flags.push === undefined ? '' : ` and pushing it to ${flags.push}`}…`,
    );
    const built = await buildImage({
      ...(flags.push === undefined ? {} : { push: flags.push }),
      ...(extra === undefined
        ? {}
        : { extra, ...(flags.image === undefined ? {} : { tag: flags.image }) }),
      signal,
      onProgress: renderImageProgress(reporter, '  '),
    });
    reporter.endProgress();
    // Pushed: every node pulls it by digest, the same bytes whatever the tag points at later.
    const image = built.pushed?.pinned ?? built.tag;
    if (image !== cluster.config.image)
      cluster = new SparkCluster({ ...configFromFlags(flags, cluster.config), image });
  }
  if (flags.distributeTo !== undefined && flags.distributeTo.length > 0) {
    reporter.step(`Copying ${cluster.config.image} to ${flags.distributeTo.length} other node(s)…`);
    await distributeImage({
      image: cluster.config.image,
      engines: flags.distributeTo,
      signal,
      onProgress: renderImageProgress(reporter, '  '),
    });
  }
  reporter.step(
    `Deploying stack ${cluster.config.stackName} with ${cluster.config.workers} worker(s)…`,
  );
  const status = await cluster.deploy({
    timeoutMs: flags.timeout * 1000,
    signal,
    onStatus: (current) =>
      reporter.progress(
        `  waiting for Spark workers: ${current.spark.aliveWorkers}/${cluster.config.workers} ALIVE`,
      ),
  });
  reporter.endProgress();
  // The login is for people: it goes in the human output only, never in --json (which ends up in
  // logs).
  const login = await cluster.credentials({ signal }).then(
    async (found) => (await describeWrittenCredentials(cluster.config.stackName, found)).text,
    (error: unknown) =>
      `IDE login: unavailable here (${error instanceof Error ? error.message : String(error)}); try srs credentials`,
  );
  reporter.result(
    status,
    `Ready: ${status.spark.aliveWorkers} Spark worker(s) ALIVE\n${describeUrls(status.urls)}\n${login}`,
  );
  return status;
}
