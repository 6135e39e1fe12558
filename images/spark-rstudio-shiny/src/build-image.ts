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
  SrsError,
  type DockerClient,
} from '@spark-rstudio-shiny/core';
import { ensureBaseImage, type BaseImageOrigin } from './base-image.js';
import { formatChecksum } from './checksum.js';
import { defaultCacheDir } from './artifact-cache.js';
import { normalizeContextModes } from './context-modes.js';
import { fetchSparkArtifact, type SparkArtifact } from './fetch-spark-artifact.js';
import { stepsToStderr, type ImageProgressListener } from './image-progress.js';
import { fetchPythonWheels } from './python-wheels.js';
import { fetchRStudioDeb } from './rstudio-artifact.js';
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
 * Builds the image end to end: base image (present, pulled or bootstrapped), Spark and RStudio
 * artifacts fetched and verified on the host, `docker build`, then labels with the versions that
 * were really installed.
 */
export async function buildImage(options: BuildImageOptions = {}): Promise<BuildImageResult> {
  const { signal, onProgress: listener, docker: client, ...input } = options;
  const config = parseInput(buildImageOptionsSchema, input, 'image build options');
  const onProgress = listener ?? stepsToStderr;
  const docker = client ?? new DockerCli();
  const signalOption = signal === undefined ? {} : { signal };

  const baseImage = await ensureBaseImage({ image: config.baseImage, docker, signal, onProgress });
  const spark = await fetchSparkArtifact({ version: config.sparkVersion, sources: config.sparkSources, cacheDir: config.cacheDir, signal, onProgress });
  const wheels = await fetchPythonWheels({ lockFile: join(config.contextDir, 'python', 'jupyterlab.lock'), cacheDir: config.cacheDir, signal, onProgress });
  const rstudio =
    config.rstudio === false
      ? ({ present: false, reason: 'disabled by configuration' } as const)
      : await fetchRStudioDeb({ ...config.rstudio, cacheDir: config.cacheDir, signal, onProgress });

  // A private copy of the context, next to the artifact cache so the artifacts are hard links:
  // the installed package is never written to (it may be read-only), and two builds at once do
  // not share a folder.
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
    await mkdir(join(staged, 'spark'), { recursive: true });
    await mkdir(join(staged, 'rstudio'), { recursive: true });
    await mkdir(join(staged, 'python-wheels'), { recursive: true });
    await stage(spark.path, join(staged, 'spark', spark.fileName));
    for (const file of wheels.files) await stage(join(wheels.dir, file), join(staged, 'python-wheels', file));
    if (rstudio.present) await stage(rstudio.path, join(staged, 'rstudio', rstudio.fileName));
  } catch (error) {
    await rm(context, { recursive: true, force: true });
    throw error;
  }

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
  onProgress({
    kind: 'step',
    message: `Building ${config.tag} (Spark ${spark.version} from ${spark.source}, JupyterLab, RStudio ${rstudio.present ? rstudio.version : 'absent'})…`,
  });
  // The legacy builder prints a failing step's own output on stdout: keep the tail for the error.
  const tail: string[] = [];
  try {
    await docker.run(
      [
        'build',
        '--force-rm',
        ...(config.noCache ? ['--no-cache'] : []),
        ...Object.entries(buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]),
        '-t',
        unlabelled,
        context,
      ],
      {
        ...signalOption,
        onLine: (line) => {
          tail.push(line);
          if (tail.length > 15) tail.shift();
          onProgress({ kind: 'output', line });
        },
      },
    );
  } catch (error) {
    if (error instanceof SrsError && error.code === 'DOCKER_COMMAND_FAILED') {
      // The lines that say why; failing that, the last lines the failing step printed.
      const marked = tail.filter((line) => /^(error|E):|checksum mismatch|expected|actual /i.test(line.trim()));
      const reasons = marked.length > 0 ? marked : tail.filter((line) => line.trim() !== '' && !/^\s*(Step \d+\/\d+|---> |Removing intermediate)/.test(line)).slice(-8);
      throw new SrsError({
        code: 'IMAGE_BUILD_FAILED',
        message: `docker build of ${config.tag} failed: ${lastMeaningfulLine(error.stderr)}${reasons.length === 0 ? '' : `\n${reasons.join('\n')}`}`,
        hint: 'the lines above show the failing step; a network error inside apt-get means the Debian mirror is unreachable from builds',
        command: error.command,
        exitCode: error.exitCode,
        stderr: error.stderr,
        cause: error,
      });
    }
    throw error;
  } finally {
    await rm(context, { recursive: true, force: true });
  }

  const versions = await docker.run(['run', '--rm', '--entrypoint', 'cat', unlabelled, '/etc/srs/versions'], signalOption);
  const labels = imageLabels(parseVersions(versions.stdout));
  const dockerfile = [
    `FROM ${unlabelled}`,
    `LABEL ${Object.entries(labels)
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
      .join(' \\\n  ')}`,
  ].join('\n');
  await docker.run(['build', '-t', config.tag, '-'], { ...signalOption, input: dockerfile });
  await docker.run(['image', 'rm', unlabelled], signalOption).catch(() => undefined);
  const imageId = (await docker.run(['image', 'inspect', '--format', '{{.Id}}', config.tag], signalOption)).stdout;
  onProgress({ kind: 'step', message: `Built ${config.tag} (${imageId.slice(0, 19)})` });
  return {
    tag: config.tag,
    imageId,
    baseImage,
    spark: { version: spark.version, source: spark.source, fileName: spark.fileName, fromCache: spark.fromCache },
    rstudio: labels[`${LABEL_PREFIX}.rstudio`] ?? 'absent',
    labels,
  };
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
