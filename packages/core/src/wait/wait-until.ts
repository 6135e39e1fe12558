import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable, SrsError } from '../errors/srs-error.js';
import { settleWithin } from './settle-within.js';

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
 * Rejects with WAIT_TIMEOUT at the deadline, even while a check that ignores its signal is still
 * running.
 */
export async function waitUntil<T>(
  check: (signal: AbortSignal) => Promise<T | undefined>,
  options: WaitUntilOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const aborted = (reason: unknown): SrsError =>
    new SrsError({
      code: 'ABORTED',
      message: `stopped waiting for ${options.description}: aborted`,
      cause: reason,
    });
  const timedOut = (last: unknown): SrsError => {
    const detail =
      options.describeLast?.(last) ?? (last instanceof Error ? last.message : undefined);
    return new SrsError({
      code: 'WAIT_TIMEOUT',
      message: `timed out after ${options.timeoutMs} ms waiting for ${options.description}${detail === undefined ? '' : ` (last: ${detail})`}`,
      hint: 'raise the timeout, or look at the service logs for why it does not get there',
      cause: last,
    });
  };
  const expired = new Error('deadline');
  let last: unknown;
  for (;;) {
    try {
      const value = await settleWithin(check, {
        timeoutMs: Math.max(0, deadline - Date.now()),
        signal: options.signal,
        onTimeout: () => expired,
        onAbort: aborted,
      });
      if (value !== undefined) return value;
      last = undefined;
    } catch (error) {
      if (options.signal?.aborted === true) throw aborted(options.signal.reason);
      // At the deadline the wait ends with the timeout, before the check sees its signal abort.
      if (error === expired) throw timedOut(last);
      if (!isRetryable(error)) throw error;
      last = error;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timedOut(last);
    await sleep(
      Math.min(options.intervalMs ?? 1000, remaining),
      undefined,
      options.signal === undefined ? {} : { signal: options.signal },
    ).catch(() => undefined);
    if (options.signal?.aborted === true) throw aborted(options.signal.reason);
  }
}
