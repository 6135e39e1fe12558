import { buildImage, type BuildImageResult } from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';
import { interruptSignal } from './cluster-options.js';
import { renderImageProgress } from './render-image-progress.js';

/** srs build: base image, verified Spark artifact, docker build, labels. */
export async function build(flags: { image?: string; noCache?: boolean }, reporter: Reporter): Promise<BuildImageResult> {
  const result = await buildImage({
    ...(flags.image === undefined ? {} : { tag: flags.image }),
    noCache: flags.noCache === true,
    signal: interruptSignal(),
    onProgress: renderImageProgress(reporter),
  });
  reporter.endProgress();
  reporter.result(
    result,
    `Built ${result.tag}: Spark ${result.spark.version} (${result.spark.source}), JupyterLab ${result.labels['org.spark-rstudio-shiny.jupyterlab'] ?? 'absent'}, RStudio Server ${result.rstudio}`,
  );
  return result;
}
