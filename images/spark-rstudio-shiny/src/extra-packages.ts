// Your own packages on head and workers alike: an image derived from ours with Debian packages
// and Python wheels installed (extra/Dockerfile). The wheels are fetched on the host, like the
// image's own artifacts (HTTPS from inside a build is not assumed to work), for each
// architecture built.
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { SrsError } from '@spark-rstudio-shiny/core';
import type { ImageArchitecture } from './image-architecture.js';
import type { ImageProgressListener } from './image-progress.js';

/** A Debian package name (what `apt-get install` takes), and nothing that could be an option. */
const aptPackageSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.+-]{1,62}$/, 'must be a Debian package name like r-cran-xgboost');

/** A pinned Python requirement, name==version (extras allowed): the image is reproducible. */
const pipRequirementSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?==[A-Za-z0-9][A-Za-z0-9.+!_-]*$/,
    'must be a pinned requirement like polars==1.31.0',
  );

/** What `extra` of buildImage takes. */
export const extraPackagesSchema = z.strictObject({
  /** Debian packages (R packages are `r-cran-<name>`), from the image's own Debian. */
  apt: z.array(aptPackageSchema).max(100).default([]),
  /** Python packages for the notebooks and the executors, pinned `name==version`. */
  pip: z.array(pipRequirementSchema).max(100).default([]),
});

/** The extra packages, validated. */
export type ExtraPackages = z.output<typeof extraPackagesSchema>;

const WHEEL_MACHINE: Readonly<Record<ImageArchitecture, string>> = {
  amd64: 'x86_64',
  arm64: 'aarch64',
};

/**
 * Fetches the wheels of `requirements` and of what they need, for each architecture, with the
 * host's pip into `dir` (created). What the image already has is skipped when the build
 * installs them.
 */
export async function fetchExtraWheels(
  requirements: readonly string[],
  architectures: readonly ImageArchitecture[],
  dir: string,
  options: {
    python?: string | undefined;
    pythonVersion?: string | undefined;
    signal?: AbortSignal | undefined;
    onProgress: ImageProgressListener;
  },
): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (requirements.length === 0) return;
  const version = options.pythonVersion ?? '3.13';
  for (const architecture of architectures) {
    options.onProgress({
      kind: 'step',
      message: `Your Python packages for ${architecture}: downloading ${requirements.join(', ')} with pip…`,
    });
    const platforms = [
      'manylinux_2_41',
      'manylinux_2_34',
      'manylinux_2_28',
      'manylinux2014',
    ].flatMap((tag) => ['--platform', `${tag}_${WHEEL_MACHINE[architecture]}`]);
    const args = [
      '-m',
      'pip',
      'download',
      '--only-binary=:all:',
      '--dest',
      dir,
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
      ...platforms,
      ...requirements,
    ];
    try {
      await execa(options.python ?? 'python3', args, {
        ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
        all: true,
      });
    } catch (error) {
      const detail = String((error as { all?: string }).all ?? (error as Error).message)
        .split('\n')
        .filter((line) => /ERROR|Could not|No matching/i.test(line))
        .slice(-3)
        .join(' / ');
      throw new SrsError({
        code: 'ARTIFACT_UNAVAILABLE',
        message: `pip could not download ${requirements.join(', ')} for ${architecture}: ${detail || (error as Error).message.split('\n')[0]}`,
        hint: 'check the names and versions on PyPI (a package needs a wheel for Linux and this architecture), and that the host reaches PyPI',
        cause: error,
      });
    }
  }
}

/**
 * A private build context for extra/Dockerfile (its files, and the wheels under wheels/); the
 * caller removes it.
 */
export async function extraContext(cacheDir: string, contextDir: string): Promise<string> {
  await mkdir(join(cacheDir, 'contexts'), { recursive: true });
  const context = await mkdtemp(join(cacheDir, 'contexts', 'extra-'));
  try {
    await cp(join(contextDir, 'extra'), context, { recursive: true });
    await mkdir(join(context, 'wheels'), { recursive: true });
    return context;
  } catch (error) {
    await rm(context, { recursive: true, force: true });
    throw error;
  }
}
