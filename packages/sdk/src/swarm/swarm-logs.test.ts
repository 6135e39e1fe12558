import { RecordedDocker } from '@spark-rstudio-shiny/test-support';
import { SrsError } from '@spark-rstudio-shiny/core';
import { readServiceLogs } from './swarm-logs.js';

// The error the engine answered in a real run, right after scaling the workers from 3 to 1.
const vanished = (): SrsError =>
  new SrsError({
    code: 'DOCKER_COMMAND_FAILED',
    message:
      'docker service logs --timestamps --no-trunc --follow --tail 5 srs_worker failed: Error response from daemon: task 6uqbpuw8zldthh4vgyf3adc7n not found',
    stderr: 'Error response from daemon: task 6uqbpuw8zldthh4vgyf3adc7n not found',
  });

const line = (time: string, message: string): string =>
  `${time} srs_worker.1.k2a6r2xq1xj0@vm    | [spark-worker] ${message}`;

async function collect(iterable: AsyncIterable<{ message: string }>): Promise<string[]> {
  const messages: string[] = [];
  for await (const item of iterable) messages.push(item.message);
  return messages;
}

describe('readServiceLogs', () => {
  it('should start again when a task vanished before any line came', async () => {
    const docker = new RecordedDocker([
      { args: ['service', 'logs'], error: vanished(), once: true },
      { args: ['service', 'logs'], stdout: line('2026-11-24T16:00:00.100000000Z', 'one') },
    ]);
    expect(
      await collect(readServiceLogs(docker, 'srs_worker', 'worker', { tail: 5, retryDelayMs: 1 })),
    ).toEqual(['one']);
    expect(docker.calls).toEqual([
      ['service', 'logs', '--timestamps', '--no-trunc', '--tail', '5', 'srs_worker'],
      ['service', 'logs', '--timestamps', '--no-trunc', '--tail', '5', 'srs_worker'],
    ]);
  });

  it('should resume from the last line it yielded, without repeating it', async () => {
    const docker = new RecordedDocker([
      {
        args: ['service', 'logs'],
        stdout: [
          line('2026-11-24T16:00:00.100000000Z', 'one'),
          line('2026-11-24T16:00:00.200000000Z', 'two'),
        ].join('\n'),
        error: vanished(),
        once: true,
      },
      {
        args: ['service', 'logs'],
        stdout: [
          line('2026-11-24T16:00:00.200000000Z', 'two'),
          line('2026-11-24T16:00:00.200000000Z', 'two and a half'),
          line('2026-11-24T16:00:01.000000000Z', 'three'),
        ].join('\n'),
      },
    ]);
    expect(
      await collect(
        readServiceLogs(docker, 'srs_worker', 'worker', { follow: true, tail: 5, retryDelayMs: 1 }),
      ),
    ).toEqual(['one', 'two', 'two and a half', 'three']);
    expect(docker.calls[1]).toEqual([
      'service',
      'logs',
      '--timestamps',
      '--no-trunc',
      '--follow',
      '--since',
      '2026-11-24T16:00:00.200Z',
      'srs_worker',
    ]);
  });

  it('should give up after its attempts with the engine error', async () => {
    const docker = new RecordedDocker([{ args: ['service', 'logs'], error: vanished() }]);
    await expect(
      collect(readServiceLogs(docker, 'srs_worker', 'worker', { attempts: 3, retryDelayMs: 1 })),
    ).rejects.toThrow(/task 6uqbpuw8zldthh4vgyf3adc7n not found/);
    expect(docker.calls).toHaveLength(3);
  });

  it('should not retry other failures', async () => {
    const docker = new RecordedDocker([
      {
        args: ['service', 'logs'],
        error: new SrsError({
          code: 'DOCKER_COMMAND_FAILED',
          message: 'no such service: srs_worker',
        }),
      },
    ]);
    await expect(
      collect(readServiceLogs(docker, 'srs_worker', 'worker', { retryDelayMs: 1 })),
    ).rejects.toThrow(/no such service/);
    expect(docker.calls).toHaveLength(1);
  });
});
