// Compose has no secret store: a Compose stack's secrets are files only their owner reads, kept
// (like Swarm's secrets) until the stack is purged, and mounted read-only at /run/secrets, where
// the image reads Swarm's. They live under the user's state folder, per stack.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { StackSecretKind } from '@spark-rstudio-shiny/core';
import { generateSecretValue } from '../cluster/secret-values.js';

const FILE_NAMES: Record<StackSecretKind, string> = {
  sparkAuth: 'spark_auth_secret',
  idePassword: 'ide_password',
  connectToken: 'connect_token',
};

/**
 * Where the SDK keeps what outlives a process: $SRS_STATE_DIR, else
 * $XDG_STATE_HOME/spark-rstudio-shiny, else ~/.local/state/spark-rstudio-shiny.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if ((env.SRS_STATE_DIR ?? '') !== '') return env.SRS_STATE_DIR as string;
  return join(
    (env.XDG_STATE_HOME ?? '') !== ''
      ? (env.XDG_STATE_HOME as string)
      : join(homedir(), '.local', 'state'),
    'spark-rstudio-shiny',
  );
}

function secretsDir(stackName: string): string {
  return join(stateDir(), 'compose', stackName, 'secrets');
}

/**
 * The stack's secret files, made (0400, in a 0700 folder) when missing; existing ones are kept, and
 * set to 0400.
 */
export async function ensureSecretFiles(
  stackName: string,
  kinds: readonly StackSecretKind[],
): Promise<Partial<Record<StackSecretKind, string>>> {
  const dir = secretsDir(stackName);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const files: Partial<Record<StackSecretKind, string>> = {};
  for (const kind of kinds) {
    const file = join(dir, FILE_NAMES[kind]);
    const present = await readFile(file, 'utf8').then(
      (value) => value !== '',
      () => false,
    );
    if (!present) {
      await rm(file, { force: true });
      await writeFile(file, generateSecretValue(kind), { mode: 0o400 });
    } else {
      // A file kept from before (or loosened by hand) is made its owner's only again.
      await chmod(file, 0o400);
    }
    files[kind] = file;
  }
  return files;
}

/** The stack's secret files as they are (for rendering a file to take the stack down). */
export function secretFilePaths(stackName: string): Record<StackSecretKind, string> {
  const dir = secretsDir(stackName);
  return {
    sparkAuth: join(dir, FILE_NAMES.sparkAuth),
    idePassword: join(dir, FILE_NAMES.idePassword),
    connectToken: join(dir, FILE_NAMES.connectToken),
  };
}

/** Deletes the stack's secret files (a purge). */
export async function removeSecretFiles(stackName: string): Promise<void> {
  await rm(join(stateDir(), 'compose', stackName), { recursive: true, force: true });
}
