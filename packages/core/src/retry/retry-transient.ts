import pRetry from 'p-retry';
import { isRetryable, isSrsError } from '../errors/srs-error.js';

/**
 * Retries a read (inspect, ls) that may fail for a moment, e.g. a service listed a heartbeat
 * before it can be inspected, or an engine busy converging. Only reads: never a deploy, scale or
 * remove, which must not run twice. Gives up at once on errors that another try cannot fix.
 */
export function retryTransient<T>(
  read: () => Promise<T>,
  options: { signal?: AbortSignal | undefined; retries?: number } = {},
): Promise<T> {
  return pRetry(read, {
    retries: options.retries ?? 2,
    minTimeout: 250,
    maxTimeout: 1000,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    // A failed read may just be early (a service listed before it can be inspected); never an
    // engine that is not there, nor a bad argument.
    shouldRetry: ({ error }) => isRetryable(error) || isSrsError(error, 'DOCKER_COMMAND_FAILED'),
  });
}
