/**
 * What went wrong, as a stable string a program can switch on.
 */
export type SrsErrorCode =
  /** The `docker` command is not installed or not on PATH. */
  | 'DOCKER_NOT_INSTALLED'
  /** The docker CLI is there but no engine answers. */
  | 'DOCKER_DAEMON_UNREACHABLE'
  /** An engine runs, but this user may not use its socket (not in the docker group). */
  | 'DOCKER_PERMISSION_DENIED'
  /** A docker command failed for a reason not mapped to a more precise code. */
  | 'DOCKER_COMMAND_FAILED'
  /** A docker command did not finish before its deadline. */
  | 'DOCKER_COMMAND_TIMEOUT'
  /** Something awaited did not happen before its deadline. */
  | 'WAIT_TIMEOUT'
  /** The caller aborted the operation through its AbortSignal. */
  | 'ABORTED'
  /** An input did not pass validation; nothing was changed. */
  | 'INVALID_CONFIGURATION'
  /** No source could provide a required artifact (Spark, RStudio Server). */
  | 'ARTIFACT_UNAVAILABLE'
  /** An artifact's checksum differs from the expected one. */
  | 'CHECKSUM_MISMATCH'
  /** An artifact's OpenPGP signature does not hold against the project's published keys. */
  | 'SIGNATURE_INVALID'
  /** The base image could neither be found, pulled nor bootstrapped. */
  | 'BASE_IMAGE_UNAVAILABLE'
  /** `docker build` of the image failed. */
  | 'IMAGE_BUILD_FAILED'
  /** This engine is not a Swarm manager (a worker node, or a swarm in a broken state). */
  | 'NOT_SWARM_MANAGER'
  /** No stack of that name is deployed (also when the CLI exits 0 saying "Nothing found"). */
  | 'STACK_NOT_FOUND'
  /**
   * The stack did not reach the wanted state before the deadline; the message has the last task
   * errors.
   */
  | 'CONVERGENCE_TIMEOUT'
  /**
   * Tasks of a service keep failing (bad image, crash at start); the message has the task's own
   * error.
   */
  | 'TASK_FAILED'
  /** Swarm rolled a service update back (or paused it): the new configuration did not come up. */
  | 'ROLLBACK_HAPPENED'
  /** The Spark master's web UI did not answer (yet): its /json/ is where readiness is read. */
  | 'SPARK_MASTER_UNREACHABLE'
  /**
   * A host port the stack publishes is taken (by another stack, a container or a program); the
   * message names it.
   */
  | 'PORT_IN_USE'
  /**
   * Swarm finds no node for a task (placement, resources, platform); waiting will not change it.
   * The message has Swarm's reason.
   */
  | 'NO_SUITABLE_NODE'
  /** Compose mode was asked for, and no Docker Compose CLI (plugin or standalone) runs here. */
  | 'COMPOSE_NOT_INSTALLED'
  /**
   * The stack's overlay network exists unencrypted while encryption is on (the swarm grew, or
   * the option changed), and services use it: Docker does not change an existing network.
   */
  | 'OVERLAY_NOT_ENCRYPTED'
  /**
   * Secrets that belong together do not (the front door's certificate without its key or CA):
   * a redeploy cannot complete them.
   */
  | 'SECRET_MISMATCH';

/** Options of {@link SrsError}. */
export interface SrsErrorOptions {
  /** Stable machine-readable code. */
  code: SrsErrorCode;
  /** What happened, in one sentence. */
  message: string;
  /** One line telling the user what to do about it. */
  hint?: string | undefined;
  /** The underlying error, when there is one. */
  cause?: unknown;
  /** The command line that failed, for CLI failures. */
  command?: string | undefined;
  /** The exit code of the failed command, when it ran. */
  exitCode?: number | undefined;
  /** What the failed command wrote on stderr (trimmed). */
  stderr?: string | undefined;
  /**
   * Whether trying the same thing again later may succeed (a service still starting, an engine
   * busy): waits go on through such errors and end at once on the others. Default false.
   */
  retryable?: boolean | undefined;
  /** For INVALID_CONFIGURATION: each value that was refused. */
  issues?: readonly ValidationIssue[] | undefined;
}

/** One refused value of an input: where it is and why it was refused. */
export interface ValidationIssue {
  /**
   * The field, as a dotted path of the input (`worker.memory`, `ports.jupyter`); empty for the
   * input itself.
   */
  path: string;
  /** Why the value was refused. */
  message: string;
}

/**
 * The one error class of this project: every failure the SDK reports is an SrsError
 * (or a subclass) with a `code` and a one-line `hint`.
 */
export class SrsError extends Error {
  override name = 'SrsError';
  /** Stable machine-readable code. */
  readonly code: SrsErrorCode;
  /** One line telling the user what to do about it. */
  readonly hint: string | undefined;
  /** The command line that failed, for CLI failures. */
  readonly command: string | undefined;
  /** The exit code of the failed command, when it ran. */
  readonly exitCode: number | undefined;
  /** What the failed command wrote on stderr (trimmed). */
  readonly stderr: string | undefined;
  /** Whether trying again later may succeed; waits go on through these and stop on the others. */
  readonly retryable: boolean;
  /**
   * For INVALID_CONFIGURATION: each value that was refused (its field and why); empty otherwise.
   */
  readonly issues: readonly ValidationIssue[];

  constructor(options: SrsErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.hint = options.hint;
    this.command = options.command;
    this.exitCode = options.exitCode;
    this.stderr = options.stderr;
    this.retryable = options.retryable ?? false;
    this.issues = options.issues ?? [];
  }

  /** The message followed by the hint, as a person should read it. */
  get shortMessage(): string {
    return this.hint === undefined ? this.message : `${this.message}\nhint: ${this.hint}`;
  }
}

/** Options of {@link ChecksumMismatchError}. */
export interface ChecksumMismatchOptions {
  /** The file whose content is wrong. */
  file: string;
  /** Hash algorithm used. */
  algorithm: 'sha256' | 'sha512';
  /** The hash the file should have. */
  expected: string;
  /** The hash the file has. */
  actual: string;
}

/** A downloaded or cached artifact whose hash is not the published one. */
export class ChecksumMismatchError extends SrsError {
  override name = 'ChecksumMismatchError';
  /** The file whose content is wrong. */
  readonly file: string;
  /** The hash the file should have. */
  readonly expected: string;
  /** The hash the file has. */
  readonly actual: string;
  /** Hash algorithm used. */
  readonly algorithm: 'sha256' | 'sha512';

  constructor(options: ChecksumMismatchOptions) {
    super({
      code: 'CHECKSUM_MISMATCH',
      message:
        `checksum mismatch for ${options.file}\n` +
        `  expected ${options.algorithm}: ${options.expected}\n` +
        `  actual   ${options.algorithm}: ${options.actual}`,
      hint: 'the file was deleted from the cache; build again to fetch it anew, and if it happens again the source serves a different file',
    });
    this.file = options.file;
    this.expected = options.expected;
    this.actual = options.actual;
    this.algorithm = options.algorithm;
  }
}

/**
 * Whether a wait should go on after `error`: errors that say whether they are retryable (every
 * error of this project does) decide for themselves; an error that does not say (a network
 * error thrown inside a check written by a caller) counts as "not yet".
 */
export function isRetryable(error: unknown): boolean {
  if (typeof error === 'object' && error !== null && 'retryable' in error)
    return (error as { retryable: unknown }).retryable === true;
  return true;
}

/** True when `error` is an {@link SrsError} with the given code. */
export function isSrsError(error: unknown, code?: SrsErrorCode): error is SrsError {
  return error instanceof SrsError && (code === undefined || error.code === code);
}
