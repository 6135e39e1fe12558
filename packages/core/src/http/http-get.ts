import { SrsError } from '../errors/srs-error.js';
import { settleWithin } from '../wait/settle-within.js';

/** A whole HTTP answer: its status, headers and body text. */
export interface HttpAnswer {
  status: number;
  ok: boolean;
  headers: Headers;
  text: string;
}

/** Options of {@link httpGet}. */
export interface HttpGetOptions {
  /** The answer, body included, must be complete within this many milliseconds. */
  timeoutMs: number;
  /** Stops at once with ABORTED. */
  signal?: AbortSignal | undefined;
}

/**
 * GETs `url` and reads its whole body, settling by the deadline whatever the server does: a
 * server that accepts the connection and never answers (a UI still starting on a loaded machine)
 * costs `timeoutMs`, then a retryable WAIT_TIMEOUT. The request is aborted then too, but the
 * deadline does not rely on fetch honouring that abort.
 */
export async function httpGet(url: string, options: HttpGetOptions): Promise<HttpAnswer> {
  return settleWithin(
    async (signal) => {
      const response = await fetch(url, { signal });
      const text = await response.text();
      return { status: response.status, ok: response.ok, headers: response.headers, text };
    },
    {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      onTimeout: () =>
        new SrsError({
          code: 'WAIT_TIMEOUT',
          message: `GET ${url} gave no complete answer within ${options.timeoutMs} ms`,
          hint: 'the server accepted the request but did not answer; it may still be starting',
          retryable: true,
        }),
      onAbort: (reason) =>
        new SrsError({ code: 'ABORTED', message: `aborted: GET ${url}`, cause: reason }),
    },
  );
}
