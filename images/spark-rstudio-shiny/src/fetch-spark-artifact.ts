import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SrsError } from '@spark-rstudio-shiny/core';
import { ApacheArchiveSource } from './apache-archive-source.js';
import { artifactDir, defaultCacheDir } from './artifact-cache.js';
import { CHECKSUM_SIDECAR_SUFFIX, verifyOrEvict } from './artifact-verification.js';
import { formatChecksum, type Checksum } from './checksum.js';
import { stepsToStderr, type ImageProgressListener } from './image-progress.js';
import { PypiSource } from './pypi-source.js';
import {
  DEFAULT_SPARK_SOURCES,
  type SparkArtifactSource,
  type SparkSourceName,
} from './spark-artifact-source.js';

/** A verified Spark artifact in the cache. */
export interface SparkArtifact {
  /** Where it came from. */
  source: SparkSourceName;
  /** Spark version. */
  version: string;
  /** Absolute path in the cache. */
  path: string;
  /** File name (what the Dockerfile's SPARK_ARTIFACT names). */
  fileName: string;
  /** The verified checksum. */
  checksum: Checksum;
  /** True when no download was needed. */
  fromCache: boolean;
}

/** Options of {@link fetchSparkArtifact}. */
export interface FetchSparkArtifactOptions {
  /** Spark version, e.g. "4.2.1". */
  version: string;
  /** Sources in the order to try them; default apache, then pypi. */
  sources?: readonly SparkSourceName[] | undefined;
  /** Cache folder; default {@link defaultCacheDir}. */
  cacheDir?: string | undefined;
  /** Aborts the fetch. */
  signal?: AbortSignal | undefined;
  /** Receives steps, download progress and pip output. */
  onProgress?: ImageProgressListener | undefined;
  /** Source implementations by name; tests swap these. */
  sourceImplementations?: Partial<Record<SparkSourceName, SparkArtifactSource>> | undefined;
}

function parseSidecar(text: string): Checksum | undefined {
  const match = /^(sha256|sha512):([0-9a-f]+)\s*$/.exec(text.trim());
  return match === null
    ? undefined
    : { algorithm: match[1] as Checksum['algorithm'], value: match[2] as string };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Returns a verified Spark artifact, from the cache when it holds one, else from the first
 * source that answers. A cached file is checked against the checksum recorded when it was first
 * verified, so a second build needs no network. A checksum mismatch stops everything (it is not
 * "unreachable": trying another source would hide a tampered or broken file).
 */
export async function fetchSparkArtifact(
  options: FetchSparkArtifactOptions,
): Promise<SparkArtifact> {
  const onProgress = options.onProgress ?? stepsToStderr;
  const implementations: Record<SparkSourceName, SparkArtifactSource> = {
    apache: options.sourceImplementations?.apache ?? new ApacheArchiveSource(),
    pypi: options.sourceImplementations?.pypi ?? new PypiSource(),
  };
  const dir = artifactDir(options.cacheDir ?? defaultCacheDir(), 'spark');
  await mkdir(dir, { recursive: true });
  const order = options.sources ?? DEFAULT_SPARK_SOURCES;

  // First pass: anything already verified in the cache, in preference order, costs no network.
  for (const name of order) {
    const source = implementations[name];
    const path = join(dir, source.fileName(options.version));
    const recorded = await readFile(path + CHECKSUM_SIDECAR_SUFFIX, 'utf8').then(
      parseSidecar,
      () => undefined,
    );
    if (recorded === undefined || !(await exists(path))) continue;
    await verifyOrEvict(path, recorded);
    onProgress({
      kind: 'step',
      message: `Spark ${options.version}: using cached ${source.fileName(options.version)} (${name}, ${recorded.algorithm} verified)`,
    });
    return {
      source: name,
      version: options.version,
      path,
      fileName: source.fileName(options.version),
      checksum: recorded,
      fromCache: true,
    };
  }

  const failures: string[] = [];
  for (const [index, name] of order.entries()) {
    const source = implementations[name];
    const fileName = source.fileName(options.version);
    const path = join(dir, fileName);
    let checksum: Checksum;
    try {
      onProgress({
        kind: 'step',
        message: `Spark ${options.version}: fetching ${fileName} from ${name}…`,
      });
      checksum = await source.publishedChecksum(options.version, {
        signal: options.signal,
        onProgress,
      });
      if (!(await exists(path)))
        await source.download(options.version, path, { signal: options.signal, onProgress });
    } catch (error) {
      if (options.signal?.aborted)
        throw new SrsError({
          code: 'ABORTED',
          message: 'fetching Spark was aborted',
          cause: error,
        });
      const reason = firstLine(error);
      failures.push(`${name}: ${reason}`);
      const next = order[index + 1];
      onProgress({
        kind: 'step',
        message: `Spark source ${name} is unreachable (${reason})${next === undefined ? '' : `; trying ${next}`}`,
      });
      continue;
    }
    await verifyOrEvict(path, checksum);
    // More than the checksum where the source offers it (Apache's signature): a file it does not
    // vouch for is never kept.
    const signed = await source
      .verifyDownload?.(options.version, path, { signal: options.signal, onProgress })
      .catch(async (error: unknown) => {
        await rm(path, { force: true });
        throw error;
      });
    await writeFile(path + CHECKSUM_SIDECAR_SUFFIX, `${formatChecksum(checksum)}\n`);
    onProgress({
      kind: 'step',
      message: `Spark ${options.version}: fetched ${fileName} from ${name} (${checksum.algorithm} verified${signed === undefined ? '' : `; ${signed}`})`,
    });
    return { source: name, version: options.version, path, fileName, checksum, fromCache: false };
  }
  throw new SrsError({
    code: 'ARTIFACT_UNAVAILABLE',
    message: `no source could provide Spark ${options.version}:\n  ${failures.join('\n  ')}`,
    hint: `check the network, set SRS_APACHE_MIRROR or PIP_INDEX_URL, or put a verified artifact in ${dir}`,
  });
}

function firstLine(error: unknown): string {
  const text =
    error instanceof Error
      ? error.cause instanceof Error
        ? `${error.message}: ${error.cause.message}`
        : error.message
      : String(error);
  return text.split('\n')[0] ?? text;
}
