import { z } from 'zod';
import {
  DEFAULT_IMAGE_TAG,
  DockerCli,
  imageReferenceSchema,
  parseInput,
  SrsError,
} from '@spark-rstudio-shiny/core';
import { stepsToStderr, type ImageProgressListener } from './image-progress.js';

/**
 * An engine as DOCKER_HOST names it: ssh://user@node2, tcp://10.0.0.3:2376,
 * unix:///var/run/docker.sock.
 */
const engineSchema = z
  .string()
  .regex(
    /^(ssh|tcp|unix):\/\/[A-Za-z0-9@._:/-]+$/,
    'must be an engine address like ssh://user@node2 or tcp://10.0.0.3:2376',
  );

const optionsSchema = z.strictObject({
  image: imageReferenceSchema.default(DEFAULT_IMAGE_TAG),
  engines: z.array(engineSchema).min(1, 'name at least one engine'),
});

/** Options of {@link distributeImage}. */
export interface DistributeImageOptions {
  /** The image to copy (default the project's tag). */
  image?: string | undefined;
  /**
   * The engines of the other nodes, as DOCKER_HOST takes them (ssh:// needs the docker CLI's SSH
   * access).
   */
  engines: readonly string[];
  /** The engine that has the image (default: this CLI's own). */
  from?: DockerCli | undefined;
  /** Aborts the copies. */
  signal?: AbortSignal | undefined;
  /** Receives one step per engine. */
  onProgress?: ImageProgressListener | undefined;
}

/** What happened on one engine. */
export interface DistributedImage {
  engine: string;
  /** The image's ID there afterwards. */
  imageId: string;
  /** False when the engine already had this very image (nothing was copied). */
  copied: boolean;
}

/**
 * Gives every node of a swarm the image it runs, without a registry: `docker save` on the engine
 * that built it, streamed into `docker load` on each other node's engine (skipped where the same
 * image ID is already there). A swarm service only starts where its image is present when
 * deployed with `--resolve-image never`, which is how the SDK deploys.
 * For a swarm that has a registry, push there instead and deploy that name (see the README).
 */
export async function distributeImage(
  options: DistributeImageOptions,
): Promise<DistributedImage[]> {
  const { image, engines } = parseInput(
    optionsSchema,
    { image: options.image, engines: [...options.engines] },
    'image distribution',
  );
  const from = options.from ?? new DockerCli();
  const onProgress = options.onProgress ?? stepsToStderr;
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  const imageId = await idOn(from, image, options.signal);
  if (imageId === undefined) {
    throw new SrsError({
      code: 'IMAGE_BUILD_FAILED',
      message: `the image ${image} is not on the engine it should be copied from`,
      hint: 'build it first (srs build, or buildImage())',
    });
  }
  const results: DistributedImage[] = [];
  for (const engine of engines) {
    const target = new DockerCli({ host: engine });
    if ((await idOn(target, image, options.signal)) === imageId) {
      onProgress({ kind: 'step', message: `${engine}: has ${image} already` });
      results.push({ engine, imageId, copied: false });
      continue;
    }
    onProgress({
      kind: 'step',
      message: `${engine}: copying ${image} (docker save | docker load)…`,
    });
    await from.pipeTo(['save', image], target, ['load'], {
      ...signalOption,
      timeoutMs: 30 * 60_000,
    });
    const loaded = await idOn(target, image, options.signal);
    if (loaded !== imageId) {
      throw new SrsError({
        code: 'DOCKER_COMMAND_FAILED',
        message: `${engine} has ${loaded ?? 'no'} image ${image} after the copy, not ${imageId}`,
        hint: 'check the disk space and the docker version of that node',
      });
    }
    onProgress({ kind: 'step', message: `${engine}: loaded ${image} (${imageId.slice(0, 19)})` });
    results.push({ engine, imageId, copied: true });
  }
  return results;
}

async function idOn(
  docker: DockerCli,
  image: string,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  return docker
    .run(['image', 'inspect', '--format', '{{.Id}}', image], {
      timeoutMs: 60_000,
      ...(signal === undefined ? {} : { signal }),
    })
    .then(
      (result) => result.stdout,
      (error: unknown) => {
        if (error instanceof SrsError && error.code === 'DOCKER_COMMAND_FAILED') return undefined;
        throw error;
      },
    );
}
