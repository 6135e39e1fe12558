// BuildKit's front end, buildx, which the image build needs (bind-mounted artifacts, stages built
// at once, no stage images left behind). Docker Desktop and Docker CE ship it as the CLI's plugin;
// Debian 12's docker.io does not. There, the same program is taken from Debian 13's docker-buildx
// package, installed by apt (which checks the archive's signatures) in a throwaway container of
// the base image, and kept in the cache: it runs standalone and talks to the same engine.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DockerCli,
  probeEngine,
  SrsError,
  type DockerClient,
  type DockerResult,
  type DockerRunOptions,
} from '@spark-rstudio-shiny/core';
import { defaultCacheDir } from './artifact-cache.js';
import { architectureOfEngine } from './image-architecture.js';
import { stepsToStderr, type ImageProgressListener } from './image-progress.js';

/** Runs `buildx …` for a build, however buildx is installed. */
export interface Buildx {
  /** How it is run, for messages: "docker buildx" or the standalone binary's path. */
  readonly command: string;
  /** Its version line, e.g. "github.com/docker/buildx 0.13.1+ds1 …". */
  readonly version: string;
  /** Runs `buildx ...args`. */
  run(args: readonly string[], options?: DockerRunOptions): Promise<DockerResult>;
}

/** Options of {@link findBuildx}. */
export interface FindBuildxOptions {
  docker: DockerClient;
  /** The build's base image: a Debian one is where a standalone buildx is taken from. */
  baseImage: string;
  cacheDir?: string | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ImageProgressListener | undefined;
}

/** Debian's architecture names for Node's. */
const DEBIAN_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };

/**
 * The docker CLI's buildx plugin when it has one; else a standalone buildx from the cache; else
 * one taken from Debian's docker-buildx package (a Linux engine of this machine's architecture,
 * local or remote, and a Debian base image whose suite packages it: trixie and later). Otherwise
 * one
 * IMAGE_BUILD_FAILED error saying what to install.
 */
export async function findBuildx(options: FindBuildxOptions): Promise<Buildx> {
  const { docker } = options;
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  const plugin = await docker
    .run(['buildx', 'version'], { timeoutMs: 30_000, ...signalOption })
    .catch(() => undefined);
  if (plugin !== undefined) {
    return {
      command: 'docker buildx',
      version: plugin.stdout,
      run: (args, runOptions) => docker.run(['buildx', ...args], runOptions),
    };
  }
  // The program runs here and is taken from a container of the engine's: both must be this
  // machine's kind (a Linux engine of this architecture, local or remote).
  const arch = DEBIAN_ARCH[process.arch];
  const host = docker instanceof DockerCli ? docker.host : undefined;
  if (arch === undefined || process.platform !== 'linux' || !(docker instanceof DockerCli))
    throw buildxMissing();
  const binary = join(
    options.cacheDir ?? defaultCacheDir(),
    'tools',
    `docker-buildx-linux-${arch}`,
  );
  if (!existsSync(binary)) {
    const engine = await probeEngine({ docker, signal: options.signal });
    if (!engine.answers) throw engine.error;
    if (engine.osType !== 'linux' || architectureOfEngine(engine.architecture) !== arch)
      throw buildxMissing();
    await takeBuildxFromDebian(binary, options);
  }
  const standalone = new DockerCli({ binary, ...(host === undefined ? {} : { host }) });
  const version = await standalone
    .run(['version'], { timeoutMs: 30_000, ...signalOption })
    .catch((error: unknown) => {
      throw buildxMissing(error);
    });
  return {
    command: binary,
    version: version.stdout,
    run: (args, runOptions) => standalone.run(args, runOptions),
  };
}

/**
 * Installs docker-buildx with apt in a container of the base image and copies the program out
 * with `docker cp`, which works with a remote engine too.
 */
async function takeBuildxFromDebian(binary: string, options: FindBuildxOptions): Promise<void> {
  const onProgress = options.onProgress ?? stepsToStderr;
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  await mkdir(join(binary, '..'), { recursive: true });
  const partial = `${binary}.partial`;
  const container = `srs-buildx-${randomBytes(4).toString('hex')}`;
  onProgress({
    kind: 'step',
    message: `BuildKit: the docker CLI has no buildx plugin; taking buildx from Debian's docker-buildx package (into ${binary})…`,
  });
  const script =
    'set -e; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-buildx >/dev/null';
  try {
    await options.docker.run(
      ['run', '--name', container, '--entrypoint', 'bash', options.baseImage, '-c', script],
      { timeoutMs: 300_000, ...signalOption },
    );
    await options.docker.run(
      ['cp', `${container}:/usr/libexec/docker/cli-plugins/docker-buildx`, partial],
      { timeoutMs: 120_000, ...signalOption },
    );
    await chmod(partial, 0o755);
    await rename(partial, binary);
  } catch (error) {
    await rm(partial, { force: true });
    throw buildxMissing(error);
  } finally {
    await options.docker.run(['rm', '-f', container]).catch(() => undefined);
  }
}

function buildxMissing(cause?: unknown): SrsError {
  return new SrsError({
    code: 'IMAGE_BUILD_FAILED',
    message: `the image is built with BuildKit, and no buildx could be found or installed${cause instanceof Error ? ` (${cause.message.split('\n')[0]})` : ''}`,
    hint: "install Docker's buildx plugin (Docker Desktop and Docker CE have it; Debian 13: apt-get install docker-buildx; Docker CE: docker-buildx-plugin)",
    ...(cause === undefined ? {} : { cause }),
  });
}
