import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { SrsError } from '@spark-rstudio-shiny/core';
import { artifactDir, defaultCacheDir } from './artifact-cache.js';
import type { ImageArchitecture } from './image-architecture.js';
import { stepsToStderr, type ImageProgressListener } from './image-progress.js';

/** One pinned wheel of a lock file: `name==version --hash=sha256:…`. */
export interface LockedWheel {
  name: string;
  version: string;
  /** Every sha256 the lock accepts for it (one per wheel file). */
  sha256: string[];
}

/** Options of {@link fetchPythonWheels}. */
export interface FetchPythonWheelsOptions {
  /** The lock file (pip requirements with hashes). */
  lockFile: string;
  /** The image's Python, as pip's --python-version takes it (trixie: 3.13). */
  pythonVersion?: string | undefined;
  /** The architectures the image is built for (default amd64): a wheel is needed for each. */
  architectures?: readonly ImageArchitecture[] | undefined;
  /** Cache folder; default {@link defaultCacheDir}. */
  cacheDir?: string | undefined;
  /** The host's Python that runs `pip download`. */
  python?: string | undefined;
  /** Aborts the download. */
  signal?: AbortSignal | undefined;
  /** Receives steps and pip's output. */
  onProgress?: ImageProgressListener | undefined;
}

/** The verified wheels of a lock, in the cache. */
export interface PythonWheels {
  /** The cache folder that holds them. */
  dir: string;
  /** One file name per locked wheel. */
  files: string[];
  /** True when nothing was downloaded. */
  fromCache: boolean;
}

/** The machine names in wheel platform tags, per architecture. */
const WHEEL_MACHINE: Readonly<Record<ImageArchitecture, string>> = {
  amd64: 'x86_64',
  arm64: 'aarch64',
};

/** Whether a wheel file serves an architecture: pure wheels (`-any`) serve every one. */
export function wheelFits(fileName: string, architecture: ImageArchitecture): boolean {
  const platform =
    fileName
      .replace(/\.whl$/, '')
      .split('-')
      .pop() ?? '';
  return (
    platform === 'any' ||
    platform.split('.').some((tag) => tag.endsWith(`_${WHEEL_MACHINE[architecture]}`))
  );
}

/**
 * Parses a lock file written by scripts/lock-jupyterlab.sh (or pip-compile --generate-hashes, one
 * line per package).
 */
export function parseLockFile(text: string): LockedWheel[] {
  const wheels: LockedWheel[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match =
      /^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)((?:\s+--hash=sha256:[0-9a-f]{64})+)\s*$/.exec(
        line,
      );
    if (match === null) {
      throw new SrsError({
        code: 'INVALID_CONFIGURATION',
        message: `line ${index + 1} of the lock file is not "name==version --hash=sha256:<hex>": ${line}`,
        hint: 'regenerate it with bash scripts/lock-jupyterlab.sh',
      });
    }
    const hashes = [...(match[3] as string).matchAll(/sha256:([0-9a-f]{64})/g)].map(
      (found) => found[1] as string,
    );
    wheels.push({ name: match[1] as string, version: match[2] as string, sha256: hashes });
  }
  return wheels;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The wheels in `dir`, by sha256. */
async function wheelsByHash(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const name of await readdir(dir)) {
    if (name.endsWith('.whl')) found.set(await sha256Of(join(dir, name)), name);
  }
  return found;
}

/**
 * Returns every wheel of a lock file from the cache, downloading only the missing ones with the
 * host's `pip download --require-hashes` (HTTPS from inside a build is not assumed to work; the
 * host's pip has the machine's index, proxy and certificates). Every file is checked against the
 * lock's sha256 here, and pip checks them again when the build installs them offline.
 */
export async function fetchPythonWheels(options: FetchPythonWheelsOptions): Promise<PythonWheels> {
  const onProgress = options.onProgress ?? stepsToStderr;
  const locked = parseLockFile(await readFile(options.lockFile, 'utf8'));
  const dir = artifactDir(options.cacheDir ?? defaultCacheDir(), 'python-wheels');
  await mkdir(dir, { recursive: true });
  const architectures = options.architectures ?? ['amd64'];
  let present = await wheelsByHash(dir);
  // The wheel of each locked package that fits an architecture, if the cache has it.
  const fitting = (wheel: LockedWheel, architecture: ImageArchitecture): string | undefined =>
    wheel.sha256
      .map((hash) => present.get(hash))
      .find((file) => file !== undefined && wheelFits(file, architecture));
  let downloaded = 0;
  for (const architecture of architectures) {
    const missing = locked.filter((wheel) => fitting(wheel, architecture) === undefined);
    if (missing.length === 0) continue;
    onProgress({
      kind: 'step',
      message: `JupyterLab: downloading ${missing.length} of ${locked.length} locked wheels for ${architecture} with pip…`,
    });
    await pipDownload(missing, dir, architecture, options);
    downloaded += missing.length;
    present = await wheelsByHash(dir);
  }
  const files = new Set<string>();
  const absent: string[] = [];
  for (const architecture of architectures) {
    for (const wheel of locked) {
      const file = fitting(wheel, architecture);
      if (file === undefined) absent.push(`${wheel.name}==${wheel.version} (${architecture})`);
      else files.add(file);
    }
  }
  if (absent.length > 0) {
    throw new SrsError({
      code: 'ARTIFACT_UNAVAILABLE',
      message: `no wheel with the locked sha256 for ${absent.join(', ')}`,
      hint: 'check that pip reaches PyPI (PIP_INDEX_URL), or regenerate the lock with bash scripts/lock-jupyterlab.sh',
    });
  }
  onProgress({
    kind: 'step',
    message: `JupyterLab: ${files.size} wheels for ${architectures.join(' and ')} ${downloaded === 0 ? 'from the cache' : 'fetched'} (sha256 verified)`,
  });
  return { dir, files: [...files].sort(), fromCache: downloaded === 0 };
}

async function pipDownload(
  missing: LockedWheel[],
  dir: string,
  architecture: ImageArchitecture,
  options: FetchPythonWheelsOptions,
): Promise<void> {
  const work = await mkdtemp(join(dir, '.pip-'));
  const requirements = join(work, 'requirements.txt');
  await writeFile(
    requirements,
    missing
      .map(
        (wheel) =>
          `${wheel.name}==${wheel.version} ${wheel.sha256.map((hash) => `--hash=sha256:${hash}`).join(' ')}`,
      )
      .join('\n'),
  );
  const version = options.pythonVersion ?? '3.13';
  const args = [
    '-m',
    'pip',
    'download',
    '--no-deps',
    '--require-hashes',
    '--only-binary=:all:',
    '--dest',
    dir,
    '--timeout',
    '15',
    '--retries',
    '1',
    '--python-version',
    version,
    '--implementation',
    'cp',
    '--abi',
    `cp${version.replace('.', '')}`,
    '--abi',
    'abi3',
    '--abi',
    'none',
    ...['manylinux_2_41', 'manylinux_2_34', 'manylinux_2_28', 'manylinux2014'].flatMap((tag) => [
      '--platform',
      `${tag}_${WHEEL_MACHINE[architecture]}`,
    ]),
    '-r',
    requirements,
  ];
  try {
    const pip = execa(options.python ?? 'python3', args, {
      ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
      all: true,
    });
    pip.all?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split(/\r?\n/))
        if (line.trim() !== '') options.onProgress?.({ kind: 'output', line });
    });
    await pip;
  } catch (error) {
    if (options.signal?.aborted)
      throw new SrsError({
        code: 'ABORTED',
        message: 'fetching the JupyterLab wheels was aborted',
        cause: error,
      });
    const detail = String((error as { all?: string }).all ?? (error as Error).message)
      .split('\n')
      .filter((line) => /error|ERROR|HASH|Could not/i.test(line))
      .slice(-3)
      .join(' / ');
    throw new SrsError({
      code: 'ARTIFACT_UNAVAILABLE',
      message: `pip could not download the locked JupyterLab wheels: ${detail || (error as Error).message.split('\n')[0]}`,
      hint: 'check that the host reaches PyPI (PIP_INDEX_URL, proxy); a HASH mismatch means the index serves other files than the lock names',
      cause: error,
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
