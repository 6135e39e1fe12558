// What removing a stack takes, and the error of a stack that is not there, for both orchestrators.
import { SrsError } from '@spark-rstudio-shiny/core';

/** Options of removing a stack (Orchestrator.remove). */
export interface RemoveStackOptions {
  /** Return only when services, containers and network are gone (default true). */
  wait?: boolean | undefined;
  /** Delete the stack's volumes and secrets too (needs wait). */
  purge?: boolean | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** The error of a stack that is not there. */
export function stackNotFound(stackName: string): SrsError {
  return new SrsError({
    code: 'STACK_NOT_FOUND',
    message: `no stack named "${stackName}" is deployed`,
    hint: 'deploy it first (srs up), or name the right stack',
  });
}
