// Reads from the Docker Engine API over this machine's unix socket: the same JSON the CLI's
// inspect commands print, without starting a process per read (a status poll is 3 requests
// instead of 5 docker processes). Only GETs: everything that changes state goes through the CLI.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SrsError } from '../errors/srs-error.js';

const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * The socket the docker CLI would talk to, when it is a local one: DOCKER_HOST unset or
 * `unix://…`, no DOCKER_CONTEXT and no other context chosen in the CLI's config. Undefined
 * otherwise (a remote engine is read through the CLI, which knows how to reach it).
 */
export function localEngineSocket(
  env: NodeJS.ProcessEnv = process.env,
  host: string | undefined = undefined,
): string | undefined {
  const dockerHost = host ?? env.DOCKER_HOST ?? '';
  if (dockerHost !== '')
    return dockerHost.startsWith('unix://') ? dockerHost.slice('unix://'.length) : undefined;
  if ((env.DOCKER_CONTEXT ?? '') !== '' && env.DOCKER_CONTEXT !== 'default') return undefined;
  try {
    const config = JSON.parse(
      readFileSync(join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json'), 'utf8'),
    ) as { currentContext?: unknown };
    if (
      typeof config.currentContext === 'string' &&
      config.currentContext !== '' &&
      config.currentContext !== 'default'
    )
      return undefined;
  } catch {
    // No CLI config: the default context.
  }
  return DEFAULT_SOCKET;
}

/** GETs `path` (with `query` as JSON-encoded filters and the like) and parses the JSON answer. */
export function engineGet(
  socketPath: string,
  path: string,
  options: {
    query?: Record<string, string>;
    signal?: AbortSignal | undefined;
    timeoutMs?: number;
  } = {},
): Promise<unknown> {
  const search = new URLSearchParams(options.query ?? {}).toString();
  const target = `${path}${search === '' ? '' : `?${search}`}`;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: target,
        method: 'GET',
        headers: { Host: 'docker' },
        timeout: options.timeoutMs ?? 30_000,
        signal: options.signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(transportError(error, socketPath, target)));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            try {
              resolve(JSON.parse(body));
            } catch (error) {
              reject(
                new SrsError({
                  code: 'DOCKER_COMMAND_FAILED',
                  message: `the engine answered GET ${target} with a body that is not JSON`,
                  hint: 'check the engine at ' + socketPath,
                  cause: error,
                  retryable: true,
                }),
              );
            }
            return;
          }
          const message = (() => {
            try {
              return (JSON.parse(body) as { message?: string }).message ?? body;
            } catch {
              return body;
            }
          })();
          reject(
            new SrsError({
              code: 'DOCKER_COMMAND_FAILED',
              message: `the engine answered GET ${target} with HTTP ${status}: ${message.trim()}`,
              hint:
                status === 503
                  ? 'this engine is not a swarm manager, or the swarm has no leader: see `docker info`'
                  : 'see the engine log',
              // A swarm between leaders answers 503 for a moment; a 4xx is a question waiting
              // cannot fix.
              retryable: status >= 500,
            }),
          );
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new SrsError({
          code: 'DOCKER_COMMAND_TIMEOUT',
          message: `the engine did not answer GET ${target} in time`,
          hint: 'the engine may be overloaded or hung; check `docker info`',
          retryable: true,
        }),
      ),
    );
    req.on('error', (error) =>
      reject(error instanceof SrsError ? error : transportError(error, socketPath, target)),
    );
    req.end();
  });
}

function transportError(
  error: Error & { code?: string },
  socketPath: string,
  target: string,
): SrsError {
  if (error.name === 'AbortError')
    return new SrsError({ code: 'ABORTED', message: `aborted: GET ${target}`, cause: error });
  return new SrsError({
    code: 'DOCKER_DAEMON_UNREACHABLE',
    message: `no Docker engine answers on ${socketPath} (${error.code ?? error.message})`,
    hint:
      error.code === 'EACCES'
        ? 'this user may not use the socket: join the docker group, or set DOCKER_HOST'
        : 'start the engine (systemctl start docker, or dockerd &) and check DOCKER_HOST',
    cause: error,
  });
}
