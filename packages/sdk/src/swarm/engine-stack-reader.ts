// The StackReader of a local engine: the Engine API over its unix socket, the same JSON as the
// CLI's inspect commands. Falls back to the CLI for good when the socket cannot be used (a user
// outside the docker group whose CLI goes through sudo, say): the CLI then says what is wrong.
import {
  engineGet,
  isSrsError,
  retryTransient,
  STACK_NAMESPACE_LABEL,
} from '@spark-rstudio-shiny/core';
import { z } from 'zod';
import type { StackReader, StackState, SwarmNodeState } from '../cluster/stack-state.js';
import type { CliStackReader } from './cli-stack-reader.js';
import { servicesSchema, tasksSchema, type SwarmService } from '../cluster/docker-output.js';

/** One node from `GET /nodes`. */
const apiNodeSchema = z.looseObject({
  ID: z.string(),
  Description: z.looseObject({ Hostname: z.string() }).optional(),
  Spec: z.looseObject({ Availability: z.string() }),
  Status: z.looseObject({ State: z.string() }),
  ManagerStatus: z
    .looseObject({ Leader: z.boolean().optional(), Reachability: z.string().optional() })
    .optional(),
});

const capitalize = (word: string): string => `${word.charAt(0).toUpperCase()}${word.slice(1)}`;

/**
 * A node as `docker node ls` words it (Ready, Active, Leader), from the API's lower-case fields.
 */
export function toNodeState(node: z.infer<typeof apiNodeSchema>): SwarmNodeState {
  const manager = node.ManagerStatus;
  return {
    id: node.ID,
    hostname: node.Description?.Hostname ?? '',
    state: capitalize(node.Status.State),
    availability: capitalize(node.Spec.Availability),
    managerStatus:
      manager === undefined
        ? undefined
        : manager.Leader === true
          ? 'Leader'
          : capitalize(manager.Reachability ?? 'unknown'),
  };
}

export class EngineStackReader implements StackReader {
  readonly #socket: string;
  readonly #fallback: CliStackReader;
  #useCli = false;

  constructor(socket: string, fallback: CliStackReader) {
    this.#socket = socket;
    this.#fallback = fallback;
  }

  async services(stackName: string, signal?: AbortSignal): Promise<SwarmService[]> {
    return this.#orCli(
      () => this.#services(stackName, signal),
      () => this.#fallback.services(stackName, signal),
    );
  }

  async read(stackName: string, signal?: AbortSignal): Promise<StackState> {
    return this.#orCli(
      async () => {
        const [services, nodes] = await Promise.all([
          this.#services(stackName, signal),
          this.#get('/nodes', {}, signal),
        ]);
        if (services.length === 0) return { services, tasks: [], nodes: [] };
        const tasks = await this.#get(
          '/tasks',
          { filters: JSON.stringify({ service: services.map((service) => service.ID) }) },
          signal,
        );
        return {
          services,
          tasks: tasksSchema.parse(tasks),
          nodes: z.array(apiNodeSchema).parse(nodes).map(toNodeState),
        };
      },
      () => this.#fallback.read(stackName, signal),
    );
  }

  async #services(stackName: string, signal: AbortSignal | undefined): Promise<SwarmService[]> {
    return servicesSchema.parse(
      await this.#get(
        '/services',
        { filters: JSON.stringify({ label: [`${STACK_NAMESPACE_LABEL}=${stackName}`] }) },
        signal,
      ),
    );
  }

  #get(
    path: string,
    query: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    return retryTransient(() => engineGet(this.#socket, path, { query, signal }), { signal });
  }

  async #orCli<T>(api: () => Promise<T>, cli: () => Promise<T>): Promise<T> {
    if (this.#useCli) return cli();
    try {
      return await api();
    } catch (error) {
      if (!isSrsError(error, 'DOCKER_DAEMON_UNREACHABLE')) throw error;
      this.#useCli = true;
      return cli();
    }
  }
}
