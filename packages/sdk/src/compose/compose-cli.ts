// Docker Compose through the `docker-compose` npm package: the Compose CLI this machine has
// (the `docker compose` plugin, else the standalone `docker-compose`), the project name given
// explicitly, the rendered file on stdin, and every failure turned into an SrsError.
import * as compose from 'docker-compose';
import { execa } from 'execa';
import { dockerFailureFromStderr, SrsError } from '@spark-rstudio-shiny/core';

/** Which Compose CLI runs, and its version. */
export interface ComposeExecutable {
  options: compose.IDockerComposeExecutableOptions | undefined;
  /** "plugin 2.26.1" or "standalone 1.29.2". */
  description: string;
}

let found: Promise<ComposeExecutable> | undefined;

/**
 * The Compose CLI on this machine: the docker plugin when the CLI has it, else `docker-compose`.
 */
export function composeExecutable(): Promise<ComposeExecutable> {
  found ??= (async () => {
    const plugin = await execa('docker', ['compose', 'version', '--short'], {
      reject: false,
      timeout: 30_000,
    });
    if (plugin.exitCode === 0)
      return { options: undefined, description: `plugin ${String(plugin.stdout).trim()}` };
    const standalone = await execa('docker-compose', ['version', '--short'], {
      reject: false,
      timeout: 30_000,
    });
    if (standalone.exitCode === 0)
      return {
        options: { standalone: true },
        description: `standalone ${String(standalone.stdout).trim()}`,
      };
    found = undefined;
    throw new SrsError({
      code: 'COMPOSE_NOT_INSTALLED',
      message:
        'Compose mode needs Docker Compose, and neither `docker compose` nor `docker-compose` runs here',
      hint: 'install it (Debian: apt-get install docker-compose; or the docker-compose-plugin package), or use the default orchestrator, swarm',
    });
  })();
  return found;
}

/** Options of one Compose command. */
export interface ComposeRun {
  project: string;
  /** The rendered Compose file (given on stdin). */
  file: string;
  /** The engine (DOCKER_HOST), when not the CLI's default. */
  host?: string | undefined;
  signal?: AbortSignal | undefined;
}

function options(
  run: ComposeRun,
  executable: ComposeExecutable,
  commandOptions: string[],
): compose.IDockerComposeOptions {
  return {
    configAsString: run.file,
    composeOptions: ['--project-name', run.project],
    commandOptions,
    ...(executable.options === undefined ? {} : { executable: executable.options }),
    env: { ...process.env, ...(run.host === undefined ? {} : { DOCKER_HOST: run.host }) },
  };
}

async function call(
  what: string,
  run: ComposeRun,
  action: (executable: ComposeExecutable) => Promise<compose.IDockerComposeResult>,
): Promise<compose.IDockerComposeResult> {
  run.signal?.throwIfAborted();
  const executable = await composeExecutable();
  try {
    return await action(executable);
  } catch (failure) {
    if (failure instanceof SrsError) throw failure;
    const result = failure as Partial<compose.IDockerComposeResult> & {
      code?: string;
      message?: string;
    };
    const stderr = (result.err ?? result.message ?? String(failure)).trim();
    const mapped = dockerFailureFromStderr(stderr, {
      command: `docker compose ${what}`,
      what: `compose ${what} of project ${run.project} failed (${executable.description})`,
      exitCode: result.exitCode ?? undefined,
      cause: failure,
    });
    if (/port is already allocated|address already in use/i.test(stderr)) {
      throw new SrsError({
        code: mapped.code,
        message: mapped.message,
        hint: 'a port the stack publishes is taken: choose free ports, or stop what holds them',
        stderr,
        exitCode: mapped.exitCode,
        cause: failure,
      });
    }
    throw mapped;
  } finally {
    run.signal?.throwIfAborted();
  }
}

/** `up -d --remove-orphans` (creates, or recreates what changed, e.g. a new image ID). */
export function composeUp(
  run: ComposeRun,
  extra: string[] = [],
): Promise<compose.IDockerComposeResult> {
  return call('up', run, (executable) =>
    compose.upAll(options(run, executable, ['--remove-orphans', ...extra])),
  );
}

/** `up -d` of the workers only, to a new count, leaving running containers as they are. */
export function composeScale(
  run: ComposeRun,
  workers: number,
): Promise<compose.IDockerComposeResult> {
  return call('scale', run, (executable) =>
    compose.upMany(
      ['worker'],
      options(run, executable, ['--no-recreate', '--no-deps', '--scale', `worker=${workers}`]),
    ),
  );
}

/** `down --remove-orphans`, with `--volumes` to drop the named volumes too. */
export function composeDown(
  run: ComposeRun,
  volumes: boolean,
): Promise<compose.IDockerComposeResult> {
  return call('down', run, (executable) =>
    compose.down(options(run, executable, ['--remove-orphans', ...(volumes ? ['--volumes'] : [])])),
  );
}
