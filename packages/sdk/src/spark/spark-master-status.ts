import { httpGet, isSrsError, SrsError, type HttpAnswer } from '@spark-rstudio-shiny/core';
import { z } from 'zod';

/** The Spark master's `/json/` document (only the fields used; the rest passes through). */
export const sparkMasterJsonSchema = z.looseObject({
  url: z.string(),
  status: z.string(),
  aliveworkers: z.number(),
  cores: z.number(),
  coresused: z.number(),
  memory: z.number(),
  memoryused: z.number(),
  workers: z.array(
    z.looseObject({
      id: z.string(),
      host: z.string(),
      port: z.number(),
      state: z.string(),
      cores: z.number(),
      coresused: z.number(),
      memory: z.number(),
      memoryused: z.number(),
    }),
  ),
  activeapps: z.array(
    z.looseObject({
      id: z.string(),
      name: z.string(),
      state: z.string(),
      cores: z.number().optional(),
    }),
  ),
  completedapps: z
    .array(z.looseObject({ id: z.string(), name: z.string(), state: z.string() }))
    .optional(),
});
export type SparkMasterJson = z.infer<typeof sparkMasterJsonSchema>;

/** Spark's view of the cluster. */
export interface SparkStatus {
  /** The master's own state (ALIVE, STANDBY, RECOVERING…). */
  status: string;
  /** The master's RPC URL as it advertises it. */
  masterUrl: string;
  /** Workers in state ALIVE (DEAD ones from earlier scale-downs are not counted). */
  aliveWorkers: number;
  /** Every worker the master knows, ALIVE or not. */
  workers: {
    id: string;
    host: string;
    state: string;
    cores: number;
    coresUsed: number;
    memoryMb: number;
    memoryUsedMb: number;
  }[];
  /** Applications running now. */
  activeApps: { id: string; name: string; state: string }[];
  /** Cores of ALIVE workers, and how many are in use. */
  cores: number;
  coresUsed: number;
}

/** Turns the master's JSON into a {@link SparkStatus}, counting only ALIVE workers. */
export function toSparkStatus(json: SparkMasterJson): SparkStatus {
  const workers = json.workers.map((worker) => ({
    id: worker.id,
    host: worker.host,
    state: worker.state,
    cores: worker.cores,
    coresUsed: worker.coresused,
    memoryMb: worker.memory,
    memoryUsedMb: worker.memoryused,
  }));
  return {
    status: json.status,
    masterUrl: json.url,
    aliveWorkers: workers.filter((worker) => worker.state === 'ALIVE').length,
    workers,
    activeApps: json.activeapps.map((app) => ({ id: app.id, name: app.name, state: app.state })),
    cores: json.cores,
    coresUsed: json.coresused,
  };
}

/** The master's UI did not give its status: `where` it was asked, and what happened. */
export function masterUnreachable(where: string, detail: string, cause?: unknown): SrsError {
  return new SrsError({
    code: 'SPARK_MASTER_UNREACHABLE',
    message: `the Spark master's UI at ${where} ${detail}`,
    hint: 'the master may still be starting; see `srs logs master`',
    cause,
    retryable: true,
  });
}

/** Reads the master's `/json/` over HTTP, with a per-request deadline. */
export async function fetchSparkStatus(
  uiUrl: string,
  options: { signal?: AbortSignal | undefined; timeoutMs?: number } = {},
): Promise<SparkStatus> {
  const url = `${uiUrl.replace(/\/+$/, '')}/json/`;
  let answer: HttpAnswer;
  try {
    answer = await httpGet(url, { timeoutMs: options.timeoutMs ?? 5000, signal: options.signal });
  } catch (error) {
    if (isSrsError(error, 'ABORTED')) throw error;
    const reason = isSrsError(error, 'WAIT_TIMEOUT')
      ? `no answer within ${options.timeoutMs ?? 5000} ms`
      : error instanceof Error
        ? ((error.cause as { code?: string } | undefined)?.code ?? error.message)
        : String(error);
    throw masterUnreachable(url, `does not answer (${reason})`, error);
  }
  if (!answer.ok) throw masterUnreachable(url, `answered HTTP ${answer.status}`);
  return parseSparkStatus(answer.text, url);
}

/** The master's `/json/` text as a {@link SparkStatus}; `from` names where it was read. */
export function parseSparkStatus(text: string, from: string): SparkStatus {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = sparkMasterJsonSchema.safeParse(json);
  if (!parsed.success)
    throw masterUnreachable(
      from,
      "answered something that is not the master's status document",
      parsed.error,
    );
  return toSparkStatus(parsed.data);
}
