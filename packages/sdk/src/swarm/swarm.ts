import { type DockerClient, SrsError } from '@spark-rstudio-shiny/core';
import { parseJson, swarmInfoSchema, type SwarmInfo } from '../cluster/docker-output.js';

/** Options of {@link ensureSwarm}. */
export interface EnsureSwarmOptions {
  /**
   * Address for `docker swarm init` when no swarm exists; default 127.0.0.1 (a single-node swarm).
   */
  advertiseAddr?: string | undefined;
  /** Aborts the calls. */
  signal?: AbortSignal | undefined;
}

/** What {@link ensureSwarm} found or did. */
export type SwarmOrigin = 'existing' | 'initialized';

/** Reads this engine's swarm state. */
export async function swarmInfo(docker: DockerClient, signal?: AbortSignal): Promise<SwarmInfo> {
  const { stdout } = await docker.run(['info', '--format', '{{json .Swarm}}'], {
    timeoutMs: 30_000,
    ...(signal === undefined ? {} : { signal }),
  });
  return parseJson(stdout, swarmInfoSchema, 'docker info');
}

/**
 * Makes sure this engine is a swarm manager: initializes a single-node swarm when there is none,
 * refuses a worker node or a swarm in error with NOT_SWARM_MANAGER.
 */
export async function ensureSwarm(
  docker: DockerClient,
  options: EnsureSwarmOptions = {},
): Promise<SwarmOrigin> {
  const info = await swarmInfo(docker, options.signal);
  if (info.LocalNodeState === 'active' && info.ControlAvailable === true) return 'existing';
  if (info.LocalNodeState === 'inactive') {
    const advertise = options.advertiseAddr ?? '127.0.0.1';
    // A single-node swarm on loopback listens there too: its manager port (2377) is not for
    // anyone else. A swarm meant for other nodes is initialized on their network's address.
    const listen = advertise === '127.0.0.1' ? ['--listen-addr', '127.0.0.1:2377'] : [];
    await docker.run(['swarm', 'init', '--advertise-addr', advertise, ...listen], {
      timeoutMs: 60_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return 'initialized';
  }
  throw new SrsError({
    code: 'NOT_SWARM_MANAGER',
    message:
      info.LocalNodeState === 'active'
        ? 'this Docker engine is a swarm worker node, not a manager'
        : `this Docker engine's swarm state is "${info.LocalNodeState}"${info.Error ? `: ${info.Error}` : ''}`,
    hint: 'run against a manager node (DOCKER_HOST, or `docker node promote` this node), or `docker swarm leave --force` to start over',
  });
}
