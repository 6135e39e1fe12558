// BuildKit's front end, buildx, which the image build needs (bind-mounted artifacts, stages built
// at once, no stage images left behind). Docker Desktop and Docker CE ship it as the CLI's plugin;
// Debian 12's docker.io does not. There, the same program is taken from Debian 13's docker-buildx
// package, installed by apt (which checks the archive's signatures) in a throwaway container of
// the base image, and kept in the cache: it runs standalone and talks to the same engine.
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DockerCli, localEngineSocket, SrsError, type DockerClient, type DockerResult, type DockerRunOptions } from '@spark-rstudio-shiny/core';
import { defaultCacheDir } from './artifact-cache.js';
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
 * one taken from Debian's docker-buildx package (a local Linux engine of this machine's
 * architecture, a Debian base image whose suite packages it: trixie and later). Otherwise one
 * IMAGE_BUILD_FAILED error saying what to install.
 */
export async function findBuildx(options: FindBuildxOptions): Promise<Buildx> {
  const { docker } = options;
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  const plugin = await docker.run(['buildx', 'version'], { timeoutMs: 30_000, ...signalOption }).catch(() => undefined);
  if (plugin !== undefined) {
    return { command: 'docker buildx', version: plugin.stdout, run: (args, runOptions) => docker.run(['buildx', ...args], runOptions) };
  }
  const arch = DEBIAN_ARCH[process.arch];
  const host = docker instanceof DockerCli ? docker.host : undefined;
  const local = docker instanceof DockerCli && localEngineSocket(process.env, host) !== undefined;
  if (arch === undefined || process.platform !== 'linux' || !local) throw buildxMissing();
  const binary = join(options.cacheDir ?? defaultCacheDir(), 'tools', `docker-buildx-linux-${arch}`);
  if (!existsSync(binary)) await takeBuildxFromDebian(binary, options);
  const standalone = new DockerCli({ binary, ...(host === undefined ? {} : { host }) });
  const version = await standalone.run(['version'], { timeoutMs: 30_000, ...signalOption }).catch((error: unknown) => {
    throw buildxMissing(error);
  });
  return { command: binary, version: version.stdout, run: (args, runOptions) => standalone.run(args, runOptions) };
}

/** Installs docker-buildx with apt in a container of the base image and copies the program out. */
async function takeBuildxFromDebian(binary: string, options: FindBuildxOptions): Promise<void> {
  const onProgress = options.onProgress ?? stepsToStderr;
  const dir = join(binary, '..');
  await mkdir(dir, { recursive: true });
  const partial = `${binary}.partial`;
  onProgress({ kind: 'step', message: `BuildKit: the docker CLI has no buildx plugin; taking buildx from Debian's docker-buildx package (into ${dir})…` });
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const script = [
    'set -e',
    'apt-get update -qq',
    'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-buildx >/dev/null',
    `install -m 0755 -o ${uid} -g ${gid} /usr/libexec/docker/cli-plugins/docker-buildx /out/${binary.split('/').pop() ?? 'docker-buildx'}.partial`,
  ].join('\n');
  try {
    await options.docker.run(['run', '--rm', '--network', 'bridge', '-v', `${dir}:/out`, '--entrypoint', 'bash', options.baseImage, '-c', script], {
      timeoutMs: 300_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    await chmod(partial, 0o755);
    await rename(partial, binary);
  } catch (error) {
    await rm(partial, { force: true });
    throw buildxMissing(error);
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
