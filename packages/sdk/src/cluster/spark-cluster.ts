import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { clusterConfigSchema, serviceNameSchema, stackNameSchema, workerCountSchema, type ClusterConfig, type ClusterConfigInput, type ServiceName } from '../config/cluster-config.js';
import { listDeployedConfigs, readDeployedConfig } from './deployed-config.js';
import { ensureHeadNode, releaseHeadNode } from './head-node.js';
import { DockerCli, type DockerClient } from '../docker/docker-cli.js';
import { parseInput } from '../errors/parse-input.js';
import { SrsError } from '../errors/srs-error.js';
import { readServiceLogs } from '../logs/read-service-logs.js';
import type { ServiceLogLine } from '../logs/service-log-line.js';
import { retryTransient } from '../retry/retry-transient.js';
import { fetchSparkStatus, type SparkStatus } from '../spark/spark-master-status.js';
import { ensureStackSecrets, removeStackSecrets, resolveStackSecretNames, stackSecretNames, type StackSecretKind } from '../secrets/stack-secrets.js';
import { renderStackFile } from '../stack/render-stack-file.js';
import { ensureSwarm, swarmInfo } from '../swarm/swarm.js';
import { findPortConflicts, portInUseError, publishedPorts } from './port-conflicts.js';
import { FAILED_TASK_STATES, nodeLsLineSchema, parseJson, parseJsonLines, servicesSchema, tasksSchema, type SwarmService, type SwarmTask } from '../swarm/swarm-parsers.js';
import { waitUntil } from '../wait/wait-until.js';

/** A service of the stack as Swarm sees it. */
export interface ServiceStatus {
  /** master or worker. */
  name: ServiceName;
  /** The Swarm service name (stack_service). */
  fullName: string;
  /** Image of the service. */
  image: string;
  /** Tasks running now. */
  running: number;
  /** Replicas wanted. */
  desired: number;
  /** State of the last update (updating, completed, rollback_completed…), when there was one. */
  updateState: string | undefined;
}

/** A task (one container of a service) as Swarm sees it. */
export interface TaskStatus {
  id: string;
  service: ServiceName;
  slot: number | undefined;
  /** Current state: new, pending, preparing, starting, running, failed, rejected, shutdown… */
  state: string;
  /** What Swarm wants it to be: running or shutdown. */
  desiredState: string;
  nodeId: string | undefined;
  /** The task's own error, when it failed. */
  error: string | undefined;
  /** When the state was last updated. */
  timestamp: string;
}

/** A node of the swarm, as the manager sees it. */
export interface NodeStatus {
  id: string;
  hostname: string;
  /** Ready, Down, Unknown… */
  state: string;
  /** Active, Pause or Drain. */
  availability: string;
  /** Leader, Reachable or Unreachable for managers; undefined for workers. */
  managerStatus: string | undefined;
}

/** The URLs of the head's web UIs, as reached from this machine (null: port not published). */
export interface ClusterUrls {
  sparkUi: string;
  shiny: string | null;
  jupyter: string | null;
  /** RStudio Server's port; it answers only when the image has RStudio (see credentials()). */
  rstudio: string | null;
}

/** How to log in to the head's IDEs: one user and password for JupyterLab and RStudio Server. */
export interface ClusterCredentials {
  ide: {
    user: string;
    password: string;
    /** Where JupyterLab answers from here, or null when its port is unpublished. */
    jupyter: string | null;
    /** Where RStudio Server answers from here; null when its port is unpublished or the image has none. */
    rstudio: string | null;
    /** Whether this image has RStudio Server (it is absent when Posit's .deb could not be had at build time). */
    rstudioInstalled: boolean;
  };
}

/** Spark's view when the master answered, or why it did not. */
export type SparkView = (SparkStatus & { reachable: true }) | { reachable: false; aliveWorkers: 0; error: string };

/**
 * What the cluster is waiting for, in the order it gets there: Swarm runs every task, the master
 * answers, the master is ALIVE (not recovering), every worker task is registered with it.
 */
export type ReadinessState = 'ready' | 'tasks-not-running' | 'master-unreachable' | 'master-not-alive' | 'workers-not-registered';

/** Whether the cluster is ready, and if not, what it waits for, in one sentence. */
export interface Readiness {
  state: ReadinessState;
  detail: string;
}

/** One object merging Swarm's and Spark's view of the cluster. */
export interface ClusterStatus {
  stackName: string;
  services: ServiceStatus[];
  tasks: TaskStatus[];
  /** The swarm's nodes: a node that went down shows here. */
  nodes: NodeStatus[];
  spark: SparkView;
  urls: ClusterUrls;
  /** Swarm converged and Spark has as many ALIVE workers as the worker service wants. */
  ready: boolean;
  /** What it waits for when not ready: tasks not running, or workers not registered with Spark. */
  readiness: Readiness;
}

/** Options of calls that wait. */
export interface WaitOptions {
  /** Give up after this many milliseconds (default 5 minutes). */
  timeoutMs?: number | undefined;
  /** Stops waiting with ABORTED. */
  signal?: AbortSignal | undefined;
  /** Called with every status read while waiting (for progress: "1/2 workers ALIVE"). */
  onStatus?: ((status: ClusterStatus) => void) | undefined;
}

/** Options of {@link SparkCluster.logs}. */
export interface LogsOptions {
  /** Keep streaming new lines until `signal` aborts. */
  follow?: boolean | undefined;
  /** Only lines since then: a duration (10m, 1h) or a timestamp, as `docker service logs --since`. */
  since?: string | undefined;
  /** Only the last N lines of each task. */
  tail?: number | undefined;
  /** Stops the stream (the iterator then ends cleanly). */
  signal?: AbortSignal | undefined;
}

const logsOptionsSchema = z.strictObject({
  follow: z.boolean().optional(),
  since: z
    .string()
    .regex(/^(\d+[smhd]|\d{4}-\d{2}-\d{2}(T[0-9:.]+Z?)?|\d+)$/, 'must be a duration like 10m or a timestamp')
    .optional(),
  tail: z.number().int().min(0).optional(),
});

const removeOptionsSchema = z
  .object({ wait: z.boolean().optional(), purge: z.boolean().optional(), timeoutMs: z.number().int().positive().optional() })
  .refine((options) => !(options.purge === true && options.wait === false), { message: 'purge needs wait: volumes and secrets can go only after the containers', path: ['purge'] });

const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;
// How long a task may stay unplaceable before the wait ends: a rolling update frees a host port
// within seconds (stop-first), a port held by something else stays taken.
const UNPLACEABLE_GRACE_MS = 8000;

/** Whether the docker CLI talks to this machine's engine (so its host ports are ours to check). */
function isLocalEngine(env: NodeJS.ProcessEnv = process.env): boolean {
  const host = env.DOCKER_HOST ?? '';
  return host === '' || host.startsWith('unix://');
}
const ROLLBACK_STATES = new Set(['rollback_started', 'rollback_paused', 'rollback_completed', 'paused']);

/**
 * A spark-rstudio-shiny cluster deployed as a Docker Swarm stack. Every method validates its
 * input before touching anything, and everything that waits takes a deadline and an AbortSignal.
 */
export class SparkCluster {
  /** The validated configuration. */
  readonly config: ClusterConfig;
  readonly #docker: DockerClient;
  readonly #readSpark: (url: string, signal?: AbortSignal) => Promise<SparkStatus>;
  readonly #unplaceableGraceMs: number;

  constructor(
    config: ClusterConfigInput = {},
    options: { docker?: DockerClient; readSpark?: (url: string, signal?: AbortSignal) => Promise<SparkStatus>; unplaceableGraceMs?: number } = {},
  ) {
    this.config = parseInput(clusterConfigSchema, config, 'cluster configuration');
    this.#docker = options.docker ?? new DockerCli();
    this.#readSpark = options.readSpark ?? ((url, signal) => fetchSparkStatus(url, { signal }));
    this.#unplaceableGraceMs = options.unplaceableGraceMs ?? UNPLACEABLE_GRACE_MS;
  }

  /**
   * A cluster object for a stack that runs, with the options it was deployed with (recorded on
   * its services by {@link deploy}): its ports, host, sizes and login, from any process.
   */
  static async attach(stackName: string, options: { docker?: DockerClient; readSpark?: (url: string, signal?: AbortSignal) => Promise<SparkStatus>; signal?: AbortSignal } = {}): Promise<SparkCluster> {
    const name = parseInput(stackNameSchema, stackName, 'stack name');
    const docker = options.docker ?? new DockerCli();
    const config = await readDeployedConfig(docker, name, options.signal);
    if (config === undefined) {
      throw new SrsError({ code: 'STACK_NOT_FOUND', message: `no stack named "${name}" is deployed`, hint: 'deploy it first (srs up), or name the right stack' });
    }
    return new SparkCluster(config, { docker, ...(options.readSpark === undefined ? {} : { readSpark: options.readSpark }) });
  }

  /** Every stack this SDK deployed on this swarm, as cluster objects (see {@link attach}). */
  static async list(options: { docker?: DockerClient; signal?: AbortSignal } = {}): Promise<SparkCluster[]> {
    const docker = options.docker ?? new DockerCli();
    return (await listDeployedConfigs(docker, options.signal)).map((config) => new SparkCluster(config, { docker }));
  }

  /** The Swarm name of a service of this stack. */
  serviceName(service: ServiceName): string {
    return `${this.config.stackName}_${service}`;
  }

  /** Where the head's web UIs answer. */
  get urls(): ClusterUrls {
    const at = (port: number | null): string | null => (port === null ? null : `http://${this.config.host}:${port}`);
    return { sparkUi: at(this.config.ports.sparkUi) as string, shiny: at(this.config.ports.shiny), jupyter: at(this.config.ports.jupyter), rstudio: at(this.config.ports.rstudio) };
  }

  /**
   * Deploys (or updates) the stack and, unless `wait` is false, waits until Swarm converged and
   * Spark has the configured number of ALIVE workers. A swarm is initialized when there is none.
   */
  async deploy(options: WaitOptions & { wait?: boolean } = {}): Promise<ClusterStatus> {
    const signalOption = options.signal === undefined ? {} : { signal: options.signal };
    await ensureSwarm(this.#docker, signalOption);
    // A taken host port would leave the master pending for ever: refuse before deploying.
    const swarm = await swarmInfo(this.#docker, options.signal);
    const localEngine = (swarm.Nodes ?? 1) === 1 && isLocalEngine();
    const conflicts = await findPortConflicts(this.#docker, this.config, { localEngine, signal: options.signal });
    if (conflicts.length > 0) throw portInUseError(conflicts);
    // Secrets first: the stack file names them as external, and existing ones are kept.
    const kinds: StackSecretKind[] = this.config.security.sparkAuthentication ? ['sparkAuth', 'idePassword'] : ['idePassword'];
    await ensureStackSecrets(this.#docker, this.config.stackName, kinds, signalOption);
    const secretNames = await resolveStackSecretNames(this.#docker, this.config.stackName, signalOption);
    await ensureHeadNode(this.#docker, this.config.stackName, options.signal);
    const before = await this.#updateMarks(options.signal);
    // A file of this call's own: two deploys at once must not read each other's half-written file.
    const dir = await mkdtemp(join(tmpdir(), 'srs-stack-'));
    const file = join(dir, `${this.config.stackName}.yml`);
    try {
      await writeFile(file, await renderStackFile(this.config, undefined, secretNames, { nodes: swarm.Nodes ?? 1 }), { mode: 0o600 });
      await this.#docker.run(['stack', 'deploy', '--resolve-image', 'never', '--prune', '-c', file, this.config.stackName], { timeoutMs: 120_000, ...signalOption });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    if (options.wait === false) return this.status(signalOption);
    return this.#waitFor(this.config.workers, { ...options, updateMarks: before });
  }

  /** Waits until Swarm converged and Spark has `workers` ALIVE workers (default: the configured number). */
  async waitUntilReady(options: WaitOptions & { workers?: number } = {}): Promise<ClusterStatus> {
    const workers = options.workers === undefined ? this.config.workers : parseInput(workerCountSchema, options.workers, 'worker count');
    return this.#waitFor(workers, { ...options, updateMarks: await this.#updateMarks(options.signal) });
  }

  /** Sets the number of workers and waits until exactly that many are ALIVE in Spark. */
  async scaleWorkers(count: number, options: WaitOptions = {}): Promise<ClusterStatus> {
    const workers = parseInput(workerCountSchema, count, 'worker count');
    await this.#requireStack(options.signal);
    const before = await this.#updateMarks(options.signal);
    await this.#docker.run(['service', 'scale', '--detach', `${this.serviceName('worker')}=${workers}`], {
      timeoutMs: 60_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return this.#waitFor(workers, { ...options, updateMarks: before });
  }

  /** Swarm's and Spark's view of the cluster, merged. */
  async status(options: { signal?: AbortSignal | undefined } = {}): Promise<ClusterStatus> {
    const services = await this.#services(options.signal);
    if (services.length === 0) throw this.#stackNotFound();
    // Swarm's tasks and nodes and Spark's view are independent reads: at the same time.
    const [tasks, nodes, spark] = await Promise.all([
      this.#tasks(services, options.signal),
      this.#nodes(options.signal),
      this.#readSpark(this.urls.sparkUi, options.signal).then(
        (view): SparkView => ({ reachable: true, ...view }),
        (error: unknown): SparkView => ({ reachable: false, aliveWorkers: 0, error: error instanceof Error ? error.message : String(error) }),
      ),
    ]);
    const serviceStatuses = services.map((service) => toServiceStatus(service, tasks, this.config.stackName));
    const readiness = readinessOf(serviceStatuses, spark);
    return {
      stackName: this.config.stackName,
      services: serviceStatuses,
      tasks: tasks.map((task) => toTaskStatus(task, services, this.config.stackName)),
      nodes,
      spark,
      urls: this.urls,
      ready: readiness.state === 'ready',
      readiness,
    };
  }

  /** The lines of one service's log, as they come with `follow`. Stops cleanly when `signal` aborts. */
  async *logs(service: ServiceName, options: LogsOptions = {}): AsyncIterable<ServiceLogLine> {
    const name = parseInput(serviceNameSchema, service, 'service');
    const { signal, ...rest } = options;
    const config = parseInput(logsOptionsSchema, rest, 'log options');
    await this.#requireStack(signal);
    yield* readServiceLogs(this.#docker, this.serviceName(name), name, { ...config, signal });
  }

  /** The recent lines of both services, in time order, read within `deadlineMs`. */
  async collectLogs(options: { since?: string; tail?: number; deadlineMs?: number; signal?: AbortSignal } = {}): Promise<ServiceLogLine[]> {
    const timeout = AbortSignal.timeout(options.deadlineMs ?? 30_000);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
    const lines: ServiceLogLine[] = [];
    for (const service of ['master', 'worker'] as const) {
      for await (const line of this.logs(service, { since: options.since, tail: options.tail, signal })) lines.push(line);
    }
    return lines.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  /**
   * Runs a PySpark script as a Spark application on this cluster and waits for it to finish: the
   * script is copied into the master's task (which must run on this engine's node) and started
   * with `spark-submit`, so the driver sits inside the stack network and executors run on the
   * workers. Returns what the driver printed; a failing job rejects with the driver's stderr.
   */
  async submitPython(script: string, options: WaitOptions & { args?: readonly string[] } = {}): Promise<{ stdout: string; stderr: string }> {
    const signalOption = options.signal === undefined ? {} : { signal: options.signal };
    const container = await this.#masterContainer(options.signal);
    // A private file with an unpredictable name (mktemp, mode 0600), removed afterwards.
    const { stdout: path } = await this.#docker.run(['exec', '-i', '--user', 'spark', container, 'sh', '-c', 'umask 077; file=$(mktemp --suffix=.py /tmp/srs-job-XXXXXXXXXX) && cat > "$file" && echo "$file"'], {
      ...signalOption,
      input: script,
    });
    try {
      const result = await this.#docker.run(['exec', '--user', 'spark', container, 'spark-submit', path, ...(options.args ?? [])], {
        ...signalOption,
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
      return { stdout: result.stdout, stderr: result.stderr };
    } finally {
      await this.#docker.run(['exec', '--user', 'spark', container, 'rm', '-f', path], { timeoutMs: 30_000 }).catch(() => undefined);
    }
  }

  /**
   * The IDE login of this stack (JupyterLab, and RStudio Server when the image has it): the user
   * from the configuration and the password Docker holds as the stack's secret, read inside the
   * master's task (which must run on this engine's node; Docker never hands a secret's value back
   * through its API).
   */
  async credentials(options: { signal?: AbortSignal | undefined } = {}): Promise<ClusterCredentials> {
    const signalOption = options.signal === undefined ? {} : { signal: options.signal };
    const container = await this.#masterContainer(options.signal);
    const { stdout: password } = await this.#docker.run(['exec', container, 'cat', '/run/secrets/ide_password'], { timeoutMs: 30_000, ...signalOption });
    const rstudioInstalled = await this.#docker
      .run(['exec', container, 'test', '-x', '/usr/lib/rstudio-server/bin/rserver'], { timeoutMs: 30_000, ...signalOption })
      .then(() => true, () => false);
    const urls = this.urls;
    return { ide: { user: this.config.security.ideUser, password, jupyter: urls.jupyter, rstudio: rstudioInstalled ? urls.rstudio : null, rstudioInstalled } };
  }

  /** The Docker secret names this stack uses. */
  get secretNames(): Record<StackSecretKind, string> {
    return stackSecretNames(this.config.stackName);
  }

  /**
   * Removes the stack. With `wait` (the default) returns only when its services, containers and
   * network are gone, so an immediate redeploy works. Volumes and secrets are kept, so a redeploy
   * loses nothing (same data, same IDE password); `purge` deletes them too.
   */
  async remove(options: WaitOptions & { wait?: boolean; purge?: boolean } = {}): Promise<void> {
    const signalOption = options.signal === undefined ? {} : { signal: options.signal };
    parseInput(removeOptionsSchema, { wait: options.wait, purge: options.purge, timeoutMs: options.timeoutMs }, 'remove options');
    let result: { stdout: string; stderr: string };
    try {
      result = await this.#docker.run(['stack', 'rm', this.config.stackName], { timeoutMs: 60_000, ...signalOption });
    } catch (error) {
      // The CLI tries to delete the network while the tasks still stop, and fails with "network …
      // is in use by task …": the services are gone all the same, and the wait below removes the
      // network once the containers are.
      if (!(error instanceof SrsError && /is in use by task|failed to remove some resources/i.test(`${error.message}\n${error.stderr ?? ''}`))) throw error;
      result = { stdout: '', stderr: '' };
    }
    // The CLI exits 0 for a stack that does not exist.
    const missing = /Nothing found in stack/i.test(`${result.stdout}\n${result.stderr}`);
    if (missing && options.purge !== true) throw this.#stackNotFound();
    if (options.wait === false) return;
    const label = `label=com.docker.stack.namespace=${this.config.stackName}`;
    await waitUntil(
      async (signal) => {
        const [services, containers, networks] = await Promise.all([
          this.#docker.run(['service', 'ls', '-q', '--filter', label], { signal }),
          this.#docker.run(['ps', '-aq', '--filter', label], { signal }),
          this.#docker.run(['network', 'ls', '-q', '--filter', label], { signal }),
        ]);
        if (`${services.stdout}${containers.stdout}` !== '') return undefined;
        if (networks.stdout === '') return true;
        await this.#docker.run(['network', 'rm', ...networks.stdout.split('\n')], { signal }).catch(() => undefined);
        return undefined;
      },
      { description: `stack ${this.config.stackName} to be gone (services, containers, network)`, timeoutMs: options.timeoutMs ?? 120_000, intervalMs: 500, signal: options.signal },
    );
    if (options.purge !== true) return;
    const volumes = (await this.#docker.run(['volume', 'ls', '-q', '--filter', label], signalOption)).stdout;
    if (volumes !== '') await this.#docker.run(['volume', 'rm', ...volumes.split('\n')], signalOption);
    const secrets = await removeStackSecrets(this.#docker, this.config.stackName, signalOption);
    await releaseHeadNode(this.#docker, this.config.stackName, options.signal);
    if (missing && volumes === '' && secrets.length === 0) throw this.#stackNotFound();
  }

  async #waitFor(workers: number, options: WaitOptions & { updateMarks: Map<string, string> }): Promise<ClusterStatus> {
    const since = Date.now() - 1000;
    const stuckSince = new Map<string, number>();
    let last: ClusterStatus | undefined;
    try {
      return await waitUntil(
        async (signal) => {
          const status = await this.status({ signal });
          last = status;
          options.onStatus?.(status);
          this.#failFast(status, since, stuckSince);
          await this.#checkRollback(options.updateMarks, signal);
          const worker = status.services.find((service) => service.name === 'worker');
          const swarmDone = status.services.every((service) => service.running === service.desired) && worker?.desired === workers;
          const sparkDone = status.spark.reachable && status.spark.status === 'ALIVE' && status.spark.aliveWorkers === workers;
          return swarmDone && sparkDone ? status : undefined;
        },
        { description: `${workers} ALIVE Spark worker(s) in stack ${this.config.stackName}`, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, intervalMs: 1000, signal: options.signal },
      );
    } catch (error) {
      if (error instanceof SrsError && error.code === 'WAIT_TIMEOUT') {
        const errors = (last?.tasks ?? []).flatMap((task) => (task.error ? [`${task.service}.${task.slot ?? '?'}: ${task.error}`] : [])).slice(0, 5);
        throw new SrsError({
          code: 'CONVERGENCE_TIMEOUT',
          message: `stack ${this.config.stackName} did not reach ${workers} ALIVE worker(s) in ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms: ${describe(last)}${errors.length === 0 ? '' : `\nlast task errors:\n  ${errors.join('\n  ')}`}`,
          hint:
            last?.readiness.state === 'workers-not-registered' && (last.nodes.length ?? 0) > 1
              ? 'workers run but do not reach the master: on several nodes, the overlay network needs UDP 4789 between them, and IP protocol 50 (ESP) when it is encrypted (security.encryptOverlay); see `srs logs worker`'
              : 'look at `srs logs master` and `srs logs worker`; on a small machine give workers less memory or wait longer',
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * States waiting cannot fix end the wait now: tasks failing again and again (the task's own
   * error), and tasks Swarm cannot place (a host port taken, no node with the resources or
   * constraints) for longer than a rolling update would explain.
   */
  #failFast(status: ClusterStatus, since: number, stuckSince: Map<string, number>): void {
    const now = Date.now();
    for (const task of status.tasks) {
      const stuck = task.desiredState === 'running' && task.state === 'pending' && task.error !== undefined && /no suitable node|insufficient resources|port already in use/i.test(task.error);
      if (!stuck) {
        stuckSince.delete(task.id);
        continue;
      }
      const first = stuckSince.get(task.id) ?? now;
      stuckSince.set(task.id, first);
      if (now - first < this.#unplaceableGraceMs) continue;
      if (/port already in use/i.test(task.error ?? '')) {
        const ports = publishedPorts(this.config).map((entry) => `${entry.port} (${entry.option})`).join(', ');
        throw new SrsError({
          code: 'PORT_IN_USE',
          message: `${this.serviceName(task.service)} cannot start: Swarm says "${task.error}"; the stack publishes ${ports}`,
          hint: 'choose free ports (srs up --port-spark-ui …, or ports: { … } in the SDK), or stop what holds them; srs doctor lists taken ports',
        });
      }
      throw new SrsError({
        code: 'NO_SUITABLE_NODE',
        message: `${this.serviceName(task.service)} cannot be placed: Swarm says "${task.error}"`,
        hint: 'give the swarm a node that fits (resources: worker.cores/worker.memory, master.cpus/master.memory; constraints: a manager for the head), or ask for less',
      });
    }
    for (const service of ['master', 'worker'] as const) {
      const failures = status.tasks.filter((task) => task.service === service && FAILED_TASK_STATES.has(task.state) && Date.parse(task.timestamp) >= since);
      if (failures.length >= 3) {
        const latest = failures.sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp))[0] as TaskStatus;
        throw new SrsError({
          code: 'TASK_FAILED',
          message: `${this.serviceName(service)} tasks keep failing (${failures.length} ${latest.state}): ${latest.error ?? 'no error given'}`,
          hint: /No such image/i.test(latest.error ?? '') ? 'build the image (srs build) or push it to a registry every node can pull from' : 'see `srs logs ' + service + '` for why the container stops',
        });
      }
    }
  }

  async #checkRollback(before: Map<string, string>, signal: AbortSignal): Promise<void> {
    for (const service of await this.#services(signal)) {
      const update = service.UpdateStatus;
      if (update === undefined || !ROLLBACK_STATES.has(update.State)) continue;
      if (before.get(service.ID) === updateMark(service)) continue;
      throw new SrsError({
        code: 'ROLLBACK_HAPPENED',
        message: `Swarm rolled back the update of ${service.Spec.Name} (${update.State}): ${update.Message ?? ''}`.trim(),
        hint: 'the new configuration did not come up; see the service logs, fix it and deploy again',
      });
    }
  }

  async #updateMarks(signal: AbortSignal | undefined): Promise<Map<string, string>> {
    const services = await this.#services(signal).catch(() => [] as SwarmService[]);
    return new Map(services.map((service) => [service.ID, updateMark(service)]));
  }

  async #services(signal: AbortSignal | undefined): Promise<SwarmService[]> {
    const signalOption = signal === undefined ? {} : { signal };
    return retryTransient(
      async () => {
        const ids = await this.#docker.run(['service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${this.config.stackName}`], { timeoutMs: 30_000, ...signalOption });
        if (ids.stdout === '') return [];
        const inspected = await this.#docker.run(['service', 'inspect', ...ids.stdout.split('\n')], { timeoutMs: 30_000, ...signalOption });
        return parseJson(inspected.stdout, servicesSchema, 'docker service inspect');
      },
      { signal },
    );
  }

  async #tasks(services: SwarmService[], signal: AbortSignal | undefined): Promise<SwarmTask[]> {
    const signalOption = signal === undefined ? {} : { signal };
    return retryTransient(
      async () => {
        const ids = await this.#docker.run(['service', 'ps', '-q', '--no-trunc', ...services.map((service) => service.ID)], { timeoutMs: 30_000, ...signalOption });
        const list = ids.stdout.split('\n').filter((id) => id !== '');
        if (list.length === 0) return [];
        const inspected = await this.#docker.run(['inspect', '--type', 'task', ...list], { timeoutMs: 30_000, ...signalOption });
        return parseJson(inspected.stdout, tasksSchema, 'docker inspect (tasks)');
      },
      { signal },
    );
  }

  async #nodes(signal: AbortSignal | undefined): Promise<NodeStatus[]> {
    const { stdout } = await this.#docker.run(['node', 'ls', '--format', '{{json .}}'], { timeoutMs: 30_000, ...(signal === undefined ? {} : { signal }) });
    return parseJsonLines(stdout, nodeLsLineSchema, 'docker node ls').map((node) => ({
      id: node.ID,
      hostname: node.Hostname,
      state: node.Status,
      availability: node.Availability,
      managerStatus: node.ManagerStatus === undefined || node.ManagerStatus === '' ? undefined : node.ManagerStatus,
    }));
  }

  /** The running master container on this engine's node. */
  async #masterContainer(signal: AbortSignal | undefined): Promise<string> {
    await this.#requireStack(signal);
    const { stdout: ids } = await this.#docker.run(['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${this.serviceName('master')}`, '--filter', 'status=running'], {
      timeoutMs: 30_000,
      ...(signal === undefined ? {} : { signal }),
    });
    const container = ids.split('\n').find((id) => id !== '');
    if (container === undefined) {
      throw new SrsError({
        code: 'STACK_NOT_FOUND',
        message: `no running ${this.serviceName('master')} task on this engine's node`,
        hint: 'run this against the node that runs the master (DOCKER_HOST), or wait until the stack is ready',
      });
    }
    return container;
  }

  async #requireStack(signal: AbortSignal | undefined): Promise<void> {
    if ((await this.#services(signal)).length === 0) throw this.#stackNotFound();
  }

  #stackNotFound(): SrsError {
    return new SrsError({
      code: 'STACK_NOT_FOUND',
      message: `no stack named "${this.config.stackName}" is deployed`,
      hint: 'deploy it first (srs up), or name the right stack',
    });
  }
}

function updateMark(service: SwarmService): string {
  const update = service.UpdateStatus as { State?: string; StartedAt?: string; CompletedAt?: string } | undefined;
  return update === undefined ? '' : `${update.State ?? ''}@${update.StartedAt ?? ''}@${update.CompletedAt ?? ''}`;
}

function shortName(fullName: string, stackName: string): ServiceName | undefined {
  const name = fullName.startsWith(`${stackName}_`) ? fullName.slice(stackName.length + 1) : fullName;
  return name === 'master' || name === 'worker' ? name : undefined;
}

function toServiceStatus(service: SwarmService, tasks: SwarmTask[], stackName: string): ServiceStatus {
  const own = tasks.filter((task) => task.ServiceID === service.ID);
  return {
    name: shortName(service.Spec.Name, stackName) ?? 'worker',
    fullName: service.Spec.Name,
    image: service.Spec.TaskTemplate.ContainerSpec.Image.split('@')[0] ?? '',
    running: own.filter((task) => task.Status.State === 'running' && task.DesiredState === 'running').length,
    desired: service.Spec.Mode.Replicated?.Replicas ?? 0,
    updateState: service.UpdateStatus?.State,
  };
}

function toTaskStatus(task: SwarmTask, services: SwarmService[], stackName: string): TaskStatus {
  const service = services.find((candidate) => candidate.ID === task.ServiceID);
  return {
    id: task.ID,
    service: shortName(service?.Spec.Name ?? '', stackName) ?? 'worker',
    slot: task.Slot,
    state: task.Status.State,
    desiredState: task.DesiredState,
    nodeId: task.NodeID,
    error: task.Status.Err === undefined || task.Status.Err === '' ? undefined : task.Status.Err,
    timestamp: task.Status.Timestamp,
  };
}

/** What the cluster waits for, from Swarm's and Spark's views. */
export function readinessOf(services: ServiceStatus[], spark: SparkView): Readiness {
  const behind = services.filter((service) => service.running !== service.desired);
  if (behind.length > 0) {
    return { state: 'tasks-not-running', detail: `Swarm runs ${behind.map((service) => `${service.running}/${service.desired} ${service.name} task(s)`).join(' and ')}` };
  }
  if (!spark.reachable) return { state: 'master-unreachable', detail: `the Spark master does not answer: ${spark.error}` };
  if (spark.status !== 'ALIVE') return { state: 'master-not-alive', detail: `the Spark master is ${spark.status}` };
  const wanted = services.find((service) => service.name === 'worker')?.desired ?? 0;
  if (spark.aliveWorkers !== wanted) {
    return { state: 'workers-not-registered', detail: `every worker task runs, and ${spark.aliveWorkers} of ${wanted} worker(s) are registered ALIVE with the master` };
  }
  return { state: 'ready', detail: `${wanted} worker(s) ALIVE` };
}

function describe(status: ClusterStatus | undefined): string {
  if (status === undefined) return 'no status could be read';
  const swarm = status.services.map((service) => `${service.name} ${service.running}/${service.desired}`).join(', ');
  const spark = status.spark.reachable ? `${status.spark.aliveWorkers} ALIVE` : `master unreachable (${status.spark.error})`;
  return `swarm: ${swarm}; spark: ${spark}; waiting for: ${status.readiness.detail}`;
}
