import { createServer } from 'node:net';
import type { ClusterConfig } from '@spark-rstudio-shiny/stack';
import { isSrsError, SrsError, type DockerClient } from '@spark-rstudio-shiny/core';
import { parseJson } from './docker-output.js';
import { z } from 'zod';

/** A host port the stack would publish, and who holds it. */
export interface PortConflict {
  /** The option that sets it (ports.sparkUi …). */
  option: string;
  port: number;
  /** "stack demo (service demo_master)", "container web-1", or "a program on this host". */
  holder: string;
}

const publishedServiceSchema = z.array(
  z.looseObject({
    Spec: z.looseObject({
      Name: z.string(),
      Labels: z.record(z.string(), z.string()).optional(),
      EndpointSpec: z
        .looseObject({
          Ports: z
            .array(
              z.looseObject({
                PublishedPort: z.number().optional(),
                PublishMode: z.string().optional(),
              }),
            )
            .optional(),
        })
        .optional(),
    }),
  }),
);

/** The host ports the configuration publishes, by option name. */
export function publishedPorts(config: ClusterConfig): { option: string; port: number }[] {
  return Object.entries(config.ports)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([name, port]) => ({ option: `ports.${name}`, port }));
}

/** Whether something on this host listens on the port (all interfaces). */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'EADDRINUSE' || error.code === 'EACCES'),
    );
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () =>
      server.close(() => resolve(false)),
    );
  });
}

/** Which services of the swarm publish which host ports: port → service name and stack. */
async function swarmPublishers(
  docker: DockerClient,
  signal: AbortSignal | undefined,
): Promise<Map<number, { service: string; stack: string | undefined }>> {
  const signalOption = signal === undefined ? {} : { signal };
  const found = new Map<number, { service: string; stack: string | undefined }>();
  let ids: string;
  try {
    ids = (await docker.run(['service', 'ls', '-q'], { timeoutMs: 30_000, ...signalOption }))
      .stdout;
  } catch (error) {
    // An engine outside a swarm (Compose mode) has no services to ask.
    if (
      isSrsError(error, 'DOCKER_COMMAND_FAILED') &&
      /not a swarm manager/i.test(`${error.message}\n${error.stderr ?? ''}`)
    )
      return found;
    throw error;
  }
  if (ids === '') return found;
  const services = parseJson(
    (
      await docker.run(['service', 'inspect', ...ids.split('\n')], {
        timeoutMs: 30_000,
        ...signalOption,
      })
    ).stdout,
    publishedServiceSchema,
    'docker service inspect',
  );
  for (const service of services) {
    for (const port of service.Spec.EndpointSpec?.Ports ?? []) {
      if (port.PublishedPort !== undefined)
        found.set(port.PublishedPort, {
          service: service.Spec.Name,
          stack: service.Spec.Labels?.['com.docker.stack.namespace'],
        });
    }
  }
  return found;
}

/**
 * The ports this stack would publish that something else holds: another stack or service of the
 * swarm, a container, or (when the engine is this machine's) a program on this host. Ports the
 * stack itself holds (a redeploy) are not conflicts.
 */
export async function findPortConflicts(
  docker: DockerClient,
  config: ClusterConfig,
  options: { localEngine: boolean; signal?: AbortSignal | undefined },
): Promise<PortConflict[]> {
  const publishers = await swarmPublishers(docker, options.signal);
  const conflicts: PortConflict[] = [];
  for (const { option, port } of publishedPorts(config)) {
    const publisher = publishers.get(port);
    if (publisher !== undefined) {
      if (publisher.stack !== config.stackName)
        conflicts.push({
          option,
          port,
          holder:
            publisher.stack === undefined
              ? `service ${publisher.service}`
              : `stack ${publisher.stack} (service ${publisher.service})`,
        });
      continue;
    }
    if (!options.localEngine || !(await portTaken(port))) continue;
    const line =
      (
        await docker.run(
          [
            'ps',
            '--filter',
            `publish=${port}`,
            '--format',
            '{{.Names}}\t{{.Label "com.docker.compose.project"}}',
          ],
          {
            timeoutMs: 30_000,
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          },
        )
      ).stdout.split('\n')[0] ?? '';
    const [container = '', project = ''] = line.split('\t');
    // The stack's own Compose containers hold its ports between deploys.
    if (config.orchestrator === 'compose' && project === config.stackName) continue;
    conflicts.push({
      option,
      port,
      holder:
        container === ''
          ? 'a program on this host'
          : project === ''
            ? `container ${container}`
            : `container ${container} (Compose project ${project})`,
    });
  }
  return conflicts;
}

/** The error for port conflicts: each port, its option and its holder, and what to do. */
export function portInUseError(conflicts: PortConflict[]): SrsError {
  const lines = conflicts.map(
    (conflict) => `port ${conflict.port} (${conflict.option}) is taken by ${conflict.holder}`,
  );
  return new SrsError({
    code: 'PORT_IN_USE',
    message: `cannot publish the stack's ports: ${lines.join('; ')}`,
    hint: 'choose free ports (srs up --port-spark-ui …, or ports: { … } in the SDK; null/none leaves one unpublished), or stop what holds them',
  });
}
