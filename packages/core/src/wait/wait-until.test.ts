import { SrsError } from '../errors/srs-error.js';
import { waitUntil } from './wait-until.js';

describe('waitUntil', () => {
  it('should return the first defined value', async () => {
    let calls = 0;
    const value = await waitUntil(async () => (++calls >= 3 ? 'ready' : undefined), {
      description: 'three calls',
      timeoutMs: 5000,
      intervalMs: 10,
    });
    expect(value).toBe('ready');
    expect(calls).toBe(3);
  });

  it('should time out with WAIT_TIMEOUT naming what it waited for and the last error', async () => {
    const error = await waitUntil(() => Promise.reject(new Error('connection refused')), {
      description: 'the master',
      timeoutMs: 200,
      intervalMs: 20,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SrsError);
    expect((error as SrsError).code).toBe('WAIT_TIMEOUT');
    expect((error as SrsError).message).toBe(
      'timed out after 200 ms waiting for the master (last: connection refused)',
    );
  });

  it('should go on through an error that says it is retryable', async () => {
    let calls = 0;
    const value = await waitUntil(
      async () => {
        calls += 1;
        if (calls < 3)
          throw new SrsError({
            code: 'SPARK_MASTER_UNREACHABLE',
            message: 'not yet',
            retryable: true,
          });
        return 'up';
      },
      { description: 'the master', timeoutMs: 5000, intervalMs: 10 },
    );
    expect([value, calls]).toEqual(['up', 3]);
  });

  it('should fail fast on an error that is not retryable', async () => {
    let calls = 0;
    const fatal = new SrsError({
      code: 'DOCKER_COMMAND_FAILED',
      message: 'task failed: no such image',
    });
    await expect(
      waitUntil(
        () => {
          calls += 1;
          return Promise.reject(fatal);
        },
        { description: 'x', timeoutMs: 5000, intervalMs: 10 },
      ),
    ).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it('should stop with ABORTED when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(
      waitUntil(async () => undefined, {
        description: 'never',
        timeoutMs: 10_000,
        intervalMs: 5000,
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });

  it('should time out at its deadline even when a check ignores its signal and never settles', async () => {
    const started = Date.now();
    const error = await waitUntil(() => new Promise<undefined>(() => undefined), {
      description: 'a check that hangs',
      timeoutMs: 300,
    }).catch((caught: unknown) => caught);
    expect((error as SrsError).code).toBe('WAIT_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('should abort the signal of a check still running at the deadline', async () => {
    let seen: AbortSignal | undefined;
    await waitUntil(
      (signal) => {
        seen = signal;
        return new Promise<undefined>(() => undefined);
      },
      { description: 'never', timeoutMs: 100 },
    ).catch(() => undefined);
    expect(seen?.aborted).toBe(true);
  });
});
