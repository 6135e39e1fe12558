import { setTimeout as delay } from 'node:timers/promises';

import { SrsError, type DockerClient, type ServiceName } from '@spark-rstudio-shiny/core';
import type { ReadServiceLogsOptions } from '../cluster/log-options.js';
import { parseServiceLogLine, type ServiceLogLine } from '../cluster/service-log-line.js';

/**
 * The engine answers `task … not found` (or `No such task`) when a task it listed is deleted
 * before its log is read: right after a scale-down, swarm deletes the surplus tasks
 * (moby/moby#33203). That says nothing about the service, so the read starts again; a read that
 * already yielded lines resumes from the last line's time, without repeating what it yielded.
 */
export const TASK_VANISHED = /\btask \S+ not found\b|\bNo such task\b/i;

/** Reads a swarm service's log as typed lines, surviving tasks that vanish while it reads. */
export async function* readServiceLogs(
  docker: DockerClient,
  fullName: string,
  service: ServiceName,
  options: ReadServiceLogsOptions = {},
): AsyncIterable<ServiceLogLine> {
  const attempts = options.attempts ?? 5;
  const aborted = (): boolean => options.signal?.aborted === true;
  let last: { time: number; keys: Set<string> } | undefined;
  for (let attempt = 1; ; attempt += 1) {
    const args = [
      'service',
      'logs',
      '--timestamps',
      '--no-trunc',
      ...(options.follow === true ? ['--follow'] : []),
      ...(last === undefined
        ? [
            ...(options.since === undefined ? [] : ['--since', options.since]),
            ...(options.tail === undefined ? [] : ['--tail', String(options.tail)]),
          ]
        : ['--since', new Date(last.time).toISOString()]),
      fullName,
    ];
    try {
      for await (const raw of docker.stream(args, { signal: options.signal })) {
        const line = parseServiceLogLine(raw, service);
        if (line === undefined) continue;
        const time = line.timestamp.getTime();
        const key = `${line.taskId ?? ''} ${line.message}`;
        if (last !== undefined && (time < last.time || (time === last.time && last.keys.has(key))))
          continue;
        if (last === undefined || time > last.time) last = { time, keys: new Set() };
        last.keys.add(key);
        yield line;
      }
      return;
    } catch (error) {
      const vanished =
        error instanceof SrsError && TASK_VANISHED.test(`${error.message}\n${error.stderr ?? ''}`);
      if (!vanished || attempt >= attempts || aborted()) throw error;
      await delay(options.retryDelayMs ?? 300, undefined, { signal: options.signal }).catch(
        () => undefined,
      );
      if (aborted()) return;
    }
  }
}
