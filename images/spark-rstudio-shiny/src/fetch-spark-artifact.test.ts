import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createMessage, generateKey, sign, type PrivateKey } from 'openpgp';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChecksumMismatchError, SrsError } from '@spark-rstudio-shiny/core';
import { ApacheArchiveSource } from './apache-archive-source.js';
import { fetchSparkArtifact } from './fetch-spark-artifact.js';
import type { ImageProgressEvent } from './image-progress.js';
import type { SparkArtifactSource } from './spark-artifact-source.js';

const VERSION = '4.2.1';
const TARBALL = Buffer.from('pretend this is spark-4.2.1-bin-hadoop3.tgz');
const SHA512 = createHash('sha512').update(TARBALL).digest('hex');

/** The release manager of the test's releases: a key made for the test, listed in its KEYS. */
let releaseManager: { privateKey: PrivateKey; publicArmored: string };
beforeAll(async () => {
  releaseManager = await makeKey('Release Manager');
});

/** A key made for the test (a release manager's, or a stranger's). */
async function makeKey(name: string): Promise<{ privateKey: PrivateKey; publicArmored: string }> {
  const { privateKey, publicKey } = await generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name, email: `${name.toLowerCase().replaceAll(' ', '.')}@example.invalid` }],
    format: 'object',
  });
  return { privateKey, publicArmored: publicKey.armor() };
}

async function detachedSignature(bytes: Buffer, key: PrivateKey): Promise<string> {
  return sign({
    message: await createMessage({ binary: bytes }),
    signingKeys: key,
    detached: true,
    format: 'armored',
  });
}

async function listen(
  handler: (url: string, response: ServerResponse) => void,
): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    handler(request.url ?? '', response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, requests, server };
}

/**
 * A local stand-in for the Apache archive (the tarball, its .sha512 and .asc) and, on another
 * server as Apache's downloads host is another host, the project's KEYS: the real download and
 * verification code talks HTTP to them.
 */
async function startArchive(options: { tarball?: Buffer; signer?: PrivateKey } = {}): Promise<{
  url: string;
  keysUrl: string;
  requests: string[];
  server: Server;
  keysServer: Server;
}> {
  const served = options.tarball ?? TARBALL;
  const signature = await detachedSignature(served, options.signer ?? releaseManager.privateKey);
  const base = `/spark/spark-${VERSION}/spark-${VERSION}-bin-hadoop3.tgz`;
  const archive = await listen((url, response) => {
    if (url === base) response.writeHead(200, { 'content-length': served.length }).end(served);
    else if (url === `${base}.sha512`)
      response
        .writeHead(200)
        .end(
          `${createHash('sha512').update(served).digest('hex')}  spark-${VERSION}-bin-hadoop3.tgz\n`,
        );
    else if (url === `${base}.asc`) response.writeHead(200).end(signature);
    else response.writeHead(404).end('not found');
  });
  const keys = await listen((url, response) => {
    if (url === '/spark/KEYS') response.writeHead(200).end(releaseManager.publicArmored);
    else response.writeHead(404).end('not found');
  });
  return { ...archive, keysUrl: `${keys.url}/spark/KEYS`, keysServer: keys.server };
}

/** Port 1 on loopback refuses at once, like a host that is unreachable. */
const unreachableApache = (): ApacheArchiveSource =>
  new ApacheArchiveSource({ mirror: 'http://127.0.0.1:1', connectTimeoutMs: 2000 });

const neverCalledPypi: SparkArtifactSource = {
  name: 'pypi',
  fileName: (version) => `pyspark-${version}.tar.gz`,
  publishedChecksum: () => Promise.reject(new Error('pypi must not be asked')),
  download: () => Promise.reject(new Error('pypi must not be asked')),
};

describe('fetchSparkArtifact', () => {
  let archive: Awaited<ReturnType<typeof startArchive>>;
  let cacheDir: string;
  let events: ImageProgressEvent[];
  const steps = (): string[] =>
    events.flatMap((event) => (event.kind === 'step' ? [event.message] : []));

  beforeEach(async () => {
    archive = await startArchive();
    cacheDir = await mkdtemp(join(tmpdir(), 'srs-cache-'));
    events = [];
  });
  afterEach(async () => {
    for (const server of [archive.server, archive.keysServer])
      await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('should download from the Apache mirror, verify the published .sha512 and record it', async () => {
    const artifact = await fetchSparkArtifact({
      version: VERSION,
      cacheDir,
      onProgress: (event) => events.push(event),
      sourceImplementations: {
        apache: new ApacheArchiveSource({ mirror: archive.url, keysUrl: archive.keysUrl }),
        pypi: neverCalledPypi,
      },
    });
    expect(artifact).toMatchObject({
      source: 'apache',
      fileName: `spark-${VERSION}-bin-hadoop3.tgz`,
      fromCache: false,
    });
    expect(artifact.checksum).toEqual({ algorithm: 'sha512', value: SHA512 });
    await expect(readFile(artifact.path)).resolves.toEqual(TARBALL);
    await expect(readFile(`${artifact.path}.checksum`, 'utf8')).resolves.toBe(`sha512:${SHA512}\n`);
    expect(
      events.some((event) => event.kind === 'download' && event.receivedBytes === TARBALL.length),
    ).toBe(true);
  });

  it("should check the release manager's signature against KEYS from the other host, and say who signed", async () => {
    const artifact = await fetchSparkArtifact({
      version: VERSION,
      cacheDir,
      onProgress: (event) => events.push(event),
      sourceImplementations: {
        apache: new ApacheArchiveSource({ mirror: archive.url, keysUrl: archive.keysUrl }),
        pypi: neverCalledPypi,
      },
    });
    expect(artifact.source).toBe('apache');
    expect(steps().at(-1)).toMatch(
      /\(sha512 verified; signed by Release Manager <release\.manager@example\.invalid>, key [0-9A-F]{40}\)$/,
    );
  });

  it("should refuse, and keep nothing of, a tarball whose checksum matches but whose signature is a stranger's", async () => {
    // A mirror that serves its own tarball with a matching .sha512 and its own signature.
    const stranger = await makeKey('Stranger');
    const tampered = await startArchive({
      tarball: Buffer.from('a tarball nobody of Spark made'),
      signer: stranger.privateKey,
    });
    try {
      const error = await fetchSparkArtifact({
        version: VERSION,
        cacheDir,
        sources: ['apache'],
        onProgress: () => undefined,
        sourceImplementations: {
          apache: new ApacheArchiveSource({ mirror: tampered.url, keysUrl: archive.keysUrl }),
        },
      }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'SIGNATURE_INVALID' });
      expect(await readdir(join(cacheDir, 'artifacts', 'spark'))).toEqual([]);
    } finally {
      for (const server of [tampered.server, tampered.keysServer])
        await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('should not download again on the second fetch', async () => {
    const options = {
      version: VERSION,
      cacheDir,
      sourceImplementations: {
        apache: new ApacheArchiveSource({ mirror: archive.url, keysUrl: archive.keysUrl }),
        pypi: neverCalledPypi,
      },
      onProgress: (event: ImageProgressEvent) => events.push(event),
    };
    await fetchSparkArtifact(options);
    const requestsAfterFirst = archive.requests.length;
    const second = await fetchSparkArtifact(options);
    expect(second.fromCache).toBe(true);
    expect(archive.requests.length).toBe(requestsAfterFirst);
    expect(steps().at(-1)).toMatch(
      /using cached spark-4\.2\.1-bin-hadoop3\.tgz \(apache, sha512 verified\)/,
    );
  });

  it('should try the next source with one line when the first is unreachable', async () => {
    const pypiBytes = Buffer.from('pretend pyspark sdist');
    const pypi: SparkArtifactSource = {
      name: 'pypi',
      fileName: (version) => `pyspark-${version}.tar.gz`,
      publishedChecksum: () =>
        Promise.resolve({
          algorithm: 'sha256',
          value: createHash('sha256').update(pypiBytes).digest('hex'),
        }),
      download: (_version, destination) => writeFile(destination, pypiBytes),
    };
    const started = Date.now();
    const artifact = await fetchSparkArtifact({
      version: VERSION,
      cacheDir,
      onProgress: (event) => events.push(event),
      sourceImplementations: { apache: unreachableApache(), pypi },
    });
    expect(artifact.source).toBe('pypi');
    expect(Date.now() - started).toBeLessThan(10_000);
    const skipped = steps().filter((message) =>
      message.startsWith('Spark source apache is unreachable'),
    );
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatch(/; trying pypi$/);
  });

  it('should stop on a corrupted cached artifact, naming the file and both hashes, and evict it', async () => {
    const sources = {
      apache: new ApacheArchiveSource({ mirror: archive.url, keysUrl: archive.keysUrl }),
      pypi: neverCalledPypi,
    };
    const first = await fetchSparkArtifact({
      version: VERSION,
      cacheDir,
      sourceImplementations: sources,
      onProgress: () => undefined,
    });
    await writeFile(first.path, 'flipped bits');
    const actual = createHash('sha512').update('flipped bits').digest('hex');

    const error = await fetchSparkArtifact({
      version: VERSION,
      cacheDir,
      sourceImplementations: sources,
      onProgress: () => undefined,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as ChecksumMismatchError).message).toBe(
      `checksum mismatch for spark-${VERSION}-bin-hadoop3.tgz\n  expected sha512: ${SHA512}\n  actual   sha512: ${actual}`,
    );
    expect(await readdir(join(cacheDir, 'artifacts', 'spark'))).toEqual([]);
  });

  it('should refuse a download whose bytes do not match the published checksum', async () => {
    const lying: SparkArtifactSource = {
      name: 'pypi',
      fileName: (version) => `pyspark-${version}.tar.gz`,
      publishedChecksum: () => Promise.resolve({ algorithm: 'sha256', value: 'f'.repeat(64) }),
      download: (_version, destination) => writeFile(destination, 'tampered'),
    };
    await expect(
      fetchSparkArtifact({
        version: VERSION,
        cacheDir,
        sources: ['pypi'],
        sourceImplementations: { pypi: lying },
        onProgress: () => undefined,
      }),
    ).rejects.toThrow(/checksum mismatch for pyspark-4\.2\.1\.tar\.gz/);
  });

  it('should fail with ARTIFACT_UNAVAILABLE and every reason when no source answers', async () => {
    const error = await fetchSparkArtifact({
      version: VERSION,
      cacheDir,
      sources: ['apache'],
      sourceImplementations: { apache: unreachableApache() },
      onProgress: () => undefined,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SrsError);
    expect((error as SrsError).code).toBe('ARTIFACT_UNAVAILABLE');
    expect((error as SrsError).message).toMatch(
      /^no source could provide Spark 4\.2\.1:\n {2}apache: /,
    );
    expect((error as SrsError).hint).toContain(join(cacheDir, 'artifacts', 'spark'));
  });
});
