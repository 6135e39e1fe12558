// The Docker engine the CLI talks to: whether one answers (and why not), and, only on request,
// installing or starting one. A working engine is trusted as it is: DOCKER_HOST, the current
// docker context, Docker Desktop, colima or a remote manager are used without installing anything.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { DockerCli, type DockerClient } from '../docker/docker-cli.js';
import { SrsError } from '../errors/srs-error.js';

/** The engine script (also what CI runs): see {@link installOrStartDockerEngine}. */
export const ENGINE_SCRIPT = fileURLToPath(
  new URL('../../scripts/ensure-docker-engine.sh', import.meta.url),
);

/** What the docker CLI reaches: an engine, or the typed reason there is none. */
export type EngineProbe =
  | {
      answers: true;
      /** The engine's version, e.g. "26.1.5". */
      serverVersion: string;
      /** "linux" (also for Docker Desktop) or "windows". */
      osType: string;
      /** The engine's machine architecture, e.g. "x86_64" or "aarch64". */
      architecture: string;
    }
  | {
      answers: false;
      /**
       * DOCKER_NOT_INSTALLED, DOCKER_PERMISSION_DENIED or DOCKER_DAEMON_UNREACHABLE, with a hint.
       */
      error: SrsError;
    };

/**
 * Asks the engine the docker CLI is configured for (DOCKER_HOST, the current context) whether it
 * answers. Never installs or starts anything.
 */
export async function probeEngine(
  options: { docker?: DockerClient | undefined; signal?: AbortSignal | undefined } = {},
): Promise<EngineProbe> {
  const docker = options.docker ?? new DockerCli();
  try {
    const { stdout } = await docker.run(
      ['info', '--format', '{{.ServerVersion}}|{{.OSType}}|{{.Architecture}}'],
      {
        timeoutMs: 30_000,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    const [serverVersion = '', osType = '', architecture = ''] = stdout.split('|');
    // Something that is not an engine (a proxy answering 404) leaves the fields empty.
    if (serverVersion === '') {
      return {
        answers: false,
        error: new SrsError({
          code: 'DOCKER_DAEMON_UNREACHABLE',
          message: 'what answers at the configured Docker host is not a Docker engine',
          hint: 'check DOCKER_HOST and the current docker context (docker context ls)',
        }),
      };
    }
    return { answers: true, serverVersion, osType, architecture };
  } catch (error) {
    if (
      error instanceof SrsError &&
      ['DOCKER_NOT_INSTALLED', 'DOCKER_PERMISSION_DENIED', 'DOCKER_DAEMON_UNREACHABLE'].includes(
        error.code,
      )
    ) {
      return { answers: false, error };
    }
    if (error instanceof SrsError && error.code === 'DOCKER_COMMAND_FAILED') {
      return {
        answers: false,
        error: new SrsError({
          code: 'DOCKER_DAEMON_UNREACHABLE',
          message: `no Docker engine answers: ${error.message}`,
          hint: 'start the engine, or check DOCKER_HOST and the current docker context',
          cause: error,
        }),
      };
    }
    throw error;
  }
}

/**
 * Makes sure a Docker engine answers, and may change this machine to get one: when none answers
 * and we are root on a Debian-like machine with no remote engine configured, installs Debian's
 * docker.io and starts dockerd (saying so through `onLine`). An engine that answers is used as it
 * is, and nothing is installed or started for a non-root user, Docker Desktop or a remote engine:
 * those get one message for their platform (DOCKER_DAEMON_UNREACHABLE, or DOCKER_PERMISSION_DENIED
 * naming the docker group).
 */
export async function installOrStartDockerEngine(
  options: {
    onLine?: (line: string) => void;
    signal?: AbortSignal | undefined;
    docker?: DockerClient | undefined;
  } = {},
): Promise<EngineProbe & { answers: true }> {
  const first = await probeEngine(options);
  if (first.answers) {
    options.onLine?.(
      `engine answers: Docker ${first.serverVersion} (${first.osType}/${first.architecture})`,
    );
    return first;
  }
  // The script decides what may be done here (root on Debian) and says it for everyone else.
  const child = execa('bash', [ENGINE_SCRIPT], {
    all: true,
    ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
    reject: false,
  });
  child.all?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim() !== '') options.onLine?.(line);
  });
  const result = await child;
  if (result.isCanceled)
    throw new SrsError({
      code: 'ABORTED',
      message: 'aborted while making sure a Docker engine answers',
    });
  const after = result.exitCode === 0 ? await probeEngine(options) : undefined;
  if (after?.answers === true) return after;
  const lines = String(result.all ?? '')
    .split('\n')
    .map((line) => line.replace(/^\[engine\] /, '').trim())
    .filter((line) => line !== '');
  const errorAt = lines.findIndex((line) => line.startsWith('error:'));
  const message =
    errorAt === -1 ? first.error.message : (lines[errorAt] ?? '').replace(/^error: /, '');
  const advice = errorAt === -1 ? undefined : lines[errorAt + 1];
  throw new SrsError({
    code:
      first.error.code === 'DOCKER_PERMISSION_DENIED'
        ? 'DOCKER_PERMISSION_DENIED'
        : 'DOCKER_DAEMON_UNREACHABLE',
    message,
    hint: advice ?? first.error.hint,
    command: `bash ${ENGINE_SCRIPT}`,
    exitCode: result.exitCode,
    stderr: String(result.all ?? ''),
    cause: first.error,
  });
}
