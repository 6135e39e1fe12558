// Waiting for a stack to be ready: Swarm runs every task and Spark has the wanted number of
// ALIVE workers. States that waiting cannot fix end the wait at once with a typed error.
import { SrsError, stackServiceName, waitUntil } from '@spark-rstudio-shiny/core';
import type { ClusterConfig } from '@spark-rstudio-shiny/stack';
import { describeStatus, type ClusterStatus, type TaskStatus } from './cluster-status.js';
import { publishedPorts } from './port-conflicts.js';
import { FAILED_TASK_STATES, type SwarmService } from './docker-output.js';

/** Options of calls that wait. */
export interface WaitOptions {
  /** Give up after this many milliseconds (default 5 minutes). */
  timeoutMs?: number | undefined;
  /** Stops waiting with ABORTED. */
  signal?: AbortSignal | undefined;
  /** Called with every status read while waiting (for progress: "1/2 workers ALIVE"). */
  onStatus?: ((status: ClusterStatus) => void) | undefined;
}

export const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * How long a task may stay unplaceable before the wait ends: a rolling update frees a host port
 * within seconds (stop-first), a port held by something else stays taken.
 */
export const UNPLACEABLE_GRACE_MS = 8000;

/** What a wait reads the cluster with. */
export interface ReadinessProbe {
  config: ClusterConfig;
  /** One read of the cluster: its status, and the Swarm services it was made from. */
  observe(signal: AbortSignal): Promise<{ status: ClusterStatus; services: SwarmService[] }>;
  services(signal: AbortSignal | undefined): Promise<SwarmService[]>;
  unplaceableGraceMs: number;
  /** Milliseconds between reads. */
  intervalMs: number;
}

const ROLLBACK_STATES = new Set([
  'rollback_started',
  'rollback_paused',
  'rollback_completed',
  'paused',
]);

/**
 * Which update (or rollback) a service is in or had last: Swarm gives each its own start time and
 * keeps it until the next one, so a rollback seen as "started" and later as "completed" is one
 * rollback, and a wait that begins during a rollback does not take its end for a new one.
 */
function updateMark(service: SwarmService): string {
  const update = service.UpdateStatus;
  return update === undefined ? '' : (update.StartedAt ?? update.State);
}

/**
 * The update marks of the stack's services now: a rollback seen later is new only when its mark
 * differs.
 */
export async function updateMarks(
  probe: Pick<ReadinessProbe, 'services'>,
  signal: AbortSignal | undefined,
): Promise<Map<string, string>> {
  const services = await probe.services(signal).catch(() => [] as SwarmService[]);
  return new Map(services.map((service) => [service.ID, updateMark(service)]));
}

/**
 * Waits until Swarm converged and Spark has `workers` ALIVE workers, or a state no wait can fix.
 */
export async function waitForReady(
  probe: ReadinessProbe,
  workers: number,
  options: WaitOptions & { updateMarks: Map<string, string> },
): Promise<ClusterStatus> {
  const since = Date.now() - 1000;
  const stuckSince = new Map<string, number>();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let last: ClusterStatus | undefined;
  try {
    return await waitUntil(
      async (signal) => {
        const { status, services } = await probe.observe(signal);
        last = status;
        options.onStatus?.(status);
        failFast(probe, status, since, stuckSince);
        checkRollback(services, options.updateMarks);
        // Ready (every task running on the current image, the master ALIVE, as many ALIVE workers
        // as the service wants), with the number of workers this wait is for.
        const worker = status.services.find((service) => service.name === 'worker');
        return status.ready && worker?.desired === workers ? status : undefined;
      },
      {
        description: `${workers} ALIVE Spark worker(s) in stack ${probe.config.stackName}`,
        timeoutMs,
        intervalMs: probe.intervalMs,
        signal: options.signal,
      },
    );
  } catch (error) {
    if (!(error instanceof SrsError && error.code === 'WAIT_TIMEOUT')) throw error;
    const errors = (last?.tasks ?? [])
      .flatMap((task) => (task.error ? [`${task.service}.${task.slot ?? '?'}: ${task.error}`] : []))
      .slice(0, 5);
    throw new SrsError({
      code: 'CONVERGENCE_TIMEOUT',
      message: `stack ${probe.config.stackName} did not reach ${workers} ALIVE worker(s) in ${timeoutMs} ms: ${describeStatus(last)}${errors.length === 0 ? '' : `\nlast task errors:\n  ${errors.join('\n  ')}`}`,
      hint:
        last?.readiness.state === 'workers-not-registered' && last.nodes.length > 1
          ? 'workers run but do not reach the master: on several nodes, the overlay network needs UDP 4789 between them, and IP protocol 50 (ESP) when it is encrypted (security.encryptOverlay); see `srs logs worker`'
          : 'look at `srs logs master` and `srs logs worker`; on a small machine give workers less memory or wait longer',
      cause: error,
    });
  }
}

/**
 * States waiting cannot fix end the wait now: tasks failing again and again (the task's own
 * error), and tasks Swarm cannot place (a host port taken, no node with the resources or
 * constraints) for longer than a rolling update would explain.
 */
function failFast(
  probe: ReadinessProbe,
  status: ClusterStatus,
  since: number,
  stuckSince: Map<string, number>,
): void {
  const now = Date.now();
  const name = (task: TaskStatus): string => stackServiceName(probe.config.stackName, task.service);
  for (const task of status.tasks) {
    const stuck =
      task.desiredState === 'running' &&
      task.state === 'pending' &&
      task.error !== undefined &&
      /no suitable node|insufficient resources|port already in use/i.test(task.error);
    if (!stuck) {
      stuckSince.delete(task.id);
      continue;
    }
    const first = stuckSince.get(task.id) ?? now;
    stuckSince.set(task.id, first);
    if (now - first < probe.unplaceableGraceMs) continue;
    if (/port already in use/i.test(task.error ?? '')) {
      const ports = publishedPorts(probe.config)
        .map((entry) => `${entry.port} (${entry.option})`)
        .join(', ');
      throw new SrsError({
        code: 'PORT_IN_USE',
        message: `${name(task)} cannot start: Swarm says "${task.error}"; the stack publishes ${ports}`,
        hint: 'choose free ports (srs up --port-spark-ui …, or ports: { … } in the SDK), or stop what holds them; srs doctor lists taken ports',
      });
    }
    throw new SrsError({
      code: 'NO_SUITABLE_NODE',
      message: `${name(task)} cannot be placed: Swarm says "${task.error}"`,
      hint: /image/i.test(task.error ?? '')
        ? 'the image is missing on the nodes Swarm could use: srs up --distribute-to, or push it to a registry every node can pull from'
        : 'give the swarm a node that fits (resources: worker.cores/worker.memory, master.cpus/master.memory; constraints: a manager for the head), or ask for less',
    });
  }
  for (const service of ['master', 'worker'] as const) {
    const failures = status.tasks.filter(
      (task) =>
        task.service === service &&
        FAILED_TASK_STATES.has(task.state) &&
        Date.parse(task.timestamp) >= since,
    );
    if (failures.length < 3) continue;
    const latest = failures.sort(
      (a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp),
    )[0] as TaskStatus;
    throw new SrsError({
      code: 'TASK_FAILED',
      message: `${stackServiceName(probe.config.stackName, service)} tasks keep failing (${failures.length} ${latest.state}): ${latest.error ?? 'no error given'}`,
      hint: /No such image/i.test(latest.error ?? '')
        ? 'build the image (srs build) or push it to a registry every node can pull from'
        : `see \`srs logs ${service}\` for why the container stops`,
    });
  }
}

/** A rollback that started since the wait began: the new configuration did not come up. */
function checkRollback(services: SwarmService[], before: Map<string, string>): void {
  for (const service of services) {
    const update = service.UpdateStatus;
    if (update === undefined || !ROLLBACK_STATES.has(update.State)) continue;
    if (before.get(service.ID) === updateMark(service)) continue;
    throw new SrsError({
      code: 'ROLLBACK_HAPPENED',
      message:
        `Swarm rolled back the update of ${service.Spec.Name} (${update.State}): ${update.Message ?? ''}`.trim(),
      hint: 'the new configuration or image did not come up; see the service logs (srs logs master), fix it and deploy again',
    });
  }
}
