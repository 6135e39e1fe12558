import type { Checksum } from './checksum.js';
import type { ImageProgressListener } from './image-progress.js';

/** Where Spark can come from. */
export type SparkSourceName =
  /**
   * The official binary tarball from the Apache archive, checked against its published .sha512
   * (ships SparkR).
   */
  | 'apache'
  /**
   * The pyspark sdist from PyPI via the machine's pip, checked against PyPI's sha256 (no SparkR).
   */
  | 'pypi';

/** The order tried when the configuration names none. */
export const DEFAULT_SPARK_SOURCES: readonly SparkSourceName[] = ['apache', 'pypi'];

/** Options of the network calls of a {@link SparkArtifactSource}. */
export interface SourceCallOptions {
  /** Aborts the call. */
  signal?: AbortSignal | undefined;
  /** Receives download progress and tool output. */
  onProgress?: ImageProgressListener | undefined;
}

/**
 * One place Spark can be fetched from. Each network call fails within seconds when the source is
 * unreachable.
 */
export interface SparkArtifactSource {
  /** The source's name in configuration and labels. */
  readonly name: SparkSourceName;
  /** The artifact's file name for a Spark version. */
  fileName(version: string): string;
  /** The checksum the source publishes for that version. */
  publishedChecksum(version: string, options?: SourceCallOptions): Promise<Checksum>;
  /** Downloads the artifact to `destination` (a file path). */
  download(version: string, destination: string, options?: SourceCallOptions): Promise<void>;
  /**
   * Checks more than the checksum, when the source can (Apache: the release manager's
   * signature); returns what to say about it. Throws when it does not hold.
   */
  verifyDownload?(version: string, path: string, options?: SourceCallOptions): Promise<string>;
}
