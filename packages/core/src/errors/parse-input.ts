import type { z } from 'zod';
import { SrsError } from './srs-error.js';

/**
 * Validates caller input with a zod schema; on failure throws one INVALID_CONFIGURATION error
 * listing every issue, before anything is changed.
 */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  what: string,
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const described = issues.map(
    (issue) => `${issue.path === '' ? what : issue.path}: ${issue.message}`,
  );
  throw new SrsError({
    code: 'INVALID_CONFIGURATION',
    message: `invalid ${what}: ${described.join('; ')}`,
    hint: 'fix the values named above; nothing was changed',
    cause: result.error,
    issues,
  });
}
