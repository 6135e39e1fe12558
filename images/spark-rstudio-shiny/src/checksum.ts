import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { ChecksumMismatchError, SrsError } from '@spark-rstudio-shiny/core';

/** A hash algorithm the artifact sources publish. */
export type ChecksumAlgorithm = 'sha256' | 'sha512';

/** An expected or computed digest of a file. */
export interface Checksum {
  /** Hash algorithm. */
  algorithm: ChecksumAlgorithm;
  /** Lower-case hex digest. */
  value: string;
}

/** Hashes a file by streaming it, so a 500 MB artifact never sits in memory. */
export async function fileChecksum(path: string, algorithm: ChecksumAlgorithm): Promise<Checksum> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { algorithm, value: hash.digest('hex') };
}

/**
 * Resolves when `path` has the expected digest; rejects with {@link ChecksumMismatchError} naming
 * both.
 */
export async function verifyChecksum(path: string, expected: Checksum): Promise<void> {
  const actual = await fileChecksum(path, expected.algorithm);
  if (actual.value !== expected.value.toLowerCase()) {
    throw new ChecksumMismatchError({
      file: basename(path),
      algorithm: expected.algorithm,
      expected: expected.value.toLowerCase(),
      actual: actual.value,
    });
  }
}

/** "sha512:abc…" — the form the Dockerfile's install scripts take. */
export function formatChecksum(checksum: Checksum): string {
  return `${checksum.algorithm}:${checksum.value}`;
}

/**
 * Parses Apache's published `.sha512` files, which come in two forms:
 * `<hex>  <file>` (sha512sum) and `<file>: 8883C67E 0A138069 …` (gpg --print-md, over several
 * lines).
 */
export function parseApacheSha512(text: string): Checksum {
  const withoutName = text.includes(':')
    ? text.slice(text.indexOf(':') + 1)
    : (text.trim().split(/\s+/)[0] ?? '');
  const hex = withoutName.replace(/\s+/g, '').toLowerCase();
  if (!/^[0-9a-f]{128}$/.test(hex)) {
    throw new SrsError({
      code: 'ARTIFACT_UNAVAILABLE',
      message: `not a SHA-512 checksum file: ${JSON.stringify(text.slice(0, 80))}`,
      hint: 'the mirror answered with something else than a checksum; try another mirror (SRS_APACHE_MIRROR)',
    });
  }
  return { algorithm: 'sha512', value: hex };
}
