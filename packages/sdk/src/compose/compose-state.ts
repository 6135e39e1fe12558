// A Compose project read as Swarm would show it: one "service" per Compose service, one "task"
// per container, so that status, readiness and waiting are the same code for both orchestrators.
import { CONFIG_LABEL, retryTransient, type DockerClient } from '@spark-rstudio-shiny/core';
import { z } from 'zod';
import type { StackReader, StackState } from '../cluster/stack-state.js';
import { parseJson, type SwarmService, type SwarmTask } from '../cluster/docker-output.js';

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';
const COMPOSE_NUMBER_LABEL = 'com.docker.compose.container-number';

/** One container from `docker inspect` (the fields used; the rest passes through). */
const containerSchema = z.looseObject({
  Id: z.string(),
  Created: z.string(),
  RestartCount: z.number().optional(),
  State: z.looseObject({
    Status: z.string(),
    ExitCode: z.number().optional(),
    Error: z.string().optional(),
    StartedAt: z.string().optional(),
    FinishedAt: z.string().optional(),
  }),
  Config: z.looseObject({
    Image: z.string(),
    Labels: z.record(z.string(), z.string()).nullable().optional(),
  }),
});
export type ComposeContainer = z.infer<typeof containerSchema>;

/** The containers of a Compose project (every state), optionally of one of its services. */
export async function projectContainers(
  docker: DockerClient,
  project: string,
  service?: string,
  signal?: AbortSignal,
): Promise<ComposeContainer[]> {
  const signalOption = signal === undefined ? {} : { signal };
  return retryTransient(
    async () => {
      const filters = [
        `label=${COMPOSE_PROJECT_LABEL}=${project}`,
        ...(service === undefined ? [] : [`label=${COMPOSE_SERVICE_LABEL}=${service}`]),
      ];
      const ids = await docker.run(
        ['ps', '-aq', ...filters.flatMap((filter) => ['--filter', filter])],
        { timeoutMs: 30_000, ...signalOption },
      );
      if (ids.stdout === '') return [];
      // A container removed between the two calls is not an error: read again.
      const inspected = await docker.run(
        ['inspect', '--type', 'container', ...ids.stdout.split('\n')],
        { timeoutMs: 30_000, ...signalOption },
      );
      return parseJson(inspected.stdout, z.array(containerSchema), 'docker inspect (containers)');
    },
    { signal },
  );
}

/**
 * A container's state in Swarm's words: running, failed (exited with an error, or restarting after
 * one), complete, pending.
 */
function taskState(container: ComposeContainer): { state: string; error: string | undefined } {
  const { Status, ExitCode, Error: error } = container.State;
  if (Status === 'running') return { state: 'running', error: undefined };
  if (Status === 'created') return { state: 'pending', error: undefined };
  const code = ExitCode ?? 0;
  const why = error !== undefined && error !== '' ? error : `exit code ${code}`;
  if (Status === 'restarting') return { state: 'failed', error: `restarting after ${why}` };
  return code === 0 && (error ?? '') === ''
    ? { state: 'complete', error: undefined }
    : { state: 'failed', error: why };
}

/** The project as Swarm-shaped services and tasks. */
export function composeStackState(project: string, containers: ComposeContainer[]): StackState {
  const byService = new Map<string, ComposeContainer[]>();
  for (const container of containers) {
    const service = container.Config.Labels?.[COMPOSE_SERVICE_LABEL];
    if (service === undefined) continue;
    byService.set(service, [...(byService.get(service) ?? []), container]);
  }
  const services: SwarmService[] = [];
  const tasks: SwarmTask[] = [];
  for (const [name, own] of [...byService.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const newest = [...own].sort(
      (a, b) => Date.parse(b.Created) - Date.parse(a.Created),
    )[0] as ComposeContainer;
    const id = `${project}_${name}`;
    services.push({
      ID: id,
      Spec: {
        Name: `${project}_${name}`,
        Labels: Object.fromEntries(
          Object.entries(newest.Config.Labels ?? {}).filter(
            ([key]) => key === CONFIG_LABEL || key.startsWith('org.spark-rstudio-shiny.'),
          ),
        ),
        // Compose restarts every container it made: each is wanted.
        Mode: { Replicated: { Replicas: own.length } },
        TaskTemplate: { ContainerSpec: { Image: newest.Config.Image } },
      },
    });
    for (const container of own) {
      const { state, error } = taskState(container);
      const number = Number(container.Config.Labels?.[COMPOSE_NUMBER_LABEL]);
      tasks.push({
        ID: container.Id,
        ServiceID: id,
        NodeID: 'local',
        ...(Number.isInteger(number) ? { Slot: number } : {}),
        DesiredState: 'running',
        Status: {
          Timestamp:
            (state === 'running' ? container.State.StartedAt : container.State.FinishedAt) ??
            container.Created,
          State: state,
          ...(error === undefined ? {} : { Err: error }),
        },
        Spec: { ContainerSpec: { Image: container.Config.Image } },
      });
    }
  }
  return { services, tasks, nodes: [] };
}

/** Reads a Compose project through the docker CLI (`ps` and `inspect`: 2 processes a read). */
export class ComposeStackReader implements StackReader {
  readonly #docker: DockerClient;

  constructor(docker: DockerClient) {
    this.#docker = docker;
  }

  async services(stackName: string, signal?: AbortSignal): Promise<SwarmService[]> {
    return (await this.read(stackName, signal)).services;
  }

  async read(stackName: string, signal?: AbortSignal): Promise<StackState> {
    return composeStackState(
      stackName,
      await projectContainers(this.#docker, stackName, undefined, signal),
    );
  }
}
