// Swarm's view of a stack through the docker CLI: works against any engine the CLI reaches
// (DOCKER_HOST, DOCKER_CONTEXT, or a test's recorded client).
import {
  retryTransient,
  STACK_NAMESPACE_LABEL,
  type DockerClient,
} from '@spark-rstudio-shiny/core';
import {
  nodeLsLineSchema,
  parseJson,
  parseJsonLines,
  servicesSchema,
  tasksSchema,
  type SwarmService,
  type SwarmTask,
} from '../cluster/docker-output.js';
import type { StackReader, StackState, SwarmNodeState } from '../cluster/stack-state.js';

/** Reads through the docker CLI: works against any engine the CLI reaches. */
export class CliStackReader implements StackReader {
  readonly #docker: DockerClient;

  constructor(docker: DockerClient) {
    this.#docker = docker;
  }

  async services(stackName: string, signal?: AbortSignal): Promise<SwarmService[]> {
    const signalOption = signal === undefined ? {} : { signal };
    return retryTransient(
      async () => {
        const ids = await this.#docker.run(
          ['service', 'ls', '-q', '--filter', `label=${STACK_NAMESPACE_LABEL}=${stackName}`],
          { timeoutMs: 30_000, ...signalOption },
        );
        if (ids.stdout === '') return [];
        const inspected = await this.#docker.run(
          ['service', 'inspect', ...ids.stdout.split('\n')],
          { timeoutMs: 30_000, ...signalOption },
        );
        return parseJson(inspected.stdout, servicesSchema, 'docker service inspect');
      },
      { signal },
    );
  }

  async read(stackName: string, signal?: AbortSignal): Promise<StackState> {
    const services = await this.services(stackName, signal);
    if (services.length === 0) return { services, tasks: [], nodes: [] };
    const [tasks, nodes] = await Promise.all([this.#tasks(services, signal), this.#nodes(signal)]);
    return { services, tasks, nodes };
  }

  async #tasks(services: SwarmService[], signal: AbortSignal | undefined): Promise<SwarmTask[]> {
    const signalOption = signal === undefined ? {} : { signal };
    return retryTransient(
      async () => {
        const ids = await this.#docker.run(
          ['service', 'ps', '-q', '--no-trunc', ...services.map((service) => service.ID)],
          { timeoutMs: 30_000, ...signalOption },
        );
        const list = ids.stdout.split('\n').filter((id) => id !== '');
        if (list.length === 0) return [];
        const inspected = await this.#docker.run(['inspect', '--type', 'task', ...list], {
          timeoutMs: 30_000,
          ...signalOption,
        });
        return parseJson(inspected.stdout, tasksSchema, 'docker inspect (tasks)');
      },
      { signal },
    );
  }

  async #nodes(signal: AbortSignal | undefined): Promise<SwarmNodeState[]> {
    const { stdout } = await retryTransient(
      () =>
        this.#docker.run(['node', 'ls', '--format', '{{json .}}'], {
          timeoutMs: 30_000,
          ...(signal === undefined ? {} : { signal }),
        }),
      {
        signal,
      },
    );
    return parseJsonLines(stdout, nodeLsLineSchema, 'docker node ls').map((node) => ({
      id: node.ID,
      hostname: node.Hostname,
      state: node.Status,
      availability: node.Availability,
      managerStatus:
        node.ManagerStatus === undefined || node.ManagerStatus === ''
          ? undefined
          : node.ManagerStatus,
    }));
  }
}
