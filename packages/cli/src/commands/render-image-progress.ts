import type { ImageProgressListener } from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';

const MB = 1024 * 1024;
const BAR_WIDTH = 20;

/** `[########------------]` for a fraction between 0 and 1. */
export function progressBar(fraction: number): string {
  const filled = Math.round(Math.min(Math.max(fraction, 0), 1) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}

/**
 * Renders the image pipeline's events: steps as lines, downloads as a bar with sizes and rate,
 * and the build's steps as they start (BuildKit's `#N [stage i/n] RUN …` lines).
 */
export function renderImageProgress(reporter: Reporter, indent = ''): ImageProgressListener {
  const started = new Map<string, number>();
  return (event) => {
    if (event.kind === 'step') {
      reporter.step(`${indent}${event.message}`);
    } else if (event.kind === 'download') {
      const since = started.get(event.file) ?? Date.now();
      started.set(event.file, since);
      const seconds = Math.max((Date.now() - since) / 1000, 0.001);
      const received = (event.receivedBytes / MB).toFixed(1);
      const rate = `${(event.receivedBytes / MB / seconds).toFixed(1)} MB/s`;
      reporter.progress(
        event.totalBytes === undefined || event.totalBytes === 0
          ? `${indent}${event.file}: ${received} MB at ${rate}`
          : `${indent}${event.file} ${progressBar(event.receivedBytes / event.totalBytes)} ${received} of ${(event.totalBytes / MB).toFixed(1)} MB at ${rate}`,
      );
    } else {
      const step = /^#\d+ (\[[^\]]+\] .*)$/.exec(event.line);
      if (step?.[1] !== undefined && !step[1].startsWith('[internal]'))
        reporter.progress(`${indent}${step[1].slice(0, 100)}`);
    }
  };
}
