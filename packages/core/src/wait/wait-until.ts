import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable, isSrsError, SrsError } from '../errors/srs-error.js';

/** Options of {@link waitUntil}. */
export interface WaitUntilOptions {
  /** What is awaited, for the timeout message ("2 Spark workers ALIVE"). */
  description: string;
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** Time between two checks; default 1000 ms. */
  intervalMs?: number | undefined;
  /** Stops waiting at once with ABORTED. */
  signal?: AbortSignal | undefined;
  /** Adds the last observed state to the timeout message. */
  describeLast?: ((last: unknown) => string) | undefined;
}

/**
 * Polls `check` until it returns something other than undefined, and returns that. A check that
 * throws a retryable error (see {@link isRetryable}: a service still starting, an engine slow to
 * answer) counts as "not yet"; any other error ends the wait with that error at once (fail fast).
 * Rejects with WAIT_TIMEOUT after the deadline.
 */
export async function waitUntil<T>(
  check: (signal: AbortSignal) => Promise<T | undefined>,
  options: WaitUntilOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal =
    options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
  let last: unknown;
  for (;;) {
    if (options.signal?.aborted) {
      throw new SrsError({
        code: 'ABORTED',
        message: `stopped waiting for ${options.description}: aborted`,
        cause: options.signal.reason,
      });
    }
    try {
      const value = await check(signal);
      if (value !== undefined) return value;
      last = undefined;
    } catch (error) {
      // A check cut short by this wait's own deadline is not the check's failure: the timeout
      // follows.
      if (!isRetryable(error) && !(timeout.aborted && isSrsError(error, 'ABORTED'))) throw error;
      last = error;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0 || timeout.aborted) {
      const detail =
        options.describeLast?.(last) ?? (last instanceof Error ? last.message : undefined);
      throw new SrsError({
        code: 'WAIT_TIMEOUT',
        message: `timed out after ${options.timeoutMs} ms waiting for ${options.description}${detail === undefined ? '' : ` (last: ${detail})`}`,
        hint: 'raise the timeout, or look at the service logs for why it does not get there',
        cause: last,
      });
    }
    await sleep(
      Math.min(options.intervalMs ?? 1000, remaining),
      undefined,
      options.signal === undefined ? {} : { signal: options.signal },
    ).catch(() => undefined);
  }
}
