import { buildImage, type BuildImageResult } from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';
import { interruptSignal } from './cluster-options.js';

/** srs build: base image, verified Spark artifact, docker build, labels. */
export async function build(flags: { image?: string; noCache?: boolean }, reporter: Reporter): Promise<BuildImageResult> {
  const result = await buildImage({
    ...(flags.image === undefined ? {} : { tag: flags.image }),
    noCache: flags.noCache === true,
    signal: interruptSignal(),
    onProgress: (event) => {
      if (event.kind === 'step') reporter.step(event.message);
      else if (event.kind === 'download') reporter.progress(`  ${event.file}: ${(event.receivedBytes / 1048576).toFixed(1)} MB`);
      else if (/^Step \d+\/\d+ :/.test(event.line)) reporter.progress(`  ${event.line.slice(0, 100)}`);
    },
  });
  reporter.endProgress();
  reporter.result(result, `Built ${result.tag}: Spark ${result.spark.version} (${result.spark.source}), RStudio Server ${result.rstudio}`);
  return result;
}
