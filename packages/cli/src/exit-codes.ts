import { isSrsError } from '@spark-rstudio-shiny/sdk';

/** The exit codes scripts can rely on. */
export const EXIT_CODES = {
  /** Done. */
  ok: 0,
  /** Something failed (the message says what, the hint what to do). */
  failure: 1,
  /** The command line was wrong; nothing was changed. */
  usage: 2,
  /** A wait ran past its deadline. */
  timeout: 3,
  /** Interrupted with Ctrl-C (128 + SIGINT), as shells report it. */
  interrupted: 130,
} as const;

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (isSrsError(error, 'INVALID_CONFIGURATION')) return EXIT_CODES.usage;
  if (isSrsError(error, 'WAIT_TIMEOUT') || isSrsError(error, 'CONVERGENCE_TIMEOUT'))
    return EXIT_CODES.timeout;
  if (isSrsError(error, 'ABORTED')) return EXIT_CODES.interrupted;
  return EXIT_CODES.failure;
}
