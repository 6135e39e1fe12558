import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageProgressListener } from './image-progress.js';
import { SrsError } from '@spark-rstudio-shiny/core';

/** Options of {@link downloadFile} and {@link downloadText}. */
export interface DownloadOptions {
  /** Aborts the download. */
  signal?: AbortSignal | undefined;
  /** How long to wait for the response headers; an unreachable host fails within this. */
  connectTimeoutMs?: number | undefined;
  /** Receives byte counts while the body arrives. */
  onProgress?: ImageProgressListener | undefined;
  /** The Accept header, for servers that answer in several formats. */
  accept?: string | undefined;
}

function responseSignal(options: DownloadOptions): AbortSignal {
  const timeout = AbortSignal.timeout(options.connectTimeoutMs ?? 15_000);
  return options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
}

async function get(url: string, options: DownloadOptions): Promise<Response> {
  const controller = new AbortController();
  const headerSignal = responseSignal(options);
  const onAbort = (): void => controller.abort(headerSignal.reason);
  headerSignal.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await fetch(url, {
      signal: controller.signal,
      redirect: 'follow',
      ...(options.accept === undefined ? {} : { headers: { accept: options.accept } }),
    });
    if (!response.ok)
      throw new SrsError({
        code: 'ARTIFACT_UNAVAILABLE',
        message: `GET ${url}: HTTP ${response.status}`,
        hint: 'the server does not have it; check the version and the mirror',
      });
    return response;
  } finally {
    // Headers are in: from here on only the caller's signal may stop the body.
    headerSignal.removeEventListener('abort', onAbort);
    options.signal?.addEventListener('abort', () => controller.abort(options.signal?.reason), {
      once: true,
    });
  }
}

/** GETs a small text resource (a checksum file, an index page). */
export async function downloadText(url: string, options: DownloadOptions = {}): Promise<string> {
  const response = await get(url, options);
  return response.text();
}

/**
 * Downloads `url` to `destination` through a `.part` file, so a cut download never looks complete.
 */
export async function downloadFile(
  url: string,
  destination: string,
  options: DownloadOptions = {},
): Promise<void> {
  const response = await get(url, options);
  if (response.body === null)
    throw new SrsError({
      code: 'ARTIFACT_UNAVAILABLE',
      message: `GET ${url}: empty body`,
      hint: 'try again, or another mirror',
    });
  const totalHeader = response.headers.get('content-length');
  const totalBytes = totalHeader === null ? undefined : Number(totalHeader);
  let receivedBytes = 0;
  let lastReport = 0;
  const file = basename(destination);
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      receivedBytes += chunk.length;
      const now = Date.now();
      if (now - lastReport > 250) {
        lastReport = now;
        options.onProgress?.({ kind: 'download', file, receivedBytes, totalBytes });
      }
      callback(null, chunk);
    },
  });
  const partial = `${destination}.part`;
  try {
    await pipeline(Readable.fromWeb(response.body as never), count, createWriteStream(partial), {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    options.onProgress?.({ kind: 'download', file, receivedBytes, totalBytes });
    await rename(partial, destination);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
