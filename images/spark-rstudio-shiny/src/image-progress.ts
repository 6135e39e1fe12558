/**
 * What the image pipeline reports while it works; the CLI renders these, the SDK only emits them.
 */
export type ImageProgressEvent =
  /**
   * A step starts or ends ("Fetching Spark 4.2.1 from pypi…", "Fetched …"), or a source is skipped.
   */
  | { kind: 'step'; message: string }
  /** Bytes of a download so far. */
  | { kind: 'download'; file: string; receivedBytes: number; totalBytes: number | undefined }
  /** One line of `docker build` (or pip, debootstrap) output. */
  | { kind: 'output'; line: string };

/** Receives {@link ImageProgressEvent}s. */
export type ImageProgressListener = (event: ImageProgressEvent) => void;

/** The listener used when the caller gives none: steps on stderr, the rest dropped. */
export const stepsToStderr: ImageProgressListener = (event) => {
  if (event.kind === 'step') process.stderr.write(`${event.message}\n`);
};
