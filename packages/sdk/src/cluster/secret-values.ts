import { randomBytes } from 'node:crypto';
import type { StackSecretKind } from '@spark-rstudio-shiny/core';
import type { ClusterConfig } from '@spark-rstudio-shiny/stack';

/**
 * A fresh value: 256 random bits in hex for Spark, 120 bits in URL-safe base64 (20 characters) for
 * a password, 256 bits in URL-safe base64 (43 characters) for Spark Connect's token.
 */
export function generateSecretValue(kind: StackSecretKind): string {
  if (kind === 'sparkAuth') return randomBytes(32).toString('hex');
  if (kind === 'connectToken') return randomBytes(32).toString('base64url');
  return randomBytes(15).toString('base64url');
}

/**
 * The secrets a stack with these options reads: Spark's (with authentication on), the IDE
 * password, Spark Connect's token (when it runs).
 */
export function stackSecretKinds(config: ClusterConfig): StackSecretKind[] {
  return [
    ...(config.security.sparkAuthentication ? (['sparkAuth'] as const) : []),
    'idePassword',
    ...(config.ports.sparkConnect === null ? [] : (['connectToken'] as const)),
  ];
}
