import { readFileSync } from 'node:fs';
import { parseServiceLogLine } from './service-log-line.js';

describe('parseServiceLogLine', () => {
  it('should parse recorded `docker service logs --timestamps --no-trunc` lines', () => {
    const lines = readFileSync(
      new URL('../../test/fixtures/service-logs.txt', import.meta.url),
      'utf8',
    )
      .trim()
      .split('\n');
    const first = parseServiceLogLine(lines[0] as string, 'master');
    expect(first).toEqual({
      service: 'master',
      timestamp: new Date('2026-11-24T15:39:41.827890982Z'),
      slot: 1,
      taskId: 'm1vq11aqacb55eurc8mhxcu7h',
      node: 'vm',
      process: 'entrypoint',
      message: 'role master, address 10.0.1.2, master spark://master:7077',
    });
    const supervisor = parseServiceLogLine(lines[3] as string, 'master');
    expect(supervisor?.process).toBeUndefined();
    expect(supervisor?.message).toMatch(/^2026-11-24 15:39:42,045 INFO Included extra file/);
  });

  it('should skip lines that are not log lines', () => {
    expect(
      parseServiceLogLine('error from daemon in stream: Error grabbing logs', 'worker'),
    ).toBeUndefined();
  });
});
