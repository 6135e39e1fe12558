import {
  legacyIdePasswordName,
  SrsError,
  STACK_SECRET_LABEL,
  stackSecretNames,
  type DockerClient,
  type StackSecretKind,
} from '@spark-rstudio-shiny/core';
import type { ClusterConfig } from '@spark-rstudio-shiny/stack';
import { newSecretValues } from '../cluster/secret-values.js';

/**
 * The secret names a deploy of this stack uses: the current ones, except that a stack created
 * when the IDE password was RStudio's keeps that secret (and so its password).
 */
export async function resolveStackSecretNames(
  docker: DockerClient,
  stackName: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<Record<StackSecretKind, string>> {
  return secretNamesAmong(stackName, await existingSecrets(docker, options.signal));
}

/** The stack's secret names, given the secrets that exist (see resolveStackSecretNames). */
function secretNamesAmong(
  stackName: string,
  existing: ReadonlySet<string>,
): Record<StackSecretKind, string> {
  const names = stackSecretNames(stackName);
  if (!existing.has(names.idePassword) && existing.has(legacyIdePasswordName(stackName)))
    names.idePassword = legacyIdePasswordName(stackName);
  return names;
}

/** Creates one secret of the stack, its value on stdin. */
function createSecret(
  docker: DockerClient,
  stackName: string,
  name: string,
  value: string,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  return docker.run(
    ['secret', 'create', '--label', `${STACK_SECRET_LABEL}=${stackName}`, name, '-'],
    { timeoutMs: 30_000, input: value, ...(signal === undefined ? {} : { signal }) },
  );
}

async function existingSecrets(
  docker: DockerClient,
  signal: AbortSignal | undefined,
): Promise<Set<string>> {
  const { stdout } = await docker.run(['secret', 'ls', '--format', '{{.Name}}'], {
    timeoutMs: 30_000,
    ...(signal === undefined ? {} : { signal }),
  });
  return new Set(stdout.split('\n').filter((name) => name !== ''));
}

/**
 * Creates the stack's secrets that do not exist yet, each with a fresh value (see
 * newSecretValues) handed to `docker secret create` on stdin (never on a command line, in the
 * environment or on disk). Existing secrets are kept, so a redeploy keeps its Spark secret, IDE
 * password and certificates. Returns the names it created.
 */
export async function ensureStackSecrets(
  docker: DockerClient,
  config: Pick<ClusterConfig, 'stackName' | 'host'>,
  kinds: readonly StackSecretKind[],
  options: { signal?: AbortSignal | undefined } = {},
): Promise<string[]> {
  const { stackName } = config;
  const existing = await existingSecrets(docker, options.signal);
  const names = secretNamesAmong(stackName, existing);
  const missing = kinds.filter((kind) => !existing.has(names[kind]));
  const values = await newSecretValues(config, kinds, missing, names);
  const created: string[] = [];
  for (const kind of missing) {
    const name = names[kind];
    try {
      await createSecret(docker, stackName, name, values[kind] as string, options.signal);
      created.push(name);
    } catch (error) {
      // A deploy running at the same time created it first: that one is kept, as any existing
      // secret is.
      if (!(
        error instanceof SrsError &&
        /already exists/i.test(`${error.stderr ?? ''} ${error.message}`)
      ))
        throw error;
    }
  }
  return created;
}

/**
 * Sets the given secrets of a stack whose services are gone (Docker refuses to remove a secret in
 * use): each existing one removed, then created with its new value on stdin.
 */
export async function replaceStackSecrets(
  docker: DockerClient,
  stackName: string,
  values: Partial<Record<StackSecretKind, string>>,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<void> {
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  const existing = await existingSecrets(docker, options.signal);
  const names = secretNamesAmong(stackName, existing);
  for (const [kind, value] of Object.entries(values) as [StackSecretKind, string][]) {
    const name = names[kind];
    if (existing.has(name))
      await docker.run(['secret', 'rm', name], { timeoutMs: 30_000, ...signalOption });
    await createSecret(docker, stackName, name, value, options.signal);
  }
}

/**
 * Deletes the secrets labelled with the stack's name (after its services are gone). Returns their
 * names.
 */
export async function removeStackSecrets(
  docker: DockerClient,
  stackName: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<string[]> {
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  const { stdout } = await docker.run(
    [
      'secret',
      'ls',
      '--filter',
      `label=${STACK_SECRET_LABEL}=${stackName}`,
      '--format',
      '{{.Name}}',
    ],
    { timeoutMs: 30_000, ...signalOption },
  );
  const names = stdout.split('\n').filter((name) => name !== '');
  if (names.length > 0)
    await docker.run(['secret', 'rm', ...names], { timeoutMs: 30_000, ...signalOption });
  return names;
}
