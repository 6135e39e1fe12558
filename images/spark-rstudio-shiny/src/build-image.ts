import { randomBytes } from 'node:crypto';
import { copyFile, cp, link, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  DEFAULT_BASE_IMAGE,
  DEFAULT_IMAGE_TAG,
  DEFAULT_SPARK_VERSION,
  DockerCli,
  imageReferenceSchema,
  LABEL_PREFIX,
  parseInput,
  probeEngine,
  SrsError,
  type DockerClient,
} from '@spark-rstudio-shiny/core';
import { ensureBaseImage, type BaseImageOrigin } from './base-image.js';
import { findBuildx, type Buildx } from './buildx.js';
import {
  extraContext,
  extraPackagesSchema,
  fetchExtraWheels,
  type ExtraPackages,
} from './extra-packages.js';
import {
  pushImage,
  pushManifestList,
  pushTargetSchema,
  repositoryOf,
  withTag,
  type PushedImage,
} from './push-image.js';
import { formatChecksum } from './checksum.js';
import { defaultCacheDir } from './artifact-cache.js';
import { normalizeContextModes } from './context-modes.js';
import { fetchSparkArtifact, type SparkArtifact } from './fetch-spark-artifact.js';
import { architectureOfEngine, platformOf, type ImageArchitecture } from './image-architecture.js';
import { stepsToStderr, type ImageProgressListener } from './image-progress.js';
import { fetchPythonWheels, type PythonWheels } from './python-wheels.js';
import { fetchRStudioDeb, type RStudioArtifact } from './rstudio-artifact.js';
import { DEFAULT_SPARK_SOURCES } from './spark-artifact-source.js';

/** The build context this package ships: the Dockerfile and everything it copies. */
export const DEFAULT_CONTEXT_DIR = fileURLToPath(new URL('../', import.meta.url));

/** What the Dockerfile copies from the context (the package's `files` hold the same). */
const CONTEXT_ENTRIES = [
  'Dockerfile',
  '.dockerignore',
  'scripts',
  'rootfs',
  'r',
  'jvm',
  'python',
  'apps',
  'extra',
];

/** Validated options of {@link buildImage}. */
export const buildImageOptionsSchema = z.strictObject({
  tag: imageReferenceSchema.default(DEFAULT_IMAGE_TAG),
  sparkVersion: z
    .string()
    .regex(/^4\.\d+\.\d+$/, 'must be a Spark 4.x release like 4.2.1')
    .default(DEFAULT_SPARK_VERSION),
  sparkSources: z
    .array(z.enum(['apache', 'pypi']))
    .min(1)
    .default([...DEFAULT_SPARK_SOURCES]),
  baseImage: imageReferenceSchema.default(DEFAULT_BASE_IMAGE),
  javaVersion: z.union([z.literal(17), z.literal(21)]).default(21),
  /** false builds without RStudio Server even when a verified .deb is at hand. */
  rstudio: z
    .union([
      z.literal(false),
      z.strictObject({ version: z.string().optional(), sha256: z.string().optional() }),
    ])
    .default({}),
  cacheDir: z.string().optional(),
  contextDir: z.string().default(DEFAULT_CONTEXT_DIR),
  /** Ignore Docker's layer cache (a cold build). */
  noCache: z.boolean().default(false),
  /**
   * The architectures to build for; default the engine's. Another one is built under emulation
   * (the engine must run its binaries: QEMU registered with binfmt_misc). With several, each
   * image is tagged `<tag>-<architecture>` (the engine's own also `<tag>`).
   */
  architectures: z
    .array(z.enum(['amd64', 'arm64']))
    .min(1)
    .optional(),
  /**
   * Push the result to a registry: `registry.example:5000/team/spark-rstudio-shiny[:tag]` (the
   * tag defaults to the image's). With several architectures, each is pushed as `<ref>-<arch>`
   * and `<ref>` becomes a manifest list over them.
   */
  push: pushTargetSchema.optional(),
  /**
   * The registry of `push` answers plain HTTP (the manifest list needs to be told; the engine's
   * insecure-registries must list it too).
   */
  insecureRegistry: z.boolean().default(false),
  /**
   * Your own packages, in an image derived from the built one (so head and workers have them):
   * `tag` then names that image (default `spark-rstudio-shiny:4.2.1-custom`; the plain image
   * keeps its own name).
   */
  extra: extraPackagesSchema.optional(),
});

/** Options of {@link buildImage}; every field is optional. */
export type BuildImageOptions = z.input<typeof buildImageOptionsSchema> & {
  /** Aborts the build. */
  signal?: AbortSignal | undefined;
  /** Receives steps, download progress and build output. */
  onProgress?: ImageProgressListener | undefined;
  /** Docker client; default the real CLI. */
  docker?: DockerClient | undefined;
};

/** One architecture's image. */
export interface BuiltImage {
  architecture: ImageArchitecture;
  /** Its local name. */
  tag: string;
  /** Its ID (sha256:…). */
  imageId: string;
  /** Where it was pushed, with `push`. */
  pushed?: PushedImage | undefined;
}

/** What {@link buildImage} built. */
export interface BuildImageResult {
  /** The image's name (of the engine's own architecture when several were built). */
  tag: string;
  /** The image's ID (sha256:…). */
  imageId: string;
  /** The architecture of that image. */
  architecture: ImageArchitecture;
  /** Every architecture's image. */
  images: BuiltImage[];
  /**
   * With `push`: the reference every node can pull (a manifest list over several architectures),
   * and its digest.
   */
  pushed?: PushedImage | undefined;
  /** How the base image was obtained (of the first architecture). */
  baseImage: BaseImageOrigin;
  /** The Spark artifact built in. */
  spark: Pick<SparkArtifact, 'version' | 'source' | 'fileName' | 'fromCache'>;
  /** The RStudio Server version, or "absent" (of the first architecture). */
  rstudio: string;
  /** The labels set on the image (component versions). */
  labels: Record<string, string>;
}

/**
 * Builds the image end to end: the base image (present, pulled or bootstrapped) and the Spark,
 * JupyterLab and RStudio artifacts fetched and verified on the host at the same time, then a
 * BuildKit build (through buildx) per architecture, labels with the versions that were really
 * installed, and with `push` the images in a registry.
 */
export async function buildImage(options: BuildImageOptions = {}): Promise<BuildImageResult> {
  const { signal, onProgress: listener, docker: client, ...input } = options;
  const parsed = parseInput(buildImageOptionsSchema, input, 'image build options');
  const extra =
    parsed.extra !== undefined && parsed.extra.apt.length + parsed.extra.pip.length > 0
      ? parsed.extra
      : undefined;
  if (extra !== undefined && input.tag === DEFAULT_IMAGE_TAG) {
    throw new SrsError({
      code: 'INVALID_CONFIGURATION',
      message: `invalid image build options: tag: the image with your packages needs a name of its own, not ${DEFAULT_IMAGE_TAG}`,
      hint: `leave tag out (it becomes ${DEFAULT_IMAGE_TAG}-custom) or name it, e.g. team/spark-rstudio-shiny:1`,
      issues: [{ path: 'tag', message: `must not be ${DEFAULT_IMAGE_TAG} with extra packages` }],
    });
  }
  // With extra packages the plain image keeps the project's name and `tag` names the derived one.
  const finalTag =
    extra === undefined
      ? parsed.tag
      : input.tag === undefined
        ? `${DEFAULT_IMAGE_TAG}-custom`
        : parsed.tag;
  const config = { ...parsed, tag: extra === undefined ? parsed.tag : DEFAULT_IMAGE_TAG };
  const onProgress = listener ?? stepsToStderr;
  const docker = client ?? new DockerCli();
  const native = await engineArchitecture(docker, signal);
  const architectures = [...new Set(config.architectures ?? [native])];
  const baseImages = Object.fromEntries(
    architectures.map((architecture) => [
      architecture,
      baseImageFor(config.baseImage, architecture, native),
    ]),
  );

  // Everything the build needs comes from different places: fetch it all at once, and stop the
  // others as soon as one fails. Another architecture's base image waits for buildx (below).
  const { baseImage, spark, wheels, rstudio } = await allOrNothing(signal, async (shared) => {
    const [baseImage, spark, wheels, ...rstudio] = await Promise.all([
      ensureBaseImage({ image: config.baseImage, docker, signal: shared, onProgress }),
      fetchSparkArtifact({
        version: config.sparkVersion,
        sources: config.sparkSources,
        cacheDir: config.cacheDir,
        signal: shared,
        onProgress,
      }),
      fetchPythonWheels({
        lockFile: join(config.contextDir, 'python', 'jupyterlab.lock'),
        architectures,
        cacheDir: config.cacheDir,
        signal: shared,
        onProgress,
      }),
      ...architectures.map((architecture) =>
        config.rstudio === false
          ? Promise.resolve<RStudioArtifact>({
              present: false,
              reason: 'disabled by configuration',
            })
          : fetchRStudioDeb({
              ...config.rstudio,
              architecture,
              cacheDir: config.cacheDir,
              signal: shared,
              onProgress,
            }),
      ),
    ]);
    return {
      baseImage,
      spark,
      wheels,
      rstudio: Object.fromEntries(
        architectures.map((architecture, index) => [
          architecture,
          rstudio[index] as RStudioArtifact,
        ]),
      ),
    };
  });
  const buildx = await findBuildx({
    docker,
    baseImage: config.baseImage,
    cacheDir: config.cacheDir,
    signal,
    onProgress,
  });
  for (const architecture of architectures.filter((candidate) => candidate !== native)) {
    await requireEmulation(buildx, architecture, signal);
    await ensureBaseImage({
      image: baseImages[architecture] as string,
      architecture,
      buildx,
      docker,
      signal,
      onProgress,
    });
  }

  const context = await stageContext(config, { spark, wheels, rstudio: Object.values(rstudio) });
  const images: BuiltImage[] = [];
  let labels: Record<string, string> = {};
  try {
    for (const architecture of architectures) {
      const tag = architectures.length === 1 ? config.tag : `${config.tag}-${architecture}`;
      const built = await buildOne({
        config,
        buildx,
        docker,
        context,
        architecture,
        tag,
        baseImage: baseImages[architecture] as string,
        spark,
        rstudio: rstudio[architecture] as RStudioArtifact,
        signal,
        onProgress,
      });
      if (images.length === 0) labels = built.labels;
      images.push({ architecture, tag, imageId: built.imageId });
      if (architectures.length > 1 && architecture === native)
        await docker.run(['tag', tag, config.tag], signal === undefined ? {} : { signal });
    }
  } finally {
    await rm(context, { recursive: true, force: true });
  }

  if (extra !== undefined) {
    for (const [index, image] of images.entries()) {
      const tag = images.length === 1 ? finalTag : `${finalTag}-${image.architecture}`;
      images[index] = {
        architecture: image.architecture,
        tag,
        imageId: await buildExtra({
          config,
          extra,
          buildx,
          docker,
          base: image,
          tag,
          signal,
          onProgress,
        }),
      };
      if (images.length > 1 && image.architecture === native)
        await docker.run(['tag', tag, finalTag], signal === undefined ? {} : { signal });
    }
  }

  let pushed: PushedImage | undefined;
  if (config.push !== undefined) {
    const target = withTag(config.push, finalTag);
    for (const image of images) {
      image.pushed = await pushImage({
        image: image.tag,
        to: images.length === 1 ? target : `${target}-${image.architecture}`,
        docker,
        signal,
        onProgress,
      });
    }
    pushed =
      images.length === 1
        ? images[0]?.pushed
        : await pushManifestList({
            reference: target,
            images: images.flatMap((image) => (image.pushed === undefined ? [] : [image.pushed])),
            insecure: config.insecureRegistry,
            docker,
            signal,
            onProgress,
          });
  }
  const first = images.find((image) => image.architecture === native) ?? (images[0] as BuiltImage);
  return {
    tag: architectures.length === 1 ? first.tag : finalTag,
    imageId: first.imageId,
    architecture: first.architecture,
    images,
    pushed,
    baseImage,
    spark: {
      version: spark.version,
      source: spark.source,
      fileName: spark.fileName,
      fromCache: spark.fromCache,
    },
    rstudio: labels[`${LABEL_PREFIX}.rstudio`] ?? 'absent',
    labels,
  };
}

/** Your packages on top of one built image (extra/Dockerfile); returns the derived image's ID. */
async function buildExtra(job: {
  config: z.output<typeof buildImageOptionsSchema>;
  extra: ExtraPackages;
  buildx: Buildx;
  docker: DockerClient;
  base: BuiltImage;
  tag: string;
  signal: AbortSignal | undefined;
  onProgress: ImageProgressListener;
}): Promise<string> {
  const { config, extra, signal, onProgress } = job;
  const context = await extraContext(config.cacheDir ?? defaultCacheDir(), config.contextDir);
  try {
    await fetchExtraWheels(extra.pip, [job.base.architecture], join(context, 'wheels'), {
      signal,
      onProgress,
    });
    onProgress({
      kind: 'step',
      message: `Building ${job.tag} for ${job.base.architecture}: ${job.base.tag} with ${[...extra.apt, ...extra.pip].join(', ')}…`,
    });
    const labels = {
      [`${LABEL_PREFIX}.extra-apt`]: extra.apt.join(' ') || 'none',
      [`${LABEL_PREFIX}.extra-pip`]: extra.pip.join(' ') || 'none',
    };
    await runBuild(
      job.buildx,
      [
        'build',
        '--progress=plain',
        '--platform',
        platformOf(job.base.architecture),
        '--build-arg',
        `BASE_IMAGE=${job.base.tag}`,
        '--build-arg',
        `APT_PACKAGES=${extra.apt.join(' ')}`,
        '--build-arg',
        `PIP_REQUIREMENTS=${extra.pip.join(' ')}`,
        ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
        '--load',
        '-t',
        job.tag,
        context,
      ],
      { tag: job.tag, signal, onProgress },
    );
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  const imageId = (
    await job.docker.run(
      ['image', 'inspect', '--format', '{{.Id}}', job.tag],
      signal === undefined ? {} : { signal },
    )
  ).stdout;
  onProgress({
    kind: 'step',
    message: `Built ${job.tag} (${imageId.slice(0, 19)}): deploy it with srs up --image ${job.tag}`,
  });
  return imageId;
}

/**
 * One architecture's build: BuildKit, then the same build again from the cache with the version
 * labels.
 */
async function buildOne(job: {
  config: z.output<typeof buildImageOptionsSchema>;
  buildx: Buildx;
  docker: DockerClient;
  context: string;
  architecture: ImageArchitecture;
  tag: string;
  baseImage: string;
  spark: SparkArtifact;
  rstudio: RStudioArtifact;
  signal: AbortSignal | undefined;
  onProgress: ImageProgressListener;
}): Promise<{ imageId: string; labels: Record<string, string> }> {
  const { config, docker, architecture, spark, rstudio, signal, onProgress } = job;
  const signalOption = signal === undefined ? {} : { signal };
  const base = await pinnedBaseImage(docker, job.baseImage, signal);
  const buildArgs: Record<string, string> = {
    BASE_IMAGE: base.reference,
    JAVA_VERSION: String(config.javaVersion),
    SPARK_VERSION: spark.version,
    SPARK_ARTIFACT: spark.fileName,
    SPARK_ARTIFACT_CHECKSUM: formatChecksum(spark.checksum),
    SPARK_ARTIFACT_SOURCE: spark.source,
    RSTUDIO_DEB: rstudio.present ? rstudio.fileName : '',
    RSTUDIO_SHA256: rstudio.present ? rstudio.sha256 : '',
  };
  // A name of this build's own: two builds of one tag at once must not remove each other's.
  const unlabelled = `${repositoryOf(job.tag)}:unlabelled-${architecture}-${randomBytes(4).toString('hex')}`;
  const build = (tag: string, labels: Record<string, string>, noCache: boolean) =>
    runBuild(
      job.buildx,
      [
        'build',
        '--progress=plain',
        '--platform',
        platformOf(architecture),
        ...(noCache ? ['--no-cache'] : []),
        ...Object.entries(buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]),
        ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
        '--load',
        '-t',
        tag,
        job.context,
      ],
      { tag: job.tag, signal, onProgress },
    );
  onProgress({
    kind: 'step',
    message: `Building ${job.tag} for ${architecture} with BuildKit (Spark ${spark.version} from ${spark.source}, JupyterLab, RStudio ${rstudio.present ? rstudio.version : 'absent'})…`,
  });
  let labels: Record<string, string>;
  try {
    await build(unlabelled, {}, config.noCache);
    const versions = await docker.run(
      [
        'run',
        '--rm',
        '--platform',
        platformOf(architecture),
        '--entrypoint',
        'cat',
        unlabelled,
        '/etc/srs/versions',
      ],
      signalOption,
    );
    labels = {
      ...imageLabels(parseVersions(versions.stdout)),
      [`${LABEL_PREFIX}.architecture`]: architecture,
      [`${LABEL_PREFIX}.base-image`]: base.label,
    };
    // The same build again, all from the cache, with the labels on the final image.
    await build(job.tag, labels, false);
  } finally {
    await docker.run(['image', 'rm', unlabelled], signalOption).catch(() => undefined);
  }
  const imageId = (
    await docker.run(['image', 'inspect', '--format', '{{.Id}}', job.tag], signalOption)
  ).stdout;
  onProgress({ kind: 'step', message: `Built ${job.tag} (${imageId.slice(0, 19)})` });
  return { imageId, labels };
}

/**
 * What the build starts FROM, pinned: a pulled base image by its registry digest (a tag may
 * point at other bytes tomorrow), one made here by its name and image ID (it has no digest),
 * and the label that records it on the image.
 */
export async function pinnedBaseImage(
  docker: DockerClient,
  image: string,
  signal?: AbortSignal,
): Promise<{ reference: string; label: string }> {
  const { stdout } = await docker.run(
    ['image', 'inspect', '--format', '{{json .RepoDigests}}|{{.Id}}', image],
    signal === undefined ? {} : { signal },
  );
  const [digests = '[]', id = ''] = stdout.split('|');
  const repository = repositoryOf(image.split('@')[0] ?? image);
  const candidates = (JSON.parse(digests === 'null' ? '[]' : digests) as string[]).filter(
    (reference) => /@sha256:[0-9a-f]{64}$/.test(reference),
  );
  // Docker names Hub's library images "debian@sha256:…" in RepoDigests.
  const digest = candidates.find(
    (reference) =>
      reference.split('@')[0] === repository ||
      `docker.io/library/${reference.split('@')[0] ?? ''}` === repository,
  );
  if (digest !== undefined) return { reference: digest, label: digest };
  return {
    reference: image,
    label: `${image} (made here from the Debian mirror, image ${id.slice(0, 19)})`,
  };
}

/**
 * The base image for an architecture: the configured one for the engine's own; for another, the
 * official per-architecture repository Docker Hub keeps (`arm64v8/debian:trixie-slim`), which a
 * classic image store can hold beside the engine's own.
 */
export function baseImageFor(
  baseImage: string,
  architecture: ImageArchitecture,
  native: ImageArchitecture,
): string {
  if (architecture === native) return baseImage;
  const library = /^(?:docker\.io\/)?(?:library\/)?([a-z0-9._-]+(?::[A-Za-z0-9_.-]+)?)$/.exec(
    baseImage,
  );
  if (library?.[1] === undefined) {
    throw new SrsError({
      code: 'INVALID_CONFIGURATION',
      message: `no ${architecture} variant of the base image ${baseImage} is known`,
      hint: 'build on an engine of that architecture, or use an official base image (debian:trixie-slim)',
    });
  }
  return `${PER_ARCHITECTURE_REPOSITORY[architecture]}/${library[1]}`;
}

/** Docker Hub's per-architecture repositories of the official images. */
const PER_ARCHITECTURE_REPOSITORY: Readonly<Record<ImageArchitecture, string>> = {
  amd64: 'amd64',
  arm64: 'arm64v8',
};

/**
 * Fails fast when the engine cannot run another architecture's programs (no emulation registered).
 */
async function requireEmulation(
  buildx: Buildx,
  architecture: ImageArchitecture,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { stdout } = await buildx.run(['inspect'], signal === undefined ? {} : { signal });
  const platforms = /^Platforms:\s*(.*)$/m.exec(stdout)?.[1] ?? '';
  if (!platforms.split(/,\s*/).includes(platformOf(architecture))) {
    throw new SrsError({
      code: 'IMAGE_BUILD_FAILED',
      message: `this engine cannot run ${architecture} programs (its builder offers ${platforms || 'no other platform'}), so it cannot build for ${architecture}`,
      hint: "register QEMU's emulation on the engine's machine (as root on Debian: apt-get install qemu-user-static binfmt-support), or build on a machine of that architecture",
    });
  }
}

/** The architecture of the engine the build runs on: what it builds for unless told otherwise. */
async function engineArchitecture(
  docker: DockerClient,
  signal: AbortSignal | undefined,
): Promise<ImageArchitecture> {
  const engine = await probeEngine({ docker, signal });
  if (!engine.answers) throw engine.error;
  const architecture = architectureOfEngine(engine.architecture);
  if (architecture === undefined) {
    throw new SrsError({
      code: 'IMAGE_BUILD_FAILED',
      message: `the engine runs on ${engine.architecture}, and the image is built for amd64 or arm64 only`,
      hint: 'build on an amd64 or arm64 engine, or give architecture to build for one of them under emulation',
    });
  }
  return architecture;
}

/**
 * Runs `work` with a signal that aborts when the caller's does or when `work` fails, so parallel
 * fetches stop together.
 */
async function allOrNothing<T>(
  signal: AbortSignal | undefined,
  work: (shared: AbortSignal) => Promise<T>,
): Promise<T> {
  const failed = new AbortController();
  const shared = signal === undefined ? failed.signal : AbortSignal.any([signal, failed.signal]);
  try {
    return await work(shared);
  } catch (error) {
    failed.abort(error);
    throw error;
  }
}

/**
 * A private copy of the context, next to the artifact cache so the artifacts are hard links: the
 * installed package is never written to (it may be read-only), and two builds at once do not
 * share a folder. The caller removes it.
 */
async function stageContext(
  config: z.output<typeof buildImageOptionsSchema>,
  artifacts: { spark: SparkArtifact; wheels: PythonWheels; rstudio: readonly RStudioArtifact[] },
): Promise<string> {
  const cacheDir = config.cacheDir ?? defaultCacheDir();
  await mkdir(join(cacheDir, 'contexts'), { recursive: true });
  const context = await mkdtemp(join(cacheDir, 'contexts', 'build-'));
  const staged = join(context, 'artifacts');
  try {
    for (const entry of CONTEXT_ENTRIES) {
      // Only the Dockerfile must be there: a trimmed context (a test's) may lack the rest.
      await cp(join(config.contextDir, entry), join(context, entry), { recursive: true }).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT' || entry === 'Dockerfile') throw error;
        },
      );
    }
    await normalizeContextModes(context);
    for (const dir of ['spark', 'rstudio', 'python-wheels'])
      await mkdir(join(staged, dir), { recursive: true });
    await stage(artifacts.spark.path, join(staged, 'spark', artifacts.spark.fileName));
    for (const file of artifacts.wheels.files)
      await stage(join(artifacts.wheels.dir, file), join(staged, 'python-wheels', file));
    for (const deb of artifacts.rstudio)
      if (deb.present) await stage(deb.path, join(staged, 'rstudio', deb.fileName));
    return context;
  } catch (error) {
    await rm(context, { recursive: true, force: true });
    throw error;
  }
}

/** One buildx build, its output streamed; a failure names the failing step's own lines. */
async function runBuild(
  buildx: Buildx,
  args: string[],
  options: { tag: string; signal: AbortSignal | undefined; onProgress: ImageProgressListener },
): Promise<void> {
  // BuildKit's plain progress prefixes each line of a step with "#N <seconds> ": keep the tail for
  // the error.
  const tail: string[] = [];
  try {
    await buildx.run(args, {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onLine: (line) => {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        options.onProgress({ kind: 'output', line });
      },
    });
  } catch (error) {
    if (error instanceof SrsError && error.code === 'DOCKER_COMMAND_FAILED') {
      const lines = tail
        .map((line) => line.replace(/^#\d+ \d+(\.\d+)? /, '').trim())
        .filter((line) => line !== '');
      const marked = lines.filter((line) =>
        /^(error|E):|checksum mismatch|expected|actual /i.test(line),
      );
      const reasons =
        marked.length > 0
          ? marked
          : lines.filter((line) => !/^#\d+ /.test(line) && !/^-+$/.test(line)).slice(-8);
      throw new SrsError({
        code: 'IMAGE_BUILD_FAILED',
        message: `the build of ${options.tag} failed: ${lastMeaningfulLine(error.stderr)}${reasons.length === 0 ? '' : `\n${reasons.join('\n')}`}`,
        hint: 'the lines above show the failing step; a network error inside apt-get means the Debian mirror is unreachable from builds',
        command: error.command,
        exitCode: error.exitCode,
        stderr: error.stderr,
        cause: error,
      });
    }
    throw error;
  }
}

/** Parses /etc/srs/versions (component=version lines). */
export function parseVersions(text: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([a-z0-9-]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) versions[match[1]] = match[2] ?? '';
  }
  return versions;
}

/** The OCI and project labels for the installed component versions. */
export function imageLabels(versions: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': 'spark-rstudio-shiny',
    'org.opencontainers.image.description':
      'Spark standalone master with Shiny Server, JupyterLab and RStudio Server, or Spark worker (SPARK_ROLE)',
    'org.opencontainers.image.version': versions.spark ?? 'unknown',
    'org.opencontainers.image.licenses': 'Apache-2.0',
  };
  for (const component of [
    'spark',
    'spark-source',
    'java',
    'python',
    'r',
    'dbplyr',
    'tidyverse',
    'shiny-server',
    'jupyterlab',
    'matplotlib',
    'pyarrow',
    'rstudio-server',
    'supervisor',
    'srspark',
    'sparkr',
  ]) {
    const name = component === 'rstudio-server' ? 'rstudio' : component;
    labels[`${LABEL_PREFIX}.${name}`] = versions[component] ?? 'absent';
  }
  return labels;
}

async function stage(from: string, to: string): Promise<void> {
  // A hard link costs nothing; across file systems fall back to a copy.
  await link(from, to).catch(() => copyFile(from, to));
}

function lastMeaningfulLine(text: string | undefined): string {
  return (
    (text ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter(
        (line) =>
          line !== '' &&
          !line.startsWith('DEPRECATED') &&
          !/buildx|BuildKit|docs\.docker\.com/.test(line),
      )
      .pop() ?? 'see the build output'
  );
}
