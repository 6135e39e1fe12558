import type { DockerClient } from '../docker/docker-cli.js';
import { SrsError } from '../errors/srs-error.js';
import { LABEL_PREFIX } from '../image/build-image.js';
import { clusterConfigSchema, type ClusterConfig } from '../config/cluster-config.js';
import { parseJson, servicesSchema } from '../swarm/swarm-parsers.js';

/**
 * The service label that records the validated options a stack was deployed with, so that any
 * process can attach to it (status, scale, logs, URLs) without being told its ports and host again.
 */
export const CONFIG_LABEL = `${LABEL_PREFIX}.config`;

/** The label's value for a configuration. */
export function configLabelValue(config: ClusterConfig): string {
  return JSON.stringify(config);
}

/** The configuration in a label's value, validated like any input. */
export function parseConfigLabel(value: string, service: string): ClusterConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch (error) {
    throw new SrsError({ code: 'INVALID_CONFIGURATION', message: `the ${CONFIG_LABEL} label of ${service} is not JSON`, hint: 'deploy the stack again with srs up', cause: error });
  }
  const parsed = clusterConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SrsError({
      code: 'INVALID_CONFIGURATION',
      message: `the ${CONFIG_LABEL} label of ${service} does not hold valid options: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      hint: 'deploy the stack again with srs up (it rewrites the label)',
    });
  }
  return parsed.data;
}

/**
 * The options the stack was deployed with, read from its master service; undefined when no such
 * stack runs. A stack deployed without the label (by hand, or by an older SDK) gives the
 * defaults under its name.
 */
export async function readDeployedConfig(docker: DockerClient, stackName: string, signal?: AbortSignal): Promise<ClusterConfig | undefined> {
  const signalOption = signal === undefined ? {} : { signal };
  const ids = await docker.run(['service', 'ls', '-q', '--filter', `name=${stackName}_master`, '--filter', `label=com.docker.stack.namespace=${stackName}`], { timeoutMs: 30_000, ...signalOption });
  if (ids.stdout === '') return undefined;
  const [service] = parseJson((await docker.run(['service', 'inspect', ...ids.stdout.split('\n')], { timeoutMs: 30_000, ...signalOption })).stdout, servicesSchema, 'docker service inspect');
  const value = service?.Spec.Labels?.[CONFIG_LABEL];
  return value === undefined ? clusterConfigSchema.parse({ stackName }) : parseConfigLabel(value, `${stackName}_master`);
}

/** The options of every stack deployed by this SDK on this swarm, by stack name. */
export async function listDeployedConfigs(docker: DockerClient, signal?: AbortSignal): Promise<ClusterConfig[]> {
  const signalOption = signal === undefined ? {} : { signal };
  const ids = await docker.run(['service', 'ls', '-q', '--filter', `label=${CONFIG_LABEL}`], { timeoutMs: 30_000, ...signalOption });
  if (ids.stdout === '') return [];
  const services = parseJson((await docker.run(['service', 'inspect', ...ids.stdout.split('\n')], { timeoutMs: 30_000, ...signalOption })).stdout, servicesSchema, 'docker service inspect');
  const configs = new Map<string, ClusterConfig>();
  for (const service of services) {
    if (!service.Spec.Name.endsWith('_master')) continue;
    const config = parseConfigLabel(service.Spec.Labels?.[CONFIG_LABEL] as string, service.Spec.Name);
    configs.set(config.stackName, config);
  }
  return [...configs.values()].sort((a, b) => a.stackName.localeCompare(b.stackName));
}
