// Helpers for tests against the real engine: unique names, cleanup that always runs, container
// logs kept under .artifacts/ so a failure can be read after the containers are gone.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_IMAGE_TAG, DockerCli, SrsError, waitUntil } from '@spark-rstudio-shiny/core';
import { buildImage } from '@spark-rstudio-shiny/image';

export const docker = new DockerCli();
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../../.artifacts/', import.meta.url));

/** A name no other test run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

let image: Promise<string> | undefined;

/** The image under test: $SRS_TEST_IMAGE, else built (or found up to date) by the SDK itself. */
export function ensureTestImage(): Promise<string> {
  image ??= (async () => {
    if (process.env.SRS_TEST_IMAGE) return process.env.SRS_TEST_IMAGE;
    const result = await buildImage({
      tag: DEFAULT_IMAGE_TAG,
      onProgress: (event) => {
        if (event.kind === 'step') process.stderr.write(`[test image] ${event.message}\n`);
      },
    });
    return result.tag;
  })();
  return image;
}

/**
 * Secret files for containers started with `docker run` (no swarm secrets there), and the `-v`
 * flags that mount them.
 */
export interface TestSecrets {
  sparkSecret: string;
  idePassword: string;
  dir: string;
  /** Mounts of the Spark secret (both roles). */
  spark: string[];
  /** Mounts of the IDE password (master). */
  ide: string[];
}

const secretDirs: string[] = [];

/**
 * Writes fresh secrets into a private temporary folder (removed after the test file), as Docker
 * would mount them under /run/secrets.
 */
export async function makeTestSecrets(
  values: { sparkSecret?: string; idePassword?: string } = {},
): Promise<TestSecrets> {
  const dir = await mkdtemp(join(tmpdir(), 'srs-secrets-'));
  secretDirs.push(dir);
  const sparkSecret = values.sparkSecret ?? randomBytes(32).toString('hex');
  const idePassword = values.idePassword ?? randomBytes(15).toString('base64url');
  await writeFile(join(dir, 'spark_auth_secret'), `${sparkSecret}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'ide_password'), idePassword, { mode: 0o600 });
  return {
    sparkSecret,
    idePassword,
    dir,
    spark: ['-v', `${join(dir, 'spark_auth_secret')}:/run/secrets/spark_auth_secret:ro`],
    ide: ['-v', `${join(dir, 'ide_password')}:/run/secrets/ide_password:ro`],
  };
}

// In a test file, the secrets go after its tests (benchmarks import this module too, outside jest).
if (typeof afterAll === 'function') {
  afterAll(async () => {
    for (const dir of secretDirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
}

/** Containers and networks a test made; removes them all, saving each container's log first. */
export class TestResources {
  readonly #containers: string[] = [];
  readonly #networks: string[] = [];

  async network(name: string): Promise<string> {
    await docker.run(['network', 'create', name]);
    this.#networks.push(name);
    return name;
  }

  /** `docker run -d` with the given arguments; returns the container's name. */
  async container(name: string, args: string[]): Promise<string> {
    this.#containers.push(name);
    await docker.run(['run', '-d', '--name', name, ...args]);
    return name;
  }

  async cleanup(): Promise<void> {
    await mkdir(join(ARTIFACTS_DIR, 'logs'), { recursive: true });
    for (const name of this.#containers.reverse()) {
      const logs = await docker.run(['logs', name]).then(
        (result) => `${result.stdout}\n${result.stderr}`,
        (error: unknown) => String(error),
      );
      await writeFile(join(ARTIFACTS_DIR, 'logs', `${name}.log`), logs);
      await docker.run(['rm', '-f', '-v', name]).catch(() => undefined);
    }
    for (const name of this.#networks)
      await docker.run(['network', 'rm', name]).catch(() => undefined);
  }
}

/**
 * Keeps a Swarm stack's story in .artifacts/logs/<stack>.log before a test removes it: every
 * task of both services (image, states, errors) and the services' logs. Never throws.
 */
export async function keepStackLogs(stackName: string): Promise<void> {
  const sections: string[] = [];
  for (const service of ['master', 'worker']) {
    const name = `${stackName}_${service}`;
    const tasks = await docker
      .run([
        'service',
        'ps',
        '--no-trunc',
        '--format',
        '{{.Name}} {{.Image}} {{.Node}} desired={{.DesiredState}} current={{.CurrentState}} {{.Error}}',
        name,
      ])
      .then(
        (result) => result.stdout,
        (error: unknown) => String(error),
      );
    const logs = await docker
      .run(['service', 'logs', '--timestamps', '--no-trunc', '--raw', name], { timeoutMs: 60_000 })
      .then(
        (result) => `${result.stdout}\n${result.stderr}`,
        (error: unknown) => String(error),
      );
    sections.push(`== ${name}: tasks\n${tasks}\n== ${name}: logs\n${logs}`);
  }
  await mkdir(join(ARTIFACTS_DIR, 'logs'), { recursive: true }).catch(() => undefined);
  await writeFile(join(ARTIFACTS_DIR, 'logs', `${stackName}.log`), sections.join('\n')).catch(
    () => undefined,
  );
}

/** The running containers of a stack's service on this engine's node (docker ps IDs). */
export async function serviceContainers(
  stackName: string,
  service: 'master' | 'worker',
): Promise<string[]> {
  const { stdout } = await docker.run([
    'ps',
    '-q',
    '--filter',
    `label=com.docker.swarm.service.name=${stackName}_${service}`,
  ]);
  return stdout.split('\n').filter((id) => id !== '');
}

/** The host port Docker published for a container port. */
export async function publishedPort(container: string, port: number): Promise<number> {
  const { stdout } = await docker.run(['port', container, `${port}/tcp`]);
  const match = /:(\d+)\s*$/m.exec(stdout);
  if (match?.[1] === undefined)
    throw new Error(`no published port for ${container}:${port} in ${JSON.stringify(stdout)}`);
  return Number(match[1]);
}

/** Waits for a container's health check to report healthy; fails fast when it exits. */
export function waitUntilHealthy(container: string, timeoutMs: number): Promise<string> {
  return waitUntil(
    async () => {
      const { stdout } = await docker.run([
        'inspect',
        '--format',
        '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}',
        container,
      ]);
      const [state, health] = stdout.split(' ');
      if (state === 'exited' || state === 'dead')
        throw new SrsError({
          code: 'DOCKER_COMMAND_FAILED',
          message: `${container} ${state} before it was healthy`,
        });
      return health === 'healthy' ? health : undefined;
    },
    { description: `${container} to be healthy`, timeoutMs, intervalMs: 2000 },
  );
}

/**
 * Runs a throwaway container and returns its exit code and output, never rejecting on exit code.
 */
export async function runToCompletion(
  args: string[],
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  try {
    const result = await docker.run(['run', '--rm', ...args], { timeoutMs: 120_000 });
    return { exitCode: 0, stdout: result.stdout, stderr: result.stderr };
  } catch (error) {
    if (error instanceof SrsError && error.exitCode !== undefined)
      return { exitCode: error.exitCode, stdout: '', stderr: error.stderr ?? '' };
    throw error;
  }
}
