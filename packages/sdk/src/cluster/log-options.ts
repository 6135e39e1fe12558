// What a caller may ask of a service's log, whichever orchestrator runs it.
import { z } from 'zod';

/** Options of SparkCluster.logs(). */
export interface LogsOptions {
  /** Keep streaming new lines until `signal` aborts. */
  follow?: boolean | undefined;
  /**
   * Only lines since then: a duration (10m, 1h) or a timestamp, as `docker service logs --since`.
   */
  since?: string | undefined;
  /** Only the last N lines of each task. */
  tail?: number | undefined;
  /** Stops the stream (the iterator then ends cleanly). */
  signal?: AbortSignal | undefined;
}

/** The options a caller gives (the signal aside), validated before docker sees them. */
export const logsOptionsSchema = z.strictObject({
  follow: z.boolean().optional(),
  since: z
    .string()
    .regex(
      /^(\d+[smhd]|\d{4}-\d{2}-\d{2}(T[0-9:.]+Z?)?|\d+)$/,
      'must be a duration like 10m or a timestamp',
    )
    .optional(),
  tail: z.number().int().min(0).optional(),
});

/** What to read: as `docker service logs --follow --since --tail`. */
export interface ReadServiceLogsOptions {
  follow?: boolean | undefined;
  since?: string | undefined;
  tail?: number | undefined;
  signal?: AbortSignal | undefined;
  /** How often a read that lost a task is started again (default 5). */
  attempts?: number | undefined;
  /** Pause before starting again (default 300 ms). */
  retryDelayMs?: number | undefined;
}
