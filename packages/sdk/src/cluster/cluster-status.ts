// What a cluster looks like from Swarm and from Spark, merged: the types `status()` returns and
// the rules that say whether it is ready and, if not, what it waits for.
import type { ClusterConfig, ServiceName } from '@spark-rstudio-shiny/stack';
import type { SparkStatus } from '../spark/spark-master-status.js';
import type { StackState, SwarmNodeState } from './stack-state.js';
import type { SwarmService, SwarmTask } from './docker-output.js';

/** A service of the stack as Swarm sees it. */
export interface ServiceStatus {
  /** master or worker. */
  name: ServiceName;
  /** The Swarm service name (stack_service). */
  fullName: string;
  /** The image the service is deployed with (an image ID after a deploy by this SDK). */
  image: string;
  /** The image name it was built as (the tag), when the SDK deployed it by ID. */
  imageTag: string | undefined;
  /**
   * Tasks running now. A worker task Swarm still health-checks ("starting") counts once Spark
   * lists an ALIVE worker at the task's address: its health check asks the same question, and
   * Swarm answers it only at its next interval.
   */
  running: number;
  /** Of those, the ones on the service's current image (fewer while an upgrade rolls). */
  upToDate: number;
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
  /** The image this task runs. */
  image: string;
  /** The task's own error, when it failed. */
  error: string | undefined;
  /** When the state was last updated. */
  timestamp: string;
  /** Its IPv4 addresses on the stack's networks. */
  addresses: string[];
}

/** A node of the swarm, as the manager sees it. */
export type NodeStatus = SwarmNodeState;

/**
 * The URLs of the head's web UIs, as reached from this machine: a plain port when it is published,
 * else the UI's path behind the front door, else null.
 */
export interface ClusterUrls {
  sparkUi: string | null;
  shiny: string | null;
  jupyter: string | null;
  /** RStudio Server; it answers only when the image has RStudio (see credentials()). */
  rstudio: string | null;
  /** Spark's history server: the UIs of applications that ended. */
  sparkHistory: string | null;
  /** Spark Connect (`sc://host:port`; the token is in {@link SparkCluster.connectInfo}). */
  sparkConnect: string | null;
  /**
   * The front door (HTTPS, the IDE login): JupyterLab at its root, the Spark master UI at
   * /spark/, the history server at /history/, the Shiny apps at /shiny/, RStudio at /rstudio/.
   */
  frontDoor: string | null;
}

/** How a Spark Connect client reaches the cluster. */
export interface ConnectInfo {
  /**
   * The connection string for `SparkSession.builder.remote()`, with the token: keep it like a
   * password.
   */
  url: string;
  host: string;
  port: number;
  token: string;
  /**
   * The CA certificate (PEM) the endpoint's TLS certificate chains to, when Spark Connect is
   * served through the front door (`use_ssl=true` in the URL); null when the port speaks plain
   * gRPC. gRPC clients trust it through GRPC_DEFAULT_SSL_ROOTS_FILE_PATH.
   */
  caCertificate: string | null;
}

/** How to log in to the head's IDEs: one user and password for JupyterLab and RStudio Server. */
export interface ClusterCredentials {
  ide: {
    user: string;
    password: string;
    /** Where JupyterLab answers from here, or null when its port is unpublished. */
    jupyter: string | null;
    /**
     * Where RStudio Server answers from here; null when its port is unpublished or the image has
     * none.
     */
    rstudio: string | null;
    /**
     * Whether this image has RStudio Server (it is absent when Posit's .deb could not be had at
     * build time).
     */
    rstudioInstalled: boolean;
  };
  /**
   * The front door (null when it is off): its URL, the CA certificate (PEM) its certificate
   * chains to, for the browser or client to trust, and when the certificate it serves expires
   * (ISO 8601; a new one is made as SECURITY.md says).
   */
  frontDoor: { url: string; caCertificate: string; certificateExpires: string } | null;
}

/** Spark's view when the master answered, or why it did not. */
export type SparkView =
  (SparkStatus & { reachable: true }) | { reachable: false; aliveWorkers: 0; error: string };

/**
 * What the cluster is waiting for, in the order it gets there: Swarm runs every task, the master
 * answers, the master is ALIVE (not recovering), every worker task is registered with it.
 */
export type ReadinessState =
  | 'ready'
  | 'tasks-not-running'
  | 'master-unreachable'
  | 'master-not-alive'
  | 'workers-not-registered';

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

/** The label on a service deployed by image ID that keeps the name it was built as. */
export const IMAGE_TAG_LABEL = 'org.spark-rstudio-shiny.image-tag';

/** Where the head's web UIs answer from this machine. */
export function clusterUrls(config: ClusterConfig): ClusterUrls {
  // Like the plain ones, the URLs through the door end without a slash (`${urls.shiny}/app/`).
  const door = config.ports.https === null ? null : `https://${config.host}:${config.ports.https}`;
  const at = (port: number | null, path: string): string | null =>
    port !== null ? `http://${config.host}:${port}` : door === null ? null : `${door}${path}`;
  return {
    sparkUi: at(config.ports.sparkUi, '/spark'),
    shiny: at(config.ports.shiny, '/shiny'),
    jupyter: at(config.ports.jupyter, ''),
    rstudio: at(config.ports.rstudio, '/rstudio'),
    sparkHistory: at(config.ports.sparkHistory, '/history'),
    sparkConnect:
      config.ports.sparkConnect === null
        ? null
        : `sc://${config.host}:${config.ports.sparkConnect}`,
    frontDoor: door === null ? null : `${door}/`,
  };
}

function shortName(fullName: string, stackName: string): ServiceName | undefined {
  const name = fullName.startsWith(`${stackName}_`)
    ? fullName.slice(stackName.length + 1)
    : fullName;
  return name === 'master' || name === 'worker' ? name : undefined;
}

/**
 * The image a service runs, as it was deployed. Swarm pins a tag to its digest (name:tag@sha256:…),
 * shown as the tag; an image ID (sha256:…) or a reference by digest alone (name@sha256:…) is
 * shown whole.
 */
export function imageOf(spec: string): string {
  const at = spec.indexOf('@');
  if (spec.startsWith('sha256:') || at === -1) return spec;
  const name = spec.slice(0, at);
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? name : spec;
}

/** A task's addresses without their prefix length. */
function addressesOf(task: SwarmTask): string[] {
  return (task.NetworksAttachments ?? []).flatMap((attachment) =>
    (attachment.Addresses ?? []).map((address) => address.split('/')[0] ?? address),
  );
}

/**
 * Whether a task runs. Swarm calls a task with a health check "starting" until the check passes;
 * a Spark worker's check passes once the master lists it ALIVE, which the SDK reads itself. Swarm
 * allocates overlay addresses in turn, so a new task does not get the address of one just gone.
 */
function isRunning(task: SwarmTask, aliveHosts: ReadonlySet<string>): boolean {
  if (task.DesiredState !== 'running') return false;
  return (
    task.Status.State === 'running' ||
    (task.Status.State === 'starting' &&
      addressesOf(task).some((address) => aliveHosts.has(address)))
  );
}

function toServiceStatus(
  service: SwarmService,
  tasks: SwarmTask[],
  stackName: string,
  aliveHosts: ReadonlySet<string>,
): ServiceStatus {
  const own = tasks.filter((task) => task.ServiceID === service.ID);
  const running = own.filter((task) => isRunning(task, aliveHosts));
  const image = service.Spec.TaskTemplate.ContainerSpec.Image;
  return {
    name: shortName(service.Spec.Name, stackName) ?? 'worker',
    fullName: service.Spec.Name,
    image: imageOf(service.Spec.TaskTemplate.ContainerSpec.Image),
    imageTag: service.Spec.Labels?.[IMAGE_TAG_LABEL],
    running: running.length,
    upToDate: running.filter(
      (task) =>
        task.Spec?.ContainerSpec?.Image === undefined || task.Spec.ContainerSpec.Image === image,
    ).length,
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
    image: imageOf(task.Spec?.ContainerSpec?.Image ?? ''),
    error: task.Status.Err === undefined || task.Status.Err === '' ? undefined : task.Status.Err,
    timestamp: task.Status.Timestamp,
    addresses: addressesOf(task),
  };
}

/** What the cluster waits for, from Swarm's and Spark's views. */
export function readinessOf(services: ServiceStatus[], spark: SparkView): Readiness {
  const behind = services.filter((service) => service.running !== service.desired);
  if (behind.length > 0) {
    return {
      state: 'tasks-not-running',
      detail: `Swarm runs ${behind.map((service) => `${service.running}/${service.desired} ${service.name} task(s)`).join(' and ')}`,
    };
  }
  // Swarm keeps an update "updating" for its monitor period after the last task: the tasks say
  // more.
  const rolling = services.filter((service) => service.upToDate !== service.desired);
  if (rolling.length > 0) {
    return {
      state: 'tasks-not-running',
      detail: `Swarm is rolling ${rolling.map((service) => `${service.name} (${service.upToDate}/${service.desired} on the new image)`).join(' and ')}`,
    };
  }
  if (!spark.reachable)
    return {
      state: 'master-unreachable',
      detail: `the Spark master does not answer: ${spark.error}`,
    };
  if (spark.status !== 'ALIVE')
    return { state: 'master-not-alive', detail: `the Spark master is ${spark.status}` };
  const wanted = services.find((service) => service.name === 'worker')?.desired ?? 0;
  if (spark.aliveWorkers !== wanted) {
    return {
      state: 'workers-not-registered',
      detail: `every worker task runs, and ${spark.aliveWorkers} of ${wanted} worker(s) are registered ALIVE with the master`,
    };
  }
  return { state: 'ready', detail: `${wanted} worker(s) ALIVE` };
}

/** The status of a stack from one read of Swarm and one of Spark. */
export function clusterStatus(
  config: ClusterConfig,
  state: StackState,
  spark: SparkView,
): ClusterStatus {
  const aliveHosts = new Set(
    spark.reachable
      ? spark.workers.filter((worker) => worker.state === 'ALIVE').map((worker) => worker.host)
      : [],
  );
  const services = state.services.map((service) =>
    toServiceStatus(service, state.tasks, config.stackName, aliveHosts),
  );
  const readiness = readinessOf(services, spark);
  return {
    stackName: config.stackName,
    services,
    tasks: state.tasks.map((task) => toTaskStatus(task, state.services, config.stackName)),
    nodes: state.nodes,
    spark,
    urls: clusterUrls(config),
    ready: readiness.state === 'ready',
    readiness,
  };
}

/** One line for messages: each view, and what the cluster waits for. */
export function describeStatus(status: ClusterStatus | undefined): string {
  if (status === undefined) return 'no status could be read';
  const swarm = status.services
    .map((service) => `${service.name} ${service.running}/${service.desired}`)
    .join(', ');
  const spark = status.spark.reachable
    ? `${status.spark.aliveWorkers} ALIVE`
    : `master unreachable (${status.spark.error})`;
  return `swarm: ${swarm}; spark: ${spark}; waiting for: ${status.readiness.detail}`;
}
