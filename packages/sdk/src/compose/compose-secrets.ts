// Compose has no secret store: a Compose stack's secrets are files only their owner reads, kept
// (like Swarm's secrets) until the stack is purged, and mounted read-only at /run/secrets, where
// the image reads Swarm's. They live under the user's state folder, per stack.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { StackSecretKind } from '@spark-rstudio-shiny/core';
import type { ClusterConfig } from '@spark-rstudio-shiny/stack';
import { newSecretValues } from '../cluster/secret-values.js';

const FILE_NAMES: Record<StackSecretKind, string> = {
  sparkAuth: 'spark_auth_secret',
  idePassword: 'ide_password',
  connectToken: 'connect_token',
  tlsCert: 'tls_cert',
  tlsKey: 'tls_key',
  tlsCa: 'tls_ca',
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
  config: Pick<ClusterConfig, 'stackName' | 'host'>,
  kinds: readonly StackSecretKind[],
): Promise<Partial<Record<StackSecretKind, string>>> {
  const files = await secretFilesIn(config.stackName);
  const missing: StackSecretKind[] = [];
  for (const kind of kinds) {
    const present = await readFile(files[kind], 'utf8').then(
      (value) => value !== '',
      () => false,
    );
    // A file kept from before (or loosened by hand) is made its owner's only again.
    if (present) await chmod(files[kind], 0o400);
    else missing.push(kind);
  }
  const values = await newSecretValues(config, kinds, missing, files);
  for (const kind of missing) await writeSecretFile(files[kind], values[kind] as string);
  return Object.fromEntries(kinds.map((kind) => [kind, files[kind]]));
}

/** Sets the given secret files of a stack (each written anew, 0400, in its 0700 folder). */
export async function replaceSecretFiles(
  stackName: string,
  values: Partial<Record<StackSecretKind, string>>,
): Promise<void> {
  const files = await secretFilesIn(stackName);
  for (const [kind, value] of Object.entries(values) as [StackSecretKind, string][])
    await writeSecretFile(files[kind], value);
}

/** The stack's secret file paths, their folder made (0700) when missing. */
async function secretFilesIn(stackName: string): Promise<Record<StackSecretKind, string>> {
  const dir = secretsDir(stackName);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return secretFilePaths(stackName);
}

/** A secret file written anew, its owner's only (0400): an old one is removed first. */
async function writeSecretFile(path: string, value: string): Promise<void> {
  await rm(path, { force: true });
  await writeFile(path, value, { mode: 0o400 });
}

/** The stack's secret files as they are (for rendering a file to take the stack down). */
export function secretFilePaths(stackName: string): Record<StackSecretKind, string> {
  const dir = secretsDir(stackName);
  return Object.fromEntries(
    Object.entries(FILE_NAMES).map(([kind, file]) => [kind, join(dir, file)]),
  ) as Record<StackSecretKind, string>;
}

/** Deletes the stack's secret files (a purge). */
export async function removeSecretFiles(stackName: string): Promise<void> {
  await rm(join(stateDir(), 'compose', stackName), { recursive: true, force: true });
}
