import { SrsError } from '@spark-rstudio-shiny/core';
import { parseApacheSha512, type Checksum } from './checksum.js';
import { downloadFile, downloadText } from './download-file.js';
import { verifyDetachedSignature } from './release-signature.js';
import type { SourceCallOptions, SparkArtifactSource } from './spark-artifact-source.js';

/** The Apache archive keeps every release; mirrors (SRS_APACHE_MIRROR) keep the same layout. */
export const DEFAULT_APACHE_MIRROR = 'https://archive.apache.org/dist';

/**
 * Spark's KEYS file, from Apache's main download host: another host than the archive (or mirror)
 * the tarball and its signature come from, so one tampered server cannot vouch for itself.
 */
export const DEFAULT_SPARK_KEYS_URL = 'https://downloads.apache.org/spark/KEYS';

/**
 * Spark's official binary distribution, `spark-<v>-bin-hadoop3.tgz`, verified against Apache's
 * `.sha512` and the release manager's signature (`.asc`) against the project's KEYS.
 */
export class ApacheArchiveSource implements SparkArtifactSource {
  readonly name = 'apache' as const;
  readonly #mirror: string;
  readonly #keysUrl: string;
  readonly #connectTimeoutMs: number;

  constructor(
    options: {
      mirror?: string | undefined;
      keysUrl?: string | undefined;
      connectTimeoutMs?: number | undefined;
    } = {},
  ) {
    this.#mirror = (
      options.mirror ??
      process.env.SRS_APACHE_MIRROR ??
      DEFAULT_APACHE_MIRROR
    ).replace(/\/+$/, '');
    this.#keysUrl = options.keysUrl ?? process.env.SRS_APACHE_KEYS_URL ?? DEFAULT_SPARK_KEYS_URL;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  fileName(version: string): string {
    return `spark-${version}-bin-hadoop3.tgz`;
  }

  url(version: string): string {
    return `${this.#mirror}/spark/spark-${version}/${this.fileName(version)}`;
  }

  async publishedChecksum(version: string, options: SourceCallOptions = {}): Promise<Checksum> {
    const text = await downloadText(`${this.url(version)}.sha512`, {
      signal: options.signal,
      connectTimeoutMs: this.#connectTimeoutMs,
    });
    return parseApacheSha512(text);
  }

  async verifyDownload(
    version: string,
    path: string,
    options: SourceCallOptions = {},
  ): Promise<string> {
    const call = { signal: options.signal, connectTimeoutMs: this.#connectTimeoutMs };
    const [signature, keys] = await Promise.all([
      downloadText(`${this.url(version)}.asc`, call),
      downloadText(this.#keysUrl, call),
    ]).catch((error: unknown) => {
      throw new SrsError({
        code: 'ARTIFACT_UNAVAILABLE',
        message: `the signature of ${this.fileName(version)} or Spark's KEYS (${this.#keysUrl}) could not be fetched: ${(error as Error).message}`,
        hint: "a tarball is used only with its release manager's signature: set SRS_APACHE_KEYS_URL to a KEYS file you can reach, or use the pypi source",
        cause: error,
      });
    });
    const signed = await verifyDetachedSignature(path, signature, keys);
    return `signed by ${signed.signer}, key ${signed.fingerprint}`;
  }

  async download(
    version: string,
    destination: string,
    options: SourceCallOptions = {},
  ): Promise<void> {
    await downloadFile(this.url(version), destination, {
      signal: options.signal,
      connectTimeoutMs: this.#connectTimeoutMs,
      onProgress: options.onProgress,
    });
  }
}
