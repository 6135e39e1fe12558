import { parseApacheSha512, type Checksum } from './checksum.js';
import { downloadFile, downloadText } from './download-file.js';
import type { SourceCallOptions, SparkArtifactSource } from './spark-artifact-source.js';

/** The Apache archive keeps every release; mirrors (SRS_APACHE_MIRROR) keep the same layout. */
export const DEFAULT_APACHE_MIRROR = 'https://archive.apache.org/dist';

/** Spark's official binary distribution, `spark-<v>-bin-hadoop3.tgz`, verified against Apache's `.sha512`. */
export class ApacheArchiveSource implements SparkArtifactSource {
  readonly name = 'apache' as const;
  readonly #mirror: string;
  readonly #connectTimeoutMs: number;

  constructor(options: { mirror?: string | undefined; connectTimeoutMs?: number | undefined } = {}) {
    this.#mirror = (options.mirror ?? process.env.SRS_APACHE_MIRROR ?? DEFAULT_APACHE_MIRROR).replace(/\/+$/, '');
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

  async download(version: string, destination: string, options: SourceCallOptions = {}): Promise<void> {
    await downloadFile(this.url(version), destination, {
      signal: options.signal,
      connectTimeoutMs: this.#connectTimeoutMs,
      onProgress: options.onProgress,
    });
  }
}
