// The options a stack was deployed with, read back from the label deploy() puts on its Swarm
// services or its Compose containers, so that any process can attach to a running stack.
import {
  CONFIG_LABEL,
  isSrsError,
  STACK_NAMESPACE_LABEL,
  stackServiceName,
  type DockerClient,
} from '@spark-rstudio-shiny/core';
import {
  clusterConfigSchema,
  parseConfigLabel,
  type ClusterConfig,
} from '@spark-rstudio-shiny/stack';
import { z } from 'zod';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL } from './compose/compose-state.js';
import { parseJson, servicesSchema } from './cluster/docker-output.js';

/** Swarm services' labels, or none when this engine is not a swarm manager (Compose only). */
async function swarmServices(
  docker: DockerClient,
  filters: string[],
  signal: AbortSignal | undefined,
): Promise<{ name: string; labels: Record<string, string> }[]> {
  const signalOption = signal === undefined ? {} : { signal };
  let ids: string;
  try {
    ids = (
      await docker.run(
        ['service', 'ls', '-q', ...filters.flatMap((filter) => ['--filter', filter])],
        { timeoutMs: 30_000, ...signalOption },
      )
    ).stdout;
  } catch (error) {
    if (
      isSrsError(error, 'DOCKER_COMMAND_FAILED') &&
      /not a swarm manager/i.test(`${error.message}\n${error.stderr ?? ''}`)
    )
      return [];
    throw error;
  }
  if (ids === '') return [];
  const services = parseJson(
    (
      await docker.run(['service', 'inspect', ...ids.split('\n')], {
        timeoutMs: 30_000,
        ...signalOption,
      })
    ).stdout,
    servicesSchema,
    'docker service inspect',
  );
  return services.map((service) => ({
    name: service.Spec.Name,
    labels: service.Spec.Labels ?? {},
  }));
}

/** The labels of Compose head containers (one per project, the newest first). */
async function composeHeads(
  docker: DockerClient,
  filters: string[],
  signal: AbortSignal | undefined,
): Promise<{ name: string; labels: Record<string, string> }[]> {
  const signalOption = signal === undefined ? {} : { signal };
  const all = [`label=${COMPOSE_SERVICE_LABEL}=master`, `label=${CONFIG_LABEL}`, ...filters];
  const ids = (
    await docker.run(['ps', '-aq', ...all.flatMap((filter) => ['--filter', filter])], {
      timeoutMs: 30_000,
      ...signalOption,
    })
  ).stdout;
  if (ids === '') return [];
  const schema = z.array(
    z.looseObject({
      Name: z.string(),
      Config: z.looseObject({ Labels: z.record(z.string(), z.string()).nullable().optional() }),
    }),
  );
  const containers = parseJson(
    (
      await docker.run(['inspect', '--type', 'container', ...ids.split('\n')], {
        timeoutMs: 30_000,
        ...signalOption,
      })
    ).stdout,
    schema,
    'docker inspect (containers)',
  );
  return containers.map((container) => ({
    name: container.Name.replace(/^\//, ''),
    labels: container.Config.Labels ?? {},
  }));
}

/**
 * The options the stack was deployed with, read from its head; undefined when no such stack
 * runs. A Swarm stack deployed without the label (by hand, or by an older SDK) gives the
 * defaults under its name.
 */
export async function readDeployedConfig(
  docker: DockerClient,
  stackName: string,
  signal?: AbortSignal,
): Promise<ClusterConfig | undefined> {
  const [service] = await swarmServices(
    docker,
    [
      `name=${stackServiceName(stackName, 'master')}`,
      `label=${STACK_NAMESPACE_LABEL}=${stackName}`,
    ],
    signal,
  );
  if (service !== undefined) {
    const value = service.labels[CONFIG_LABEL];
    return value === undefined
      ? clusterConfigSchema.parse({ stackName })
      : parseConfigLabel(value, service.name);
  }
  const [head] = await composeHeads(
    docker,
    [`label=${COMPOSE_PROJECT_LABEL}=${stackName}`],
    signal,
  );
  return head === undefined
    ? undefined
    : parseConfigLabel(head.labels[CONFIG_LABEL] as string, head.name);
}

/**
 * The options of every stack deployed by this SDK on this engine (Swarm stacks and Compose
 * projects), by name. A stack whose recorded options this SDK cannot read (one a newer SDK
 * deployed, with options this one does not know) is left out rather than failing the list;
 * attaching to it by name says why.
 */
export async function listDeployedConfigs(
  docker: DockerClient,
  signal?: AbortSignal,
): Promise<ClusterConfig[]> {
  const heads = [
    ...(await swarmServices(docker, [`label=${CONFIG_LABEL}`], signal)).filter((service) =>
      service.name.endsWith('_master'),
    ),
    ...(await composeHeads(docker, [], signal)),
  ];
  const configs = new Map<string, ClusterConfig>();
  for (const head of heads) {
    try {
      const config = parseConfigLabel(head.labels[CONFIG_LABEL] as string, head.name);
      configs.set(config.stackName, config);
    } catch (error) {
      if (!isSrsError(error, 'INVALID_CONFIGURATION')) throw error;
    }
  }
  return [...configs.values()].sort((a, b) => a.stackName.localeCompare(b.stackName));
}
