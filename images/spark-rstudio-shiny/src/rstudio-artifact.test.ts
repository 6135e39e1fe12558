import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChecksumMismatchError } from '@spark-rstudio-shiny/core';
import { artifactDir } from './artifact-cache.js';
import {
  DEFAULT_RSTUDIO_VERSION,
  fetchRStudioDeb,
  PINNED_RSTUDIO_SHA256,
  rstudioDebFileName,
  rstudioDebUrl,
} from './rstudio-artifact.js';

const quiet = (): void => undefined;

describe('the RStudio Server default', () => {
  it('should pin 2026.09.0+174, its jammy .deb and the sha256 repo2docker pins for it', () => {
    expect(DEFAULT_RSTUDIO_VERSION).toBe('2026.09.0+174');
    expect(rstudioDebFileName(DEFAULT_RSTUDIO_VERSION)).toBe(
      'rstudio-server-2026.09.0-174-amd64.deb',
    );
    expect(rstudioDebUrl(DEFAULT_RSTUDIO_VERSION)).toBe(
      'https://download2.rstudio.org/server/jammy/amd64/rstudio-server-2026.09.0-174-amd64.deb',
    );
    expect(PINNED_RSTUDIO_SHA256[rstudioDebFileName(DEFAULT_RSTUDIO_VERSION)]).toBe(
      '168bc577ef2f68abab1ad2ed684e830da1d244618b25b69fd20448e60716c5ba',
    );
  });
});

describe('fetchRStudioDeb', () => {
  let cacheDir: string;
  let deb: string;

  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'srs-rstudio-test-'));
    await mkdir(artifactDir(cacheDir, 'rstudio'), { recursive: true });
    deb = join(artifactDir(cacheDir, 'rstudio'), rstudioDebFileName(DEFAULT_RSTUDIO_VERSION));
  });

  afterEach(() => rm(cacheDir, { recursive: true, force: true }));

  it('should stop on a cached file whose sha256 is not the pinned one, and evict it', async () => {
    await writeFile(deb, 'not the .deb Posit publishes');
    const error = await fetchRStudioDeb({ cacheDir, onProgress: quiet }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as ChecksumMismatchError).expected).toBe(
      PINNED_RSTUDIO_SHA256[rstudioDebFileName(DEFAULT_RSTUDIO_VERSION)],
    );
    await expect(stat(deb)).rejects.toThrow(/ENOENT/);
  });

  it('should take a file that matches a sha256 given by the user (SRS_RSTUDIO_SHA256), without downloading', async () => {
    const content = 'a release the user verified';
    await writeFile(deb, content);
    const sha256 = createHash('sha256').update(content).digest('hex');
    await expect(fetchRStudioDeb({ cacheDir, sha256, onProgress: quiet })).resolves.toMatchObject({
      present: true,
      version: DEFAULT_RSTUDIO_VERSION,
      sha256,
    });
  });

  it('should build without RStudio, saying why, for a version with no known sha256', async () => {
    const messages: string[] = [];
    const result = await fetchRStudioDeb({
      cacheDir,
      version: '2020.01.0+1',
      onProgress: (event) => event.kind === 'step' && messages.push(event.message),
    });
    expect(result).toEqual({
      present: false,
      reason: expect.stringMatching(/no sha256 known for rstudio-server-2020\.01\.0-1-amd64\.deb/),
    });
    expect(messages).toEqual([expect.stringMatching(/^RStudio Server: skipped/)]);
  });

  it('should say plainly that an arm64 image has no RStudio while no arm64 sha256 is pinned', async () => {
    const previous = process.env.SRS_RSTUDIO_SHA256;
    delete process.env.SRS_RSTUDIO_SHA256;
    try {
      const result = await fetchRStudioDeb({ cacheDir, architecture: 'arm64', onProgress: quiet });
      expect(rstudioDebUrl(DEFAULT_RSTUDIO_VERSION, 'arm64')).toBe(
        'https://download2.rstudio.org/server/jammy/arm64/rstudio-server-2026.09.0-174-arm64.deb',
      );
      expect(result).toEqual({
        present: false,
        reason: expect.stringMatching(
          /no sha256 known for rstudio-server-2026\.09\.0-174-arm64\.deb, so RStudio is absent on arm64/,
        ),
      });
    } finally {
      if (previous !== undefined) process.env.SRS_RSTUDIO_SHA256 = previous;
    }
  });
});
