import pRetry from 'p-retry';
import { SrsError } from '../errors/srs-error.js';

/**
 * What Swarm answers a write that raced another write of the same object: both created it
 * (AlreadyExists, name conflicts; the CLI's own "network with name … already exists" when two
 * stack deploys create the stack's network at once), or both updated it from the same version
 * (update out of sequence).
 */
const SWARM_RACE =
  /AlreadyExists|name conflicts with an existing object|network with name \S+ already exists|update out of sequence/i;

/** Whether a docker failure is a lost race with another writer of the same Swarm object. */
export function isSwarmRace(error: unknown): boolean {
  return error instanceof SrsError && SWARM_RACE.test(`${error.message}\n${error.stderr ?? ''}`);
}

/**
 * Runs a Swarm write (a stack deploy, a node label, a scale) again when it lost a race with
 * another writer of the same object: the lost write changed nothing, so the next attempt reads the
 * new version and applies on top of it. `write` must read what it updates on each attempt. Waits
 * a random pause (pauseMs to 2 × pauseMs, doubling) so two racers do not meet again; gives up
 * after `retries` more races, on any other failure, or when the signal is aborted.
 */
export function retryRaced<T>(
  write: () => Promise<T>,
  options: { signal?: AbortSignal | undefined; retries?: number; pauseMs?: number } = {},
): Promise<T> {
  return pRetry(write, {
    retries: options.retries ?? 2,
    minTimeout: options.pauseMs ?? 300,
    factor: 2,
    randomize: true,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    shouldRetry: ({ error }) => isSwarmRace(error),
  });
}
