// SparkCluster: one stack, from deploy to remove. Each concern lives in its own module: status
// types and readiness in cluster-status, waiting in wait-for-ready, what runs in the head in
// head-exec, and how the stack is created, read, scaled, logged and removed in an Orchestrator
// (../swarm for Docker Swarm, ../compose for Docker Compose). This class validates input and puts
// them together.
import {
  DockerCli,
  localEngineSocket,
  parseInput,
  SrsError,
  stackServiceName,
  type DockerClient,
} from '@spark-rstudio-shiny/core';
import {
  clusterConfigSchema,
  serviceNameSchema,
  stackNameSchema,
  workerCountSchema,
  type ClusterConfig,
  type ClusterConfigInput,
  type ServiceName,
} from '@spark-rstudio-shiny/stack';
import { z } from 'zod';
import {
  clusterStatus,
  clusterUrls,
  type ClusterCredentials,
  type ConnectInfo,
  type ClusterStatus,
  type ClusterUrls,
  type SparkView,
} from './cluster/cluster-status.js';
import { listDeployedConfigs, readDeployedConfig } from './deployed-config.js';
import {
  readHeadSecret,
  readIdeLogin,
  readSparkStatusIn,
  submitPythonIn,
} from './cluster/head-exec.js';
import type { Orchestrator } from './cluster/orchestrator.js';
import { stackNotFound } from './cluster/stack-not-found.js';
import {
  certificateExpiry,
  checkUserCertificate,
  type UserCertificateInput,
} from './cluster/user-certificate.js';
import {
  DEFAULT_TIMEOUT_MS,
  UNPLACEABLE_GRACE_MS,
  updateMarks,
  waitForReady,
  type ReadinessProbe,
  type WaitOptions,
} from './cluster/wait-for-ready.js';
import { ComposeOrchestrator } from './compose/compose-orchestrator.js';
import { logsOptionsSchema, type LogsOptions } from './cluster/log-options.js';
import type { ServiceLogLine } from './cluster/service-log-line.js';
import { fetchSparkStatus, type SparkStatus } from './spark/spark-master-status.js';
import { EngineStackReader } from './swarm/engine-stack-reader.js';
import type { StackReader } from './cluster/stack-state.js';
import { CliStackReader } from './swarm/cli-stack-reader.js';
import { SwarmOrchestrator } from './swarm/swarm-orchestrator.js';
import type { SwarmService } from './cluster/docker-output.js';

/** How the SDK reaches the engine and Spark; every field has a default. */
export interface SparkClusterOptions {
  /** The docker CLI runner (default: `docker` on PATH, its own DOCKER_HOST or context). */
  docker?: DockerClient;
  /**
   * Reads Swarm's view (default: the Engine API on a local socket, else the CLI); Swarm mode only.
   */
  reader?: StackReader;
  /**
   * Reads the master's `/json/` (default: HTTP on the Spark UI's published port, or inside the
   * head when that port is not published).
   */
  readSpark?: (signal?: AbortSignal) => Promise<SparkStatus>;
  /** How long a task may stay unplaceable before a wait ends (default 8 s). */
  unplaceableGraceMs?: number;
  /** Milliseconds between reads while waiting (default 500). */
  pollIntervalMs?: number;
}

const removeOptionsSchema = z
  .object({
    wait: z.boolean().optional(),
    purge: z.boolean().optional(),
    timeoutMs: z.number().int().positive().optional(),
  })
  .refine((options) => !(options.purge === true && options.wait === false), {
    message: 'purge needs wait: volumes and secrets can go only after the containers',
    path: ['purge'],
  });

/** Whether the docker CLI talks to this machine's engine (so its host ports are ours to check). */
function isLocalEngine(docker: DockerClient): boolean {
  return docker instanceof DockerCli
    ? localEngineSocket(process.env, docker.host) !== undefined
    : (process.env.DOCKER_HOST ?? '') === '';
}

function swarmReader(docker: DockerClient, given: DockerClient | undefined): StackReader {
  const cli = new CliStackReader(docker);
  // The Engine API only for the SDK's own client: a client given by the caller (recorded output,
  // another engine) is read through as given.
  const socket =
    given === undefined && docker instanceof DockerCli
      ? localEngineSocket(process.env, docker.host)
      : undefined;
  return socket === undefined ? cli : new EngineStackReader(socket, cli);
}

/**
 * A spark-rstudio-shiny cluster: a Docker Swarm stack, or (orchestrator: 'compose') a Docker
 * Compose project on this host. Every method validates its
 * input before touching anything, and everything that waits takes a deadline and an AbortSignal.
 */
export class SparkCluster implements AsyncDisposable {
  /** The validated configuration. */
  readonly config: ClusterConfig;
  /**
   * Whether this object's deploy() made the stack (it did not run before): what disposing removes.
   */
  #deployedHere = false;
  readonly #docker: DockerClient;
  readonly #orchestrator: Orchestrator;
  readonly #readSpark: (signal?: AbortSignal) => Promise<SparkStatus>;
  readonly #unplaceableGraceMs: number;
  readonly #pollIntervalMs: number;

  constructor(config: ClusterConfigInput = {}, options: SparkClusterOptions = {}) {
    this.config = SparkCluster.parseConfig(config);
    this.#docker = options.docker ?? new DockerCli();
    const localEngine = isLocalEngine(this.#docker);
    this.#orchestrator =
      this.config.orchestrator === 'compose'
        ? new ComposeOrchestrator(this.#docker, {
            host: this.#docker instanceof DockerCli ? this.#docker.host : undefined,
            localEngine,
          })
        : new SwarmOrchestrator(
            this.#docker,
            options.reader ?? swarmReader(this.#docker, options.docker),
            { localEngine },
          );
    this.#readSpark = options.readSpark ?? ((signal) => this.#readSparkStatus(signal));
    this.#unplaceableGraceMs = options.unplaceableGraceMs ?? UNPLACEABLE_GRACE_MS;
    this.#pollIntervalMs = options.pollIntervalMs ?? 500;
  }

  /**
   * A cluster object for a stack that runs, with the options it was deployed with (recorded on
   * its services by {@link deploy}): its ports, host, sizes and login, from any process.
   */
  static async attach(
    stackName: string,
    options: SparkClusterOptions & { signal?: AbortSignal } = {},
  ): Promise<SparkCluster> {
    const { signal, ...clusterOptions } = options;
    const docker = options.docker ?? new DockerCli();
    const config = await SparkCluster.deployedConfig(stackName, { docker, signal });
    if (config === undefined) throw stackNotFound(stackName);
    return new SparkCluster(config, { ...clusterOptions, docker });
  }

  /**
   * The options a running stack was deployed with (recorded on its head), or undefined when no
   * such stack runs: what {@link attach} starts from, without building a cluster object (a
   * caller that changes some options builds one, once, from the result).
   */
  static async deployedConfig(
    stackName: string,
    options: { docker?: DockerClient | undefined; signal?: AbortSignal | undefined } = {},
  ): Promise<ClusterConfig | undefined> {
    const name = parseInput(stackNameSchema, stackName, 'stack name');
    return readDeployedConfig(options.docker ?? new DockerCli(), name, options.signal);
  }

  /**
   * Validates options as {@link SparkCluster}'s constructor does (one INVALID_CONFIGURATION
   * error naming every bad field), and returns them with their defaults; nothing is built.
   */
  static parseConfig(config: ClusterConfigInput): ClusterConfig {
    return parseInput(clusterConfigSchema, config, 'cluster configuration');
  }

  /** Every stack this SDK deployed on this swarm, as cluster objects (see {@link attach}). */
  static async list(
    options: SparkClusterOptions & { signal?: AbortSignal } = {},
  ): Promise<SparkCluster[]> {
    const { signal, ...clusterOptions } = options;
    const docker = options.docker ?? new DockerCli();
    return (await listDeployedConfigs(docker, signal)).map(
      (config) => new SparkCluster(config, { ...clusterOptions, docker }),
    );
  }

  /** The Swarm name of a service of this stack. */
  serviceName(service: ServiceName): string {
    return stackServiceName(this.config.stackName, service);
  }

  /** Where the head's web UIs answer. */
  get urls(): ClusterUrls {
    return clusterUrls(this.config);
  }

  /**
   * Deploys (or updates) the stack and, unless `wait` is false, waits until Swarm converged and
   * Spark has the configured number of ALIVE workers. A swarm is initialized when there is none
   * (Swarm mode). A local image is deployed by its ID: after a rebuild, the services roll onto the
   * new image
   * (and Swarm rolls back, with ROLLBACK_HAPPENED, when it does not come up).
   */
  async deploy(options: WaitOptions & { wait?: boolean } = {}): Promise<ClusterStatus> {
    const before = await updateMarks(this.#probe(), options.signal);
    const existed =
      (await this.#orchestrator.reader.services(this.config.stackName, options.signal)).length > 0;
    await this.#orchestrator.apply(this.config, options.signal);
    if (!existed) this.#deployedHere = true;
    if (options.wait === false) return this.status({ signal: options.signal });
    return waitForReady(this.#probe(), this.config.workers, { ...options, updateMarks: before });
  }

  /**
   * Waits until Swarm converged and Spark has `workers` ALIVE workers (default: the configured
   * number).
   */
  async waitUntilReady(options: WaitOptions & { workers?: number } = {}): Promise<ClusterStatus> {
    const workers =
      options.workers === undefined
        ? this.config.workers
        : parseInput(workerCountSchema, options.workers, 'worker count');
    return waitForReady(this.#probe(), workers, {
      ...options,
      updateMarks: await updateMarks(this.#probe(), options.signal),
    });
  }

  /** Sets the number of workers and waits until exactly that many are ALIVE in Spark. */
  async scaleWorkers(count: number, options: WaitOptions = {}): Promise<ClusterStatus> {
    const workers = parseInput(workerCountSchema, count, 'worker count');
    await this.#requireStack(options.signal);
    const before = await updateMarks(this.#probe(), options.signal);
    await this.#orchestrator.scaleWorkers(this.config, workers, options.signal);
    return waitForReady(this.#probe(), workers, { ...options, updateMarks: before });
  }

  /** Swarm's and Spark's view of the cluster, merged. */
  async status(options: { signal?: AbortSignal | undefined } = {}): Promise<ClusterStatus> {
    return (await this.#observe(options.signal)).status;
  }

  /**
   * The lines of one service's log, as they come with `follow`. Stops cleanly when `signal` aborts.
   */
  async *logs(service: ServiceName, options: LogsOptions = {}): AsyncIterable<ServiceLogLine> {
    const name = parseInput(serviceNameSchema, service, 'service');
    const { signal, ...rest } = options;
    const config = parseInput(logsOptionsSchema, rest, 'log options');
    await this.#requireStack(signal);
    yield* this.#orchestrator.logs(this.config, name, { ...config, signal });
  }

  /** The recent lines of both services, in time order, read within `deadlineMs`. */
  async collectLogs(
    options: { since?: string; tail?: number; deadlineMs?: number; signal?: AbortSignal } = {},
  ): Promise<ServiceLogLine[]> {
    const timeout = AbortSignal.timeout(options.deadlineMs ?? 30_000);
    const signal =
      options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
    const lines: ServiceLogLine[] = [];
    for (const service of ['master', 'worker'] as const) {
      for await (const line of this.logs(service, {
        since: options.since,
        tail: options.tail,
        signal,
      }))
        lines.push(line);
    }
    return lines.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  /**
   * Runs a PySpark script as a Spark application on this cluster and waits for it to finish: the
   * script is copied into the master's task (which must run on this engine's node) and started
   * with `spark-submit`, so the driver sits inside the stack network and executors run on the
   * workers. Returns what the driver printed; a failing job rejects with the driver's stderr.
   */
  async submitPython(
    script: string,
    options: WaitOptions & { args?: readonly string[] } = {},
  ): Promise<{ stdout: string; stderr: string }> {
    await this.#requireStack(options.signal);
    const container = await this.#orchestrator.headContainer(this.config.stackName, options.signal);
    return submitPythonIn(this.#docker, container, script, {
      args: options.args ?? [],
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: options.signal,
    });
  }

  /**
   * The IDE login of this stack (JupyterLab, and RStudio Server when the image has it): the user
   * from the configuration and the password Docker holds as the stack's secret, read inside the
   * master's task (which must run on this engine's node).
   */
  async credentials(
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<ClusterCredentials> {
    await this.#requireStack(options.signal);
    const container = await this.#orchestrator.headContainer(this.config.stackName, options.signal);
    const { password, rstudioInstalled } = await readIdeLogin(
      this.#docker,
      container,
      options.signal,
    );
    const urls = this.urls;
    return {
      ide: {
        user: this.config.security.ideUser,
        password,
        jupyter: urls.jupyter,
        rstudio: rstudioInstalled ? urls.rstudio : null,
        rstudioInstalled,
      },
      frontDoor:
        urls.frontDoor === null
          ? null
          : await this.#frontDoorOf(container, urls.frontDoor, options.signal),
    };
  }

  /**
   * Makes the front door present the user's own certificate (with its chain) and key from the
   * next deploy on, in place of the one the stack's CA made; `ca` is what clients should trust
   * (a private CA), else the chain's last certificate is kept as the stack's CA file. Checked
   * first (the key is the certificate's, its names cover `host`, in force now, the chain in
   * order): INVALID_CONFIGURATION, and nothing changes, when it is not. Docker secrets cannot
   * change under a running stack: the stack must be down (`remove()`; volumes and the other
   * secrets stay).
   */
  async useCertificate(
    certificate: UserCertificateInput,
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<void> {
    if (this.config.ports.https === null)
      throw new SrsError({
        code: 'INVALID_CONFIGURATION',
        message: `stack ${this.config.stackName} has no front door (ports.https is null)`,
        hint: 'deploy with a front door port (the default, 8443) to use a certificate',
      });
    const values = checkUserCertificate(certificate, this.config);
    if (
      (await this.#orchestrator.reader.services(this.config.stackName, options.signal)).length > 0
    )
      throw new SrsError({
        code: 'INVALID_CONFIGURATION',
        message: `stack ${this.config.stackName} is running: Docker secrets cannot change under it`,
        hint: 'take it down first (srs down keeps volumes and the other secrets), then up again',
      });
    await this.#orchestrator.replaceSecrets(this.config, values, options.signal);
  }

  /**
   * How a Spark Connect client reaches this stack: `sc://host:port/;token=…` for
   * `SparkSession.builder.remote()`, with the token read from the stack's secret inside the head
   * (`;use_ssl=true` and the CA certificate when it is served through the front door).
   * INVALID_CONFIGURATION when the stack runs without Spark Connect (`ports.sparkConnect`).
   */
  async connectInfo(options: { signal?: AbortSignal | undefined } = {}): Promise<ConnectInfo> {
    const port = this.config.ports.sparkConnect;
    if (port === null) {
      throw new SrsError({
        code: 'INVALID_CONFIGURATION',
        message: `stack ${this.config.stackName} runs without Spark Connect`,
        hint: 'deploy it with a port for it: srs up --port-spark-connect 15002',
      });
    }
    await this.#requireStack(options.signal);
    const container = await this.#orchestrator.headContainer(this.config.stackName, options.signal);
    const token = await readHeadSecret(this.#docker, container, 'connect_token', options.signal);
    // Through the front door the port speaks TLS, with the stack's CA.
    if (this.config.ports.https !== null) {
      const caCertificate = await readHeadSecret(this.#docker, container, 'tls_ca', options.signal);
      const host = this.config.host.replace(/^\[(.*)\]$/, '$1');
      const url = `sc://${this.config.host}:${port}/;use_ssl=true;token=${token}`;
      return { url, host, port, token, caCertificate };
    }
    // PySpark's client sends a token in clear to "localhost" only (TLS to any other name, which
    // this port does not speak): a loopback host is written so.
    const host = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(this.config.host)
      ? 'localhost'
      : this.config.host;
    return { url: `sc://${host}:${port}/;token=${token}`, host, port, token, caCertificate: null };
  }

  /**
   * Removes the stack. With `wait` (the default) returns only when its services, containers and
   * network are gone, so an immediate redeploy works. Volumes and secrets are kept, so a redeploy
   * loses nothing (same data, same IDE password); `purge` deletes them too.
   */
  async remove(options: WaitOptions & { wait?: boolean; purge?: boolean } = {}): Promise<void> {
    parseInput(
      removeOptionsSchema,
      { wait: options.wait, purge: options.purge, timeoutMs: options.timeoutMs },
      'remove options',
    );
    await this.#orchestrator.remove(this.config, options);
    this.#deployedHere = false;
  }

  /**
   * `await using cluster = new SparkCluster(…)`: at the end of the scope, a stack this object's
   * {@link deploy} made is removed (waiting until it is gone); a stack that ran before, or one
   * only attached to, is left alone. Volumes and secrets stay, as with {@link remove}; call
   * `remove({ purge: true })` to delete them too.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#deployedHere) return;
    this.#deployedHere = false;
    await this.#orchestrator.remove(this.config, { wait: true }).catch((error: unknown) => {
      // Already gone (removed by hand inside the scope) is what disposing wants.
      if (!(error instanceof SrsError && error.code === 'STACK_NOT_FOUND')) throw error;
    });
  }

  /**
   * One read of Swarm and one of Spark, at the same time. When Swarm has no such stack (or its
   * read fails) the Spark read is dropped at once: its port may be another stack's, or a master
   * still starting whose answer would take the read's whole deadline.
   */
  async #observe(
    signal: AbortSignal | undefined,
  ): Promise<{ status: ClusterStatus; services: SwarmService[] }> {
    const dropSpark = new AbortController();
    const sparkSignal =
      signal === undefined ? dropSpark.signal : AbortSignal.any([signal, dropSpark.signal]);
    const spark = this.#readSpark(sparkSignal).then(
      (view): SparkView => ({ reachable: true, ...view }),
      (error: unknown): SparkView => ({
        reachable: false,
        aliveWorkers: 0,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    try {
      const state = await this.#orchestrator.reader.read(this.config.stackName, signal);
      if (state.services.length === 0) throw stackNotFound(this.config.stackName);
      return { status: clusterStatus(this.config, state, await spark), services: state.services };
    } finally {
      dropSpark.abort();
    }
  }

  /** The front door as credentials() gives it: its CA and its certificate's expiry, read at once. */
  async #frontDoorOf(
    container: string,
    url: string,
    signal: AbortSignal | undefined,
  ): Promise<NonNullable<ClusterCredentials['frontDoor']>> {
    const [caCertificate, certificate] = await Promise.all([
      readHeadSecret(this.#docker, container, 'tls_ca', signal),
      readHeadSecret(this.#docker, container, 'tls_cert', signal),
    ]);
    return { url, caCertificate, certificateExpires: certificateExpiry(certificate) };
  }

  /**
   * The master's status: over HTTP when its UI port is published, else inside the head (the
   * default deploy publishes the front door only).
   */
  async #readSparkStatus(signal: AbortSignal | undefined): Promise<SparkStatus> {
    const port = this.config.ports.sparkUi;
    if (port !== null) return fetchSparkStatus(`http://${this.config.host}:${port}`, { signal });
    const container = await this.#orchestrator.headContainer(this.config.stackName, signal);
    return readSparkStatusIn(this.#docker, container, signal);
  }

  #probe(): ReadinessProbe {
    return {
      config: this.config,
      observe: (signal) => this.#observe(signal),
      services: (signal) => this.#orchestrator.reader.services(this.config.stackName, signal),
      unplaceableGraceMs: this.#unplaceableGraceMs,
      intervalMs: this.#pollIntervalMs,
    };
  }

  async #requireStack(signal: AbortSignal | undefined): Promise<void> {
    if ((await this.#orchestrator.reader.services(this.config.stackName, signal)).length === 0)
      throw stackNotFound(this.config.stackName);
  }
}
