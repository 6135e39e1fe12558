import { buildImage, type BuildImageResult } from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';
import { interruptSignal } from './cluster-options.js';
import { renderImageProgress } from './render-image-progress.js';

/** The flags of `srs build` (and the image part of `srs up`). */
export interface BuildFlags {
  image?: string | undefined;
  noCache?: boolean | undefined;
  /** A registry reference to push to. */
  push?: string | undefined;
  /** Architectures, e.g. ["amd64", "arm64"]. */
  arch?: string[] | undefined;
  insecureRegistry?: boolean | undefined;
  /** Debian packages to add (head and workers). */
  apt?: string[] | undefined;
  /** Python packages to add, name==version (head and workers). */
  pip?: string[] | undefined;
}

/**
 * srs build: base image, verified artifacts, BuildKit build, labels, and with --push the registry.
 */
export async function build(flags: BuildFlags, reporter: Reporter): Promise<BuildImageResult> {
  const result = await buildImage({
    ...(flags.image === undefined ? {} : { tag: flags.image }),
    ...(flags.push === undefined ? {} : { push: flags.push }),
    ...(flags.arch === undefined ? {} : { architectures: flags.arch as ('amd64' | 'arm64')[] }),
    insecureRegistry: flags.insecureRegistry === true,
    ...(flags.apt === undefined && flags.pip === undefined
      ? {}
      : { extra: { apt: flags.apt ?? [], pip: flags.pip ?? [] } }),
    noCache: flags.noCache === true,
    signal: interruptSignal(),
    onProgress: renderImageProgress(reporter),
  });
  reporter.endProgress();
  const architectures = result.images.map((image) => image.architecture).join(' and ');
  reporter.result(
    result,
    [
      `Built ${result.tag} for ${architectures}: Spark ${result.spark.version} (${result.spark.source}), JupyterLab ${result.labels['org.spark-rstudio-shiny.jupyterlab'] ?? 'absent'}, RStudio Server ${result.rstudio}`,
      ...(result.pushed === undefined
        ? []
        : [
            `Pushed ${result.pushed.reference}`,
            `Deploy it anywhere by digest: srs up --image ${result.pushed.pinned}`,
          ]),
    ].join('\n'),
  );
  return result;
}
