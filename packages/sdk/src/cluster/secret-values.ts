import { randomBytes } from 'node:crypto';
import { SrsError, TLS_SECRET_KINDS, type StackSecretKind } from '@spark-rstudio-shiny/core';
import type { ClusterConfig } from '@spark-rstudio-shiny/stack';
import { generateTlsBundle, tlsHostNames } from './tls-bundle.js';

/**
 * A fresh random value: 256 bits in hex for Spark, 120 bits in URL-safe base64 (20 characters) for
 * a password, 256 bits in URL-safe base64 (43 characters) for Spark Connect's token.
 */
function randomSecretValue(kind: 'sparkAuth' | 'idePassword' | 'connectToken'): string {
  if (kind === 'sparkAuth') return randomBytes(32).toString('hex');
  if (kind === 'connectToken') return randomBytes(32).toString('base64url');
  return randomBytes(15).toString('base64url');
}

const isTlsKind = (kind: StackSecretKind): kind is (typeof TLS_SECRET_KINDS)[number] =>
  (TLS_SECRET_KINDS as readonly StackSecretKind[]).includes(kind);

/**
 * New values for the secrets a stack lacks (`missing`, out of the `wanted` ones). The TLS three
 * are made together (a CA, and a certificate and key for `config`'s names) or not at all: when
 * some exist and others do not, they could not match, and nothing is made.
 */
export async function newSecretValues(
  config: Pick<ClusterConfig, 'stackName' | 'host'>,
  wanted: readonly StackSecretKind[],
  missing: readonly StackSecretKind[],
  names: Record<StackSecretKind, string>,
): Promise<Partial<Record<StackSecretKind, string>>> {
  const values: Partial<Record<StackSecretKind, string>> = {};
  const tlsMissing = missing.filter(isTlsKind);
  if (tlsMissing.length > 0) {
    const tlsKept = wanted.filter((kind) => isTlsKind(kind) && !tlsMissing.includes(kind));
    if (tlsKept.length > 0) {
      throw new SrsError({
        code: 'SECRET_MISMATCH',
        message: `stack ${config.stackName} has ${tlsKept.map((kind) => names[kind]).join(', ')} but not ${tlsMissing.map((kind) => names[kind]).join(', ')}; a certificate, its key and its CA are made together`,
        hint: `remove the stack's TLS secrets (docker secret rm ${TLS_SECRET_KINDS.map((kind) => names[kind]).join(' ')}) with the stack down, then deploy again: a new CA is made`,
      });
    }
    const bundle = await generateTlsBundle({
      stackName: config.stackName,
      names: tlsHostNames(config),
    });
    values.tlsCert = bundle.cert;
    values.tlsKey = bundle.key;
    values.tlsCa = bundle.ca;
  }
  for (const kind of missing) if (!isTlsKind(kind)) values[kind] = randomSecretValue(kind);
  return values;
}

/**
 * The secrets a stack with these options reads: Spark's (with authentication on), the IDE
 * password, Spark Connect's token (when it runs), the front door's certificate, key and CA (when
 * it is on).
 */
export function stackSecretKinds(config: ClusterConfig): StackSecretKind[] {
  return [
    ...(config.security.sparkAuthentication ? (['sparkAuth'] as const) : []),
    'idePassword',
    ...(config.ports.sparkConnect === null ? [] : (['connectToken'] as const)),
    ...(config.ports.https === null ? [] : TLS_SECRET_KINDS),
  ];
}
