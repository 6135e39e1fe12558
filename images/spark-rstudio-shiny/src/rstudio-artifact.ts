import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { artifactDir, defaultCacheDir } from './artifact-cache.js';
import { verifyOrEvict } from './artifact-verification.js';
import { downloadFile } from './download-file.js';
import type { ImageArchitecture } from './image-architecture.js';
import { stepsToStderr, type ImageProgressListener } from './image-progress.js';

/** The RStudio Server release the image is made for. */
export const DEFAULT_RSTUDIO_VERSION = '2026.09.0+174';

/**
 * sha256 of Posit's jammy .debs by file name, pinned so that a build with internet access
 * installs RStudio Server without configuration, and a different file stops the build. The value
 * for the amd64 .deb of 2026.09.0+174 is the one the jupyterhub/repo2docker R buildpack pins.
 * Posit publishes an arm64 .deb of that release too, but no sha256 of it could be read from here:
 * an arm64 image has RStudio only with SRS_RSTUDIO_SHA256 set to Posit's value, and says so.
 */
export const PINNED_RSTUDIO_SHA256: Readonly<Record<string, string>> = {
  'rstudio-server-2026.09.0-174-amd64.deb':
    '168bc577ef2f68abab1ad2ed684e830da1d244618b25b69fd20448e60716c5ba',
};

/** Options of {@link fetchRStudioDeb}. */
export interface FetchRStudioOptions {
  /**
   * Release, e.g. "2025.09.1+401"; default {@link DEFAULT_RSTUDIO_VERSION} or $SRS_RSTUDIO_VERSION.
   */
  version?: string | undefined;
  /**
   * sha256 of the .deb; default $SRS_RSTUDIO_SHA256, then the pinned value of the version. Without
   * one nothing is installed.
   */
  sha256?: string | undefined;
  /** The image's architecture (default amd64). */
  architecture?: ImageArchitecture | undefined;
  /** Cache folder; default {@link defaultCacheDir}. */
  cacheDir?: string | undefined;
  /** Aborts the download. */
  signal?: AbortSignal | undefined;
  /** Receives steps and download progress. */
  onProgress?: ImageProgressListener | undefined;
}

/** A verified RStudio Server .deb, or why there is none. */
export type RStudioArtifact =
  | { present: true; version: string; path: string; fileName: string; sha256: string }
  | { present: false; reason: string };

/** Posit's .deb for Ubuntu 22.04 (jammy), which installs on current Debian too. */
export function rstudioDebFileName(
  version: string,
  architecture: ImageArchitecture = 'amd64',
): string {
  return `rstudio-server-${version.replace('+', '-')}-${architecture}.deb`;
}

/** Where Posit publishes that .deb. */
export function rstudioDebUrl(version: string, architecture: ImageArchitecture = 'amd64'): string {
  return `https://download2.rstudio.org/server/jammy/${architecture}/${rstudioDebFileName(version, architecture)}`;
}

/**
 * Finds or downloads Posit's RStudio Server .deb and verifies it against the sha256 the user
 * configured or the one pinned for the version. RStudio Server is not in Debian and Posit's
 * download may be out of reach; then the image is built with JupyterLab only (the caller records
 * that) instead of failing or faking it. A file with another sha256 stops the build.
 */
export async function fetchRStudioDeb(options: FetchRStudioOptions = {}): Promise<RStudioArtifact> {
  const onProgress = options.onProgress ?? stepsToStderr;
  const version = options.version ?? process.env.SRS_RSTUDIO_VERSION ?? DEFAULT_RSTUDIO_VERSION;
  const architecture = options.architecture ?? 'amd64';
  const fileName = rstudioDebFileName(version, architecture);
  const sha256 = (
    options.sha256 ??
    process.env.SRS_RSTUDIO_SHA256 ??
    PINNED_RSTUDIO_SHA256[fileName] ??
    ''
  ).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256)) {
    const reason = `no sha256 known for ${fileName}, so RStudio is absent on ${architecture} (set SRS_RSTUDIO_SHA256 to Posit's published value)`;
    onProgress({ kind: 'step', message: `RStudio Server: skipped, ${reason}` });
    return { present: false, reason };
  }
  const dir = artifactDir(options.cacheDir ?? defaultCacheDir(), 'rstudio');
  await mkdir(dir, { recursive: true });
  const path = join(dir, fileName);
  const cached = await stat(path).then(
    () => true,
    () => false,
  );
  if (!cached) {
    onProgress({ kind: 'step', message: `RStudio Server ${version}: downloading ${fileName}…` });
    try {
      await downloadFile(rstudioDebUrl(version, architecture), path, {
        signal: options.signal,
        connectTimeoutMs: 10_000,
        onProgress,
      });
    } catch (error) {
      const reason = `Posit's download is unreachable (${(error as Error).message.split('\n')[0]})`;
      onProgress({
        kind: 'step',
        message: `RStudio Server: skipped, ${reason}; building with JupyterLab only`,
      });
      return { present: false, reason };
    }
  }
  await verifyOrEvict(path, { algorithm: 'sha256', value: sha256 });
  onProgress({
    kind: 'step',
    message: `RStudio Server ${version}: ${cached ? 'using cached' : 'fetched'} ${fileName} (sha256 verified)`,
  });
  return { present: true, version, path, fileName, sha256 };
}
