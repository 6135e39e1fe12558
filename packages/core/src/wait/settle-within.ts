/** Options of {@link settleWithin}. */
export interface SettleWithinOptions {
  /** The work gets this many milliseconds. */
  timeoutMs: number;
  /** Ends the work at once. */
  signal?: AbortSignal | undefined;
  /** The error to reject with at the deadline. */
  onTimeout: () => Error;
  /** The error to reject with when `signal` aborts; `reason` is the signal's. */
  onAbort: (reason: unknown) => Error;
}

/**
 * Runs `work` with a signal that aborts at the deadline or when `options.signal` does, and settles
 * by then even if `work` ignores its signal. The deadline is a plain timer, held and cleared here:
 * a signal from AbortSignal.timeout() is held only weakly by its timer, so once the garbage
 * collector takes it nothing fires, and a request that never gets an answer waits forever.
 */
export async function settleWithin<T>(
  work: (signal: AbortSignal) => Promise<T>,
  options: SettleWithinOptions,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let stopListening = (): void => undefined;
  const ended = new Promise<never>((_resolve, reject) => {
    const end = (error: Error): void => {
      reject(error);
      controller.abort(error);
    };
    if (options.signal?.aborted === true) {
      end(options.onAbort(options.signal.reason));
      return;
    }
    timer = setTimeout(() => end(options.onTimeout()), options.timeoutMs);
    const onAbort = (): void => end(options.onAbort(options.signal?.reason));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    stopListening = () => options.signal?.removeEventListener('abort', onAbort);
  });
  try {
    if (controller.signal.aborted) return await ended;
    const result = work(controller.signal);
    // When the deadline wins, the work's own late failure has nobody to hear it.
    result.catch(() => undefined);
    return await Promise.race([result, ended]);
  } finally {
    clearTimeout(timer);
    stopListening();
  }
}
