import { SparkCluster, SrsError } from '@spark-rstudio-shiny/sdk';
import { withFlagNames } from './flag-names.js';

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

describe('withFlagNames', () => {
  it('should name the flag a user typed, once per flag, for options the stack schema refuses', () => {
    // The SDK validates its options with the stack package's schema, as `srs up` hands them over.
    const error = refusal(
      () =>
        new SparkCluster({
          stackName: 'Bad_Name',
          worker: { memory: '5x' },
          ports: { jupyter: 99999 },
        }),
    );
    const named = withFlagNames(error) as SrsError;
    expect(named).toBeInstanceOf(SrsError);
    expect(named.code).toBe('INVALID_CONFIGURATION');
    expect(named.message).toBe(
      'invalid option: --stack must be 1–30 lower-case letters, digits, "-" or "_", starting ' +
        'with a letter or digit; --worker-memory must be a size like 512m or 2g; ' +
        '--port-jupyter must be 1–65535',
    );
    expect(named.hint).toBe('fix the values named above; nothing was changed');
  });

  it('should name a value validated whole by what the error calls it', () => {
    const error = new SrsError({
      code: 'INVALID_CONFIGURATION',
      message: 'invalid service: service: must be "master" or "worker"',
      issues: [{ path: '', message: 'must be "master" or "worker"' }],
    });
    expect((withFlagNames(error) as SrsError).message).toBe(
      'invalid option: <service> must be "master" or "worker"',
    );
  });

  it('should name the stack flag for a stack name checked on its own (attach, status)', async () => {
    const error = await SparkCluster.deployedConfig('Bad_Name').catch((caught: unknown) => caught);
    expect((withFlagNames(error) as SrsError).message).toMatch(/^invalid option: --stack must be/);
  });

  it('should leave other errors as they are', () => {
    const error = new SrsError({ code: 'STACK_NOT_FOUND', message: 'no stack named "x"' });
    expect(withFlagNames(error)).toBe(error);
    const plain = new Error('boom');
    expect(withFlagNames(plain)).toBe(plain);
  });
});
