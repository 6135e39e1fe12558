// Build once, push, deploy anywhere: the image goes to a registry every node can pull from, and
// is deployed by digest, so every node runs the very same bytes whatever the tag points at later.
import { z } from 'zod';
import {
  DockerCli,
  imageReferenceSchema,
  parseInput,
  SrsError,
  type DockerClient,
} from '@spark-rstudio-shiny/core';
import { stepsToStderr, type ImageProgressListener } from './image-progress.js';

/**
 * A registry reference to push to: a registry host (with a dot, a port or "localhost"), a
 * repository, an optional tag.
 */
export const pushTargetSchema = imageReferenceSchema
  .refine(
    (reference) => !reference.includes('@'),
    'must not name a digest: the registry gives the digest',
  )
  .refine(
    (reference) => /^([a-z0-9-]+\.[a-z0-9.-]+|[a-z0-9.-]+:\d+|localhost(:\d+)?)\//i.test(reference),
    'must start with the registry host, e.g. registry.example:5000/team/spark-rstudio-shiny',
  );

/** An image in a registry. */
export interface PushedImage {
  /** The reference pushed, with its tag: `registry.example:5000/team/srs:4.2.1`. */
  reference: string;
  /** The digest the registry gave it: `sha256:…`. */
  digest: string;
  /**
   * The reference by digest, what a deploy should name: `registry.example:5000/team/srs@sha256:…`.
   */
  pinned: string;
}

/** `name:tag` → `name`; a port in the registry host is not a tag. */
export function repositoryOf(reference: string): string {
  const lastSlash = reference.lastIndexOf('/');
  const lastColon = reference.lastIndexOf(':');
  return lastColon > lastSlash ? reference.slice(0, lastColon) : reference;
}

/** The reference with a tag: the target's own, else the local image's. */
export function withTag(target: string, localImage: string): string {
  if (repositoryOf(target) !== target) return target;
  const tag =
    repositoryOf(localImage) === localImage
      ? 'latest'
      : localImage.slice(localImage.lastIndexOf(':') + 1);
  return `${target}:${tag}`;
}

const pushOptionsSchema = z.strictObject({ image: imageReferenceSchema, to: pushTargetSchema });

/**
 * Tags a local image for a registry and pushes it; returns its digest there. The engine's own
 * registry settings apply: a registry with a private CA needs it in the engine's
 * certs.d/<host:port>/ca.crt, one on plain HTTP the engine's insecure-registries.
 */
export async function pushImage(options: {
  image: string;
  to: string;
  docker?: DockerClient | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ImageProgressListener | undefined;
}): Promise<PushedImage> {
  const input = parseInput(
    pushOptionsSchema,
    { image: options.image, to: options.to },
    'push options',
  );
  const docker = options.docker ?? new DockerCli();
  const onProgress = options.onProgress ?? stepsToStderr;
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  const reference = withTag(input.to, input.image);
  await docker.run(['tag', input.image, reference], signalOption);
  onProgress({ kind: 'step', message: `Pushing ${reference}…` });
  let lines: string[] = [];
  try {
    const result = await docker.run(['push', reference], {
      ...signalOption,
      timeoutMs: 60 * 60_000,
      onLine: (line) => onProgress({ kind: 'output', line }),
    });
    lines = `${result.stdout}\n${result.stderr}`.split('\n');
  } catch (error) {
    throw pushFailed(reference, error);
  }
  // The last line of a push: "<tag>: digest: sha256:<hex> size: <n>".
  const digest = lines
    .map((line) => /digest: (sha256:[0-9a-f]{64})/.exec(line)?.[1])
    .find((found) => found !== undefined);
  if (digest === undefined) {
    throw new SrsError({
      code: 'DOCKER_COMMAND_FAILED',
      message: `docker push ${reference} printed no digest`,
      hint: 'check the registry with docker manifest inspect',
    });
  }
  const pinned = `${repositoryOf(reference)}@${digest}`;
  onProgress({ kind: 'step', message: `Pushed ${pinned}` });
  return { reference, digest, pinned };
}

/**
 * One reference for several architectures: a manifest list in the registry over images pushed
 * for each (`docker manifest`, which talks to the registry itself: `insecure` for one on plain
 * HTTP, which then must be the engine's insecure registry too).
 */
export async function pushManifestList(options: {
  reference: string;
  images: readonly PushedImage[];
  insecure?: boolean | undefined;
  docker?: DockerClient | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ImageProgressListener | undefined;
}): Promise<PushedImage> {
  const reference = parseInput(pushTargetSchema, options.reference, 'manifest list reference');
  const docker = options.docker ?? new DockerCli();
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  const insecure = options.insecure === true ? ['--insecure'] : [];
  (options.onProgress ?? stepsToStderr)({
    kind: 'step',
    message: `Pushing the manifest list ${reference} (${options.images.length} architectures)…`,
  });
  try {
    await docker.run(
      [
        'manifest',
        'create',
        ...insecure,
        '--amend',
        reference,
        ...options.images.map((image) => image.pinned),
      ],
      signalOption,
    );
    const { stdout } = await docker.run(['manifest', 'push', ...insecure, '--purge', reference], {
      ...signalOption,
      timeoutMs: 10 * 60_000,
    });
    const digest = /sha256:[0-9a-f]{64}/.exec(stdout)?.[0];
    if (digest === undefined)
      throw new SrsError({
        code: 'DOCKER_COMMAND_FAILED',
        message: `docker manifest push ${reference} printed no digest`,
      });
    return { reference, digest, pinned: `${repositoryOf(reference)}@${digest}` };
  } catch (error) {
    throw pushFailed(reference, error);
  }
}

function pushFailed(reference: string, error: unknown): SrsError {
  if (error instanceof SrsError && error.code !== 'DOCKER_COMMAND_FAILED') return error;
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  const certificate = /x509|certificate/i.test(
    String(error instanceof SrsError ? error.stderr : detail),
  );
  return new SrsError({
    code: 'DOCKER_COMMAND_FAILED',
    message: `pushing ${reference} failed: ${detail}`,
    hint: certificate
      ? `the engine does not trust the registry's certificate: put its CA in /etc/docker/certs.d/${reference.split('/')[0] ?? ''}/ca.crt on every node`
      : 'check that the registry answers and that you are logged in (docker login)',
    cause: error,
  });
}
