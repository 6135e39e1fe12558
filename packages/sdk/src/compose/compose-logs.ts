// A Compose service's log: `docker logs --timestamps` of each of its containers, as the same
// typed lines Swarm's service logs give. Followed logs are merged as they come.
import type { DockerClient, ServiceName } from '@spark-rstudio-shiny/core';
import type { ReadServiceLogsOptions } from '../cluster/log-options.js';
import { splitProcess, type ServiceLogLine } from '../cluster/service-log-line.js';
import {
  COMPOSE_SERVICE_LABEL,
  projectContainers,
  type ComposeContainer,
} from './compose-state.js';

const LINE = /^(\d{4}-\d{2}-\d{2}T\S+Z) ?(.*)$/;

function toLine(
  text: string,
  service: ServiceName,
  container: ComposeContainer,
): ServiceLogLine | undefined {
  const match = LINE.exec(text);
  if (match === null) return undefined;
  const timestamp = new Date(match[1] as string);
  if (Number.isNaN(timestamp.getTime())) return undefined;
  const slot = Number(container.Config.Labels?.['com.docker.compose.container-number']);
  return {
    service,
    timestamp,
    slot: Number.isInteger(slot) ? slot : undefined,
    taskId: container.Id.slice(0, 12),
    node: undefined,
    ...splitProcess(match[2] ?? ''),
  };
}

function logArgs(container: ComposeContainer, options: ReadServiceLogsOptions): string[] {
  return [
    'logs',
    '--timestamps',
    ...(options.follow === true ? ['--follow'] : []),
    ...(options.since === undefined ? [] : ['--since', options.since]),
    ...(options.tail === undefined ? [] : ['--tail', String(options.tail)]),
    container.Id,
  ];
}

/** Yields what several async iterables yield, as it comes. */
async function* merge<T>(sources: AsyncIterable<T>[]): AsyncIterable<T> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const pending = new Map(
    iterators.map((iterator, index) => [
      index,
      iterator.next().then((result) => ({ index, result })),
    ]),
  );
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done === true) {
        pending.delete(index);
        continue;
      }
      pending.set(
        index,
        (iterators[index] as AsyncIterator<T>).next().then((next) => ({ index, result: next })),
      );
      yield result.value;
    }
  } finally {
    await Promise.all(iterators.map((iterator) => iterator.return?.()));
  }
}

/**
 * The log lines of one service of a Compose project: in time order, or as they come with `follow`.
 */
export async function* readComposeLogs(
  docker: DockerClient,
  project: string,
  service: ServiceName,
  options: ReadServiceLogsOptions = {},
): AsyncIterable<ServiceLogLine> {
  const containers = (await projectContainers(docker, project, service, options.signal)).filter(
    (container) => container.Config.Labels?.[COMPOSE_SERVICE_LABEL] === service,
  );
  if (options.follow === true) {
    const streams = containers.map(async function* (container) {
      for await (const text of docker.stream(logArgs(container, options), {
        signal: options.signal,
      })) {
        const line = toLine(text, service, container);
        if (line !== undefined) yield line;
      }
    });
    yield* merge(streams);
    return;
  }
  const lines: ServiceLogLine[] = [];
  for (const container of containers) {
    const { stdout, stderr } = await docker.run(logArgs(container, options), {
      timeoutMs: 60_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    for (const text of `${stdout}\n${stderr}`.split('\n')) {
      const line = toLine(text, service, container);
      if (line !== undefined) lines.push(line);
    }
  }
  yield* lines.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
}
