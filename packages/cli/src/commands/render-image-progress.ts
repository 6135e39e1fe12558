import type { ImageProgressListener } from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';

const MB = 1024 * 1024;

/** Renders the image pipeline's events: steps as lines, downloads with bytes and rate, build steps. */
export function renderImageProgress(reporter: Reporter, indent = ''): ImageProgressListener {
  const started = new Map<string, number>();
  return (event) => {
    if (event.kind === 'step') {
      reporter.step(`${indent}${event.message}`);
    } else if (event.kind === 'download') {
      const since = started.get(event.file) ?? Date.now();
      started.set(event.file, since);
      const seconds = Math.max((Date.now() - since) / 1000, 0.001);
      const total = event.totalBytes === undefined ? '' : ` of ${(event.totalBytes / MB).toFixed(1)} MB`;
      reporter.progress(`${indent}${event.file}: ${(event.receivedBytes / MB).toFixed(1)} MB${total} at ${(event.receivedBytes / MB / seconds).toFixed(1)} MB/s`);
    } else if (/^Step \d+\/\d+ :/.test(event.line)) {
      reporter.progress(`${indent}${event.line.slice(0, 100)}`);
    }
  };
}
