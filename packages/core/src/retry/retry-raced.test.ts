import { SrsError } from '../errors/srs-error.js';
import { isSwarmRace, retryRaced } from './retry-raced.js';

function dockerFailure(stderr: string): SrsError {
  return new SrsError({
    code: 'DOCKER_COMMAND_FAILED',
    message: 'docker node update failed',
    stderr,
    exitCode: 1,
  });
}

const OUT_OF_SEQUENCE =
  'Error response from daemon: rpc error: code = Unknown desc = update out of sequence';
const NAME_CONFLICT =
  'failed to create service demo_worker: Error response from daemon: rpc error: code = AlreadyExists desc = name conflicts with an existing object';

/** A write that fails with the given errors, in turn, then answers `done`. */
function failingWrite(errors: Error[]): { write: () => Promise<string>; attempts: () => number } {
  let attempts = 0;
  return {
    write: () => {
      attempts += 1;
      const error = errors[attempts - 1];
      return error === undefined ? Promise.resolve('done') : Promise.reject(error);
    },
    attempts: () => attempts,
  };
}

describe('isSwarmRace', () => {
  it.each([
    OUT_OF_SEQUENCE,
    NAME_CONFLICT,
    'rpc error: code = AlreadyExists desc = network demo_default already exists',
    // Seen in CI: two deploys of one stack, both creating its network.
    'failed to create network demo_spark: Error response from daemon: network with name demo_spark already exists',
  ])('should know a lost race: %s', (stderr) => {
    expect(isSwarmRace(dockerFailure(stderr))).toBe(true);
  });

  it('should not take other failures, or errors that are not docker failures, for a race', () => {
    expect(isSwarmRace(dockerFailure('service worker: undefined secret "demo_spark_auth"'))).toBe(
      false,
    );
    expect(isSwarmRace(new Error('update out of sequence'))).toBe(false);
  });
});

describe('retryRaced', () => {
  it('should write again after lost races, and answer what the write answers', async () => {
    const { write, attempts } = failingWrite([
      dockerFailure(OUT_OF_SEQUENCE),
      dockerFailure(NAME_CONFLICT),
    ]);
    await expect(retryRaced(write, { pauseMs: 1 })).resolves.toBe('done');
    expect(attempts()).toBe(3);
  });

  it('should give up after the given number of races with the docker error', async () => {
    const raced = dockerFailure(OUT_OF_SEQUENCE);
    const { write, attempts } = failingWrite([raced, raced, raced, raced]);
    await expect(retryRaced(write, { pauseMs: 1, retries: 2 })).rejects.toBe(raced);
    expect(attempts()).toBe(3);
  });

  it('should not write again after any other failure', async () => {
    const invalid = dockerFailure('service worker: undefined secret "demo_spark_auth"');
    const { write, attempts } = failingWrite([invalid]);
    await expect(retryRaced(write, { pauseMs: 1 })).rejects.toBe(invalid);
    expect(attempts()).toBe(1);
  });

  it('should stop when its signal is aborted during the pause, with the abort reason', async () => {
    const controller = new AbortController();
    const reason = new Error('deadline');
    let attempts = 0;
    const write = (): Promise<string> => {
      attempts += 1;
      controller.abort(reason);
      return Promise.reject(dockerFailure(OUT_OF_SEQUENCE));
    };
    await expect(retryRaced(write, { signal: controller.signal, pauseMs: 1 })).rejects.toBe(reason);
    expect(attempts).toBe(1);
  });
});
