import { randomBytes } from 'node:crypto';
import type { StackSecretKind } from '@spark-rstudio-shiny/core';

/**
 * A fresh value: 256 random bits in hex for Spark, 120 bits in URL-safe base64 (20 characters) for
 * a password.
 */
export function generateSecretValue(kind: StackSecretKind): string {
  return kind === 'sparkAuth'
    ? randomBytes(32).toString('hex')
    : randomBytes(15).toString('base64url');
}
