import type { ServiceName } from '@spark-rstudio-shiny/stack';

/** One line of a service's log, parsed from `docker service logs --timestamps --no-trunc`. */
export interface ServiceLogLine {
  /** The stack service that wrote it. */
  service: ServiceName;
  /** When the engine received it. */
  timestamp: Date;
  /** The task's slot (replica number). */
  slot: number | undefined;
  /** The task's ID. */
  taskId: string | undefined;
  /** The node that ran the task. */
  node: string | undefined;
  /**
   * The process inside the container, from the image's "[name] " prefix (spark-master,
   * shiny-server, entrypoint…).
   */
  process: string | undefined;
  /** The text, without the prefix. */
  message: string;
}

const LINE = /^(\S+)\s+(\S+?)\.(\d+)\.([a-z0-9]+)@(\S+?)\s+\|\s?(.*)$/;
const PROCESS = /^\[([a-z0-9-]+)\] (.*)$/;

/** The image's "[name] " prefix (the process inside the container) and the text after it. */
export function splitProcess(text: string): { process: string | undefined; message: string } {
  const match = PROCESS.exec(text);
  return { process: match?.[1], message: match?.[2] ?? text };
}

/**
 * Parses one output line, e.g.
 * `2026-11-24T15:39:41.827Z srs_master.1.m1vq11aq@vm    | [entrypoint] role master, …`.
 * Returns undefined for lines that are not log lines.
 */
export function parseServiceLogLine(
  line: string,
  service: ServiceName,
): ServiceLogLine | undefined {
  const match = LINE.exec(line);
  if (match === null) return undefined;
  const [, timestamp, , slot, taskId, node, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return undefined;
  return { service, timestamp: date, slot: Number(slot), taskId, node, ...splitProcess(rest) };
}
