import { execa, type ExecaError } from 'execa';
import { SrsError } from '../errors/srs-error.js';

/** Options of one docker CLI call. */
export interface DockerRunOptions {
  /** Kill the command and reject with DOCKER_COMMAND_TIMEOUT after this many milliseconds. */
  timeoutMs?: number;
  /** Abort the command; the call rejects with ABORTED. */
  signal?: AbortSignal;
  /** Text or bytes written to the command's stdin. */
  input?: string | Uint8Array;
  /** Called with each line of stdout and stderr as it arrives (build output, pulls). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Extra environment variables for the docker CLI. */
  env?: Record<string, string>;
}

/** What a docker CLI call printed. */
export interface DockerResult {
  /** The command line, for messages. */
  command: string;
  /** Trimmed stdout. */
  stdout: string;
  /** Trimmed stderr. */
  stderr: string;
}

/** Runs the docker CLI. An interface, so unit tests can replay recorded output. */
export interface DockerClient {
  /** Runs `docker ...args`; rejects with an {@link SrsError} on any failure. */
  run(args: readonly string[], options?: DockerRunOptions): Promise<DockerResult>;
  /**
   * Runs a long-lived `docker ...args` (logs --follow) and yields its stdout and stderr lines as
   * they come. Ends cleanly when `signal` aborts; rejects with an {@link SrsError} on failure.
   */
  stream(
    args: readonly string[],
    options?: { signal?: AbortSignal | undefined },
  ): AsyncIterable<string>;
}

/** The real {@link DockerClient}: the `docker` binary through execa. */
export class DockerCli implements DockerClient {
  readonly #binary: string;
  /** The engine this client talks to (DOCKER_HOST), or undefined for the CLI's own default. */
  readonly host: string | undefined;

  /**
   * @param options.binary the docker CLI (default `docker` on PATH)
   * @param options.host the engine, as DOCKER_HOST takes it: `unix:///var/run/docker.sock`,
   *   `tcp://10.0.0.2:2375`, `ssh://user@node2` (default: the CLI's own, DOCKER_HOST or the
   * context)
   */
  constructor(options: { binary?: string; host?: string } = {}) {
    this.#binary = options.binary ?? 'docker';
    this.host = options.host;
  }

  #env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DOCKER_CLI_HINTS: 'false',
      ...(this.host === undefined ? {} : { DOCKER_HOST: this.host }),
      ...extra,
    };
  }

  /**
   * Runs `docker ...args` here with its stdout fed to `docker ...targetArgs` of another client,
   * without holding the bytes in memory (`docker save` into another engine's `docker load`).
   */
  async pipeTo(
    args: readonly string[],
    target: DockerCli,
    targetArgs: readonly string[],
    options: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined } = {},
  ): Promise<DockerResult> {
    const command = `${[this.#binary, ...args].join(' ')} | ${[target.#binary, ...targetArgs].join(' ')}`;
    const shared = {
      ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    };
    try {
      const result = await execa(this.#binary, args, {
        ...shared,
        env: this.#env(),
        buffer: { stdout: false },
      }).pipe(target.#binary, targetArgs, {
        ...shared,
        env: target.#env(),
      });
      return {
        command,
        stdout: String(result.stdout).trim(),
        stderr: String(result.stderr).trim(),
      };
    } catch (error) {
      throw mapDockerFailure(error as ExecaError, command);
    }
  }

  async run(args: readonly string[], options: DockerRunOptions = {}): Promise<DockerResult> {
    const command = [this.#binary, ...args].join(' ');
    const subprocess = execa(this.#binary, args, {
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
      ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
      ...(options.input === undefined ? {} : { input: options.input }),
      env: this.#env(options.env),
      stripFinalNewline: true,
      reject: true,
    });
    if (options.onLine !== undefined) {
      const onLine = options.onLine;
      forwardLines(subprocess.stdout, (line) => onLine(line, 'stdout'));
      forwardLines(subprocess.stderr, (line) => onLine(line, 'stderr'));
    }
    try {
      const result = await subprocess;
      return {
        command,
        stdout: String(result.stdout).trim(),
        stderr: String(result.stderr).trim(),
      };
    } catch (error) {
      throw mapDockerFailure(error as ExecaError, command);
    }
  }

  async *stream(
    args: readonly string[],
    options: { signal?: AbortSignal | undefined } = {},
  ): AsyncIterable<string> {
    const command = [this.#binary, ...args].join(' ');
    const subprocess = execa(this.#binary, args, {
      ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
      env: this.#env(),
      all: true,
      buffer: false,
    });
    // The outcome is read below; this keeps an early abort from surfacing as unhandled.
    subprocess.catch(() => undefined);
    // Without buffering execa keeps no stderr: the last lines stand in for it in errors.
    const recent: string[] = [];
    try {
      for await (const line of subprocess.iterable({ from: 'all' })) {
        recent.push(String(line));
        if (recent.length > 20) recent.shift();
        yield String(line);
      }
      await subprocess;
    } catch (error) {
      if (options.signal?.aborted) return;
      throw mapDockerFailure(error as ExecaError, command, recent.join('\n'));
    } finally {
      if (subprocess.exitCode === null) subprocess.kill();
    }
  }
}

function forwardLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (stream === null) return;
  let pending = '';
  stream.on('data', (chunk: Buffer | string) => {
    pending += chunk.toString();
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (pending !== '') onLine(pending);
  });
}

/**
 * Turns an execa failure of the docker CLI into an {@link SrsError} with a code and a hint.
 * Exported for unit tests with recorded stderr.
 */
export function mapDockerFailure(
  error: ExecaError,
  command: string,
  stderrText?: string,
): SrsError {
  const stderr = (stderrText ?? (typeof error.stderr === 'string' ? error.stderr : '')).trim();
  const base = { command, exitCode: error.exitCode, stderr, cause: error };
  if (error.code === 'ENOENT') {
    return new SrsError({
      ...base,
      code: 'DOCKER_NOT_INSTALLED',
      message: `the docker CLI was not found (${command})`,
      hint: 'install Docker Engine (on Debian: apt-get install docker.io) or put docker on PATH',
    });
  }
  if (error.isCanceled) {
    return new SrsError({ ...base, code: 'ABORTED', message: `aborted: ${command}` });
  }
  if (error.timedOut) {
    return new SrsError({
      ...base,
      code: 'DOCKER_COMMAND_TIMEOUT',
      message: `docker did not finish in time: ${command}`,
      retryable: true,
      hint: 'the engine may be overloaded or hung; check `docker info` and the daemon log',
    });
  }
  return dockerFailureFromStderr(stderr, base);
}

/**
 * The error of a docker command (the CLI, or Compose through it) that ran and failed, from its
 * stderr: this user may not use the engine, no engine answers, or the command's last line. The
 * message starts with `what` (default: the command).
 */
export function dockerFailureFromStderr(
  stderr: string,
  base: { command: string; exitCode?: number | undefined; cause?: unknown; what?: string },
): SrsError {
  const { what = `${base.command} failed`, ...fields } = base;
  const common = { ...fields, stderr };
  if (/permission denied while trying to connect to the Docker daemon/i.test(stderr)) {
    return new SrsError({
      ...common,
      code: 'DOCKER_PERMISSION_DENIED',
      message: 'this user may not use the Docker engine',
      hint: `ask an administrator to add ${process.env.USER ?? 'you'} to the docker group (sudo usermod -aG docker ${process.env.USER ?? '$USER'}), then log in again`,
    });
  }
  if (
    /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i.test(
      stderr,
    )
  ) {
    return new SrsError({
      ...common,
      code: 'DOCKER_DAEMON_UNREACHABLE',
      message: 'no Docker engine answers',
      hint: 'start the engine (systemctl start docker, or dockerd &) and check DOCKER_HOST',
    });
  }
  const lastLine =
    stderr
      .split('\n')
      .filter((line) => line.trim() !== '')
      .pop() ?? `exit code ${String(base.exitCode)}`;
  return new SrsError({
    ...common,
    code: 'DOCKER_COMMAND_FAILED',
    message: `${what}: ${lastLine}`,
    hint: 'see stderr for the whole output of the command',
  });
}
