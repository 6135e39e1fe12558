import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChecksumMismatchError } from '@spark-rstudio-shiny/core';
import { fileChecksum, formatChecksum, parseApacheSha512, verifyChecksum } from './checksum.js';

const HEX = 'ab'.repeat(64);

describe('parseApacheSha512', () => {
  it('should read the sha512sum form "<hex>  <file>"', () => {
    expect(parseApacheSha512(`${HEX}  spark-4.2.1-bin-hadoop3.tgz\n`)).toEqual({
      algorithm: 'sha512',
      value: HEX,
    });
  });

  it('should read the gpg --print-md form spread over several upper-case lines', () => {
    const groups = HEX.toUpperCase().match(/.{8}/g) ?? [];
    const text = `spark-3.5.0-bin-hadoop3.tgz: ${groups.slice(0, 8).join(' ')}\n                             ${groups.slice(8).join(' ')}\n`;
    expect(parseApacheSha512(text)).toEqual({ algorithm: 'sha512', value: HEX });
  });

  it('should reject text that holds no SHA-512', () => {
    expect(() => parseApacheSha512('<html>Not Found</html>')).toThrow(/not a SHA-512/);
  });
});

describe('verifyChecksum', () => {
  it('should resolve for the right digest and name the file and both digests otherwise', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'srs-checksum-'));
    const file = join(dir, 'artifact.tgz');
    await writeFile(file, 'spark bytes');
    const right = createHash('sha256').update('spark bytes').digest('hex');
    await expect(fileChecksum(file, 'sha256')).resolves.toEqual({
      algorithm: 'sha256',
      value: right,
    });
    await expect(
      verifyChecksum(file, { algorithm: 'sha256', value: right.toUpperCase() }),
    ).resolves.toBeUndefined();

    const wrong = '0'.repeat(64);
    const error = await verifyChecksum(file, { algorithm: 'sha256', value: wrong }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    const mismatch = error as ChecksumMismatchError;
    expect(mismatch.code).toBe('CHECKSUM_MISMATCH');
    expect(mismatch.file).toBe('artifact.tgz');
    expect(mismatch.message).toContain(`expected sha256: ${wrong}`);
    expect(mismatch.message).toContain(`actual   sha256: ${right}`);
    expect(formatChecksum({ algorithm: 'sha512', value: HEX })).toBe(`sha512:${HEX}`);
  });
});
