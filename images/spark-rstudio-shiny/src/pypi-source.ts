import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import type { Checksum } from './checksum.js';
import { downloadText } from './download-file.js';
import type { SourceCallOptions, SparkArtifactSource } from './spark-artifact-source.js';
import { SrsError } from '@spark-rstudio-shiny/core';

/**
 * sha256 of pyspark sdists as PyPI publishes them, pinned so that a build of a pinned version
 * does not depend on the index being honest on the day. Other versions use the index's value.
 */
export const PINNED_PYSPARK_SHA256: Readonly<Record<string, string>> = {
  '4.2.1': 'd79b7c8ee41e66a9202fe6f600ca90b931ca571ae9dbdf31c58d2672e5102da0',
};

const simpleIndexSchema = z.looseObject({
  files: z.array(
    z.looseObject({
      filename: z.string(),
      hashes: z.looseObject({ sha256: z.string().optional() }),
    }),
  ),
});

/**
 * The `pyspark-<v>.tar.gz` sdist from PyPI, fetched with the machine's own `pip download` (so its
 * index, proxy and certificates apply). It carries Spark's jars/ and bin/, not SparkR.
 */
export class PypiSource implements SparkArtifactSource {
  readonly name = 'pypi' as const;
  readonly #python: string;
  readonly #indexUrl: string;
  readonly #timeoutSeconds: number;

  constructor(options: { python?: string; indexUrl?: string; timeoutSeconds?: number } = {}) {
    this.#python = options.python ?? 'python3';
    this.#indexUrl = (
      options.indexUrl ??
      process.env.PIP_INDEX_URL ??
      'https://pypi.org/simple'
    ).replace(/\/+$/, '');
    this.#timeoutSeconds = options.timeoutSeconds ?? 15;
  }

  fileName(version: string): string {
    return `pyspark-${version}.tar.gz`;
  }

  async publishedChecksum(version: string, options: SourceCallOptions = {}): Promise<Checksum> {
    const pinned = PINNED_PYSPARK_SHA256[version];
    if (pinned !== undefined) return { algorithm: 'sha256', value: pinned };
    const text = await downloadText(`${this.#indexUrl}/pyspark/`, {
      signal: options.signal,
      connectTimeoutMs: this.#timeoutSeconds * 1000,
      accept: 'application/vnd.pypi.simple.v1+json, text/html;q=0.1',
    }).catch((error: unknown) => {
      throw new SrsError({
        code: 'ARTIFACT_UNAVAILABLE',
        message: `PyPI index ${this.#indexUrl} did not answer: ${String(error)}`,
        hint: 'check the network, or set PIP_INDEX_URL',
        cause: error,
      });
    });
    // The JSON form of the simple API is asked for by content type; plain HTML answers are parsed
    // too.
    const sha = findSha256(text, this.fileName(version));
    if (sha === undefined)
      throw new SrsError({
        code: 'ARTIFACT_UNAVAILABLE',
        message: `PyPI lists no ${this.fileName(version)} with a sha256`,
        hint: 'check the Spark version',
      });
    return { algorithm: 'sha256', value: sha };
  }

  async download(
    version: string,
    destination: string,
    options: SourceCallOptions = {},
  ): Promise<void> {
    const work = await mkdtemp(join(dirname(destination), '.pip-'));
    // pip downloads into its temporary folder and prints a progress bar only on a terminal: the
    // bytes so far are read off that folder, the total off its "Downloading … (450.0 MB)" line.
    const temporary = join(work, 'tmp');
    await mkdir(temporary);
    let totalBytes: number | undefined;
    const fileName = this.fileName(version);
    const watch = setInterval(() => {
      void largestFileSize(temporary).then((receivedBytes) => {
        if (receivedBytes > 0)
          options.onProgress?.({ kind: 'download', file: fileName, receivedBytes, totalBytes });
      });
    }, 500);
    try {
      const pip = execa(
        this.#python,
        [
          '-m',
          'pip',
          'download',
          '--no-deps',
          '--no-binary',
          ':all:',
          '--timeout',
          String(this.#timeoutSeconds),
          '--retries',
          '1',
          '--dest',
          work,
          `pyspark==${version}`,
        ],
        {
          ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
          all: true,
          env: { TMPDIR: temporary },
        },
      );
      pip.all?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split(/\r?\n/)) {
          if (line.trim() === '') continue;
          const size = /Downloading \S+ \((\d+(?:\.\d+)?) (kB|MB|GB)\)/.exec(line);
          if (size?.[1] !== undefined)
            totalBytes = Number(size[1]) * UNIT_BYTES[size[2] as keyof typeof UNIT_BYTES];
          options.onProgress?.({ kind: 'output', line });
        }
      });
      await pip;
      const [file] = (await readdir(work)).filter((name) => name === this.fileName(version));
      if (file === undefined)
        throw new SrsError({
          code: 'ARTIFACT_UNAVAILABLE',
          message: `pip download left no ${this.fileName(version)}`,
          hint: 'check what pip printed above',
        });
      await rename(join(work, file), destination);
    } finally {
      clearInterval(watch);
      await rm(work, { recursive: true, force: true });
    }
  }
}

/** pip's size units (decimal, as pip prints them). */
const UNIT_BYTES = { kB: 1e3, MB: 1e6, GB: 1e9 } as const;

/** The size of the largest file under `dir` (pip's partial download), 0 when there is none. */
async function largestFileSize(dir: string): Promise<number> {
  let largest = 0;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const size = await stat(
      join(entry.parentPath ?? (entry as { path?: string }).path ?? dir, entry.name),
    ).then(
      (info) => info.size,
      () => 0,
    );
    largest = Math.max(largest, size);
  }
  return largest;
}

function findSha256(indexText: string, fileName: string): string | undefined {
  try {
    const parsed = simpleIndexSchema.parse(JSON.parse(indexText));
    return parsed.files.find((file) => file.filename === fileName)?.hashes.sha256;
  } catch {
    const match = new RegExp(`${fileName.replace(/\./g, '\\.')}#sha256=([0-9a-f]{64})`).exec(
      indexText,
    );
    return match?.[1];
  }
}
