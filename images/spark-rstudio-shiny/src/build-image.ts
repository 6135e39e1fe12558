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
const CONTEXT_ENTRIES = ['Dockerfile', '.dockerignore', 'scripts', 'rootfs', 'r', 'jvm', 'python', 'apps'];

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
  rstudio: z.union([z.literal(false), z.strictObject({ version: z.string().optional(), sha256: z.string().optional() })]).default({}),
  cacheDir: z.string().optional(),
  contextDir: z.string().default(DEFAULT_CONTEXT_DIR),
  /** Ignore Docker's layer cache (a cold build). */
  noCache: z.boolean().default(false),
  /** The architecture to build for; default the engine's (another one needs emulation on the engine). */
  architecture: z.enum(['amd64', 'arm64']).optional(),
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

/** What {@link buildImage} built. */
export interface BuildImageResult {
  /** The image's name. */
  tag: string;
  /** The image's ID (sha256:…). */
  imageId: string;
  /** The architecture it was built for. */
  architecture: ImageArchitecture;
  /** How the base image was obtained. */
  baseImage: BaseImageOrigin;
  /** The Spark artifact built in. */
  spark: Pick<SparkArtifact, 'version' | 'source' | 'fileName' | 'fromCache'>;
  /** The RStudio Server version, or "absent". */
  rstudio: string;
  /** The labels set on the image (component versions). */
  labels: Record<string, string>;
}

/**
 * Builds the image end to end: the base image (present, pulled or bootstrapped) and the Spark,
 * JupyterLab and RStudio artifacts fetched and verified on the host at the same time, then a
 * BuildKit build (through buildx), then labels with the versions that were really installed.
 */
export async function buildImage(options: BuildImageOptions = {}): Promise<BuildImageResult> {
  const { signal, onProgress: listener, docker: client, ...input } = options;
  const config = parseInput(buildImageOptionsSchema, input, 'image build options');
  const onProgress = listener ?? stepsToStderr;
  const docker = client ?? new DockerCli();
  const signalOption = signal === undefined ? {} : { signal };
  const architecture = config.architecture ?? (await engineArchitecture(docker, signal));

  // Everything the build needs comes from different places: fetch it all at once, and stop the
  // others as soon as one fails.
  const { baseImage, spark, wheels, rstudio } = await allOrNothing(signal, async (shared) => {
    const [baseImage, spark, wheels, rstudio] = await Promise.all([
      ensureBaseImage({ image: config.baseImage, docker, signal: shared, onProgress }),
      fetchSparkArtifact({ version: config.sparkVersion, sources: config.sparkSources, cacheDir: config.cacheDir, signal: shared, onProgress }),
      fetchPythonWheels({
        lockFile: join(config.contextDir, 'python', 'jupyterlab.lock'),
        architectures: [architecture],
        cacheDir: config.cacheDir,
        signal: shared,
        onProgress,
      }),
      config.rstudio === false
        ? ({ present: false, reason: 'disabled by configuration' } as const)
        : fetchRStudioDeb({ ...config.rstudio, architecture, cacheDir: config.cacheDir, signal: shared, onProgress }),
    ]);
    return { baseImage, spark, wheels, rstudio };
  });
  const buildx = await findBuildx({ docker, baseImage: config.baseImage, cacheDir: config.cacheDir, signal, onProgress });

  const context = await stageContext(config, { spark, wheels, rstudio });
  const buildArgs: Record<string, string> = {
    BASE_IMAGE: config.baseImage,
    JAVA_VERSION: String(config.javaVersion),
    SPARK_VERSION: spark.version,
    SPARK_ARTIFACT: spark.fileName,
    SPARK_ARTIFACT_CHECKSUM: formatChecksum(spark.checksum),
    SPARK_ARTIFACT_SOURCE: spark.source,
    RSTUDIO_DEB: rstudio.present ? rstudio.fileName : '',
    RSTUDIO_SHA256: rstudio.present ? rstudio.sha256 : '',
  };
  const unlabelled = `${config.tag.includes(':') ? config.tag.slice(0, config.tag.lastIndexOf(':')) : config.tag}:unlabelled`;
  const build = (tag: string, labels: Record<string, string>, noCache: boolean) =>
    runBuild(
      buildx,
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
        context,
      ],
      { tag: config.tag, signal, onProgress },
    );
  onProgress({
    kind: 'step',
    message: `Building ${config.tag} for ${architecture} with BuildKit (Spark ${spark.version} from ${spark.source}, JupyterLab, RStudio ${rstudio.present ? rstudio.version : 'absent'})…`,
  });
  let labels: Record<string, string>;
  try {
    await build(unlabelled, {}, config.noCache);
    const versions = await docker.run(['run', '--rm', '--platform', platformOf(architecture), '--entrypoint', 'cat', unlabelled, '/etc/srs/versions'], signalOption);
    labels = { ...imageLabels(parseVersions(versions.stdout)), [`${LABEL_PREFIX}.architecture`]: architecture };
    // The same build again, all from the cache, with the labels on the final image.
    await build(config.tag, labels, false);
  } finally {
    await rm(context, { recursive: true, force: true });
    await docker.run(['image', 'rm', unlabelled], signalOption).catch(() => undefined);
  }
  const imageId = (await docker.run(['image', 'inspect', '--format', '{{.Id}}', config.tag], signalOption)).stdout;
  onProgress({ kind: 'step', message: `Built ${config.tag} (${imageId.slice(0, 19)})` });
  return {
    tag: config.tag,
    imageId,
    architecture,
    baseImage,
    spark: { version: spark.version, source: spark.source, fileName: spark.fileName, fromCache: spark.fromCache },
    rstudio: labels[`${LABEL_PREFIX}.rstudio`] ?? 'absent',
    labels,
  };
}

/** The architecture of the engine the build runs on: what it builds for unless told otherwise. */
async function engineArchitecture(docker: DockerClient, signal: AbortSignal | undefined): Promise<ImageArchitecture> {
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

/** Runs `work` with a signal that aborts when the caller's does or when `work` fails, so parallel fetches stop together. */
async function allOrNothing<T>(signal: AbortSignal | undefined, work: (shared: AbortSignal) => Promise<T>): Promise<T> {
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
  artifacts: { spark: SparkArtifact; wheels: PythonWheels; rstudio: RStudioArtifact },
): Promise<string> {
  const cacheDir = config.cacheDir ?? defaultCacheDir();
  await mkdir(join(cacheDir, 'contexts'), { recursive: true });
  const context = await mkdtemp(join(cacheDir, 'contexts', 'build-'));
  const staged = join(context, 'artifacts');
  try {
    for (const entry of CONTEXT_ENTRIES) {
      // Only the Dockerfile must be there: a trimmed context (a test's) may lack the rest.
      await cp(join(config.contextDir, entry), join(context, entry), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT' || entry === 'Dockerfile') throw error;
      });
    }
    await normalizeContextModes(context);
    for (const dir of ['spark', 'rstudio', 'python-wheels']) await mkdir(join(staged, dir), { recursive: true });
    await stage(artifacts.spark.path, join(staged, 'spark', artifacts.spark.fileName));
    for (const file of artifacts.wheels.files) await stage(join(artifacts.wheels.dir, file), join(staged, 'python-wheels', file));
    if (artifacts.rstudio.present) await stage(artifacts.rstudio.path, join(staged, 'rstudio', artifacts.rstudio.fileName));
    return context;
  } catch (error) {
    await rm(context, { recursive: true, force: true });
    throw error;
  }
}

/** One buildx build, its output streamed; a failure names the failing step's own lines. */
async function runBuild(buildx: Buildx, args: string[], options: { tag: string; signal: AbortSignal | undefined; onProgress: ImageProgressListener }): Promise<void> {
  // BuildKit's plain progress prefixes each line of a step with "#N <seconds> ": keep the tail for the error.
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
      const lines = tail.map((line) => line.replace(/^#\d+ \d+(\.\d+)? /, '').trim()).filter((line) => line !== '');
      const marked = lines.filter((line) => /^(error|E):|checksum mismatch|expected|actual /i.test(line));
      const reasons = marked.length > 0 ? marked : lines.filter((line) => !/^#\d+ /.test(line) && !/^-+$/.test(line)).slice(-8);
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
    'org.opencontainers.image.description': 'Spark standalone master with Shiny Server, JupyterLab and RStudio Server, or Spark worker (SPARK_ROLE)',
    'org.opencontainers.image.version': versions.spark ?? 'unknown',
    'org.opencontainers.image.licenses': 'Apache-2.0',
  };
  for (const component of ['spark', 'spark-source', 'java', 'python', 'r', 'dbplyr', 'shiny-server', 'jupyterlab', 'rstudio-server', 'supervisor', 'srspark', 'sparkr']) {
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
      .filter((line) => line !== '' && !line.startsWith('DEPRECATED') && !/buildx|BuildKit|docs\.docker\.com/.test(line))
      .pop() ?? 'see the build output'
  );
}
