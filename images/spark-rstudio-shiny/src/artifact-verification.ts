import { rm } from 'node:fs/promises';
import { ChecksumMismatchError } from '@spark-rstudio-shiny/core';
import { verifyChecksum, type Checksum } from './checksum.js';

/** Suffix of the file that records an artifact's verified checksum next to it in the cache. */
export const CHECKSUM_SIDECAR_SUFFIX = '.checksum';

/**
 * Verifies a cached artifact; on a mismatch removes it (and its recorded checksum) so the next
 * build fetches it anew, then rethrows the {@link ChecksumMismatchError} naming both hashes.
 */
export async function verifyOrEvict(path: string, checksum: Checksum): Promise<void> {
  try {
    await verifyChecksum(path, checksum);
  } catch (error) {
    if (error instanceof ChecksumMismatchError) {
      await rm(path, { force: true });
      await rm(path + CHECKSUM_SIDECAR_SUFFIX, { force: true });
    }
    throw error;
  }
}
