import { SrsError } from '@spark-rstudio-shiny/core';
import { RecordedDocker } from '@spark-rstudio-shiny/test-support';
import { stackDeploy } from './stack-deploy.js';

const ARGS = [
  'stack',
  'deploy',
  '--resolve-image',
  'never',
  '--prune',
  '-c',
  '/tmp/srs-stack-x/demo.yml',
  'demo',
];

function dockerFailure(stderr: string): SrsError {
  return new SrsError({
    code: 'DOCKER_COMMAND_FAILED',
    message: `docker ${ARGS.join(' ')} failed`,
    stderr,
    exitCode: 1,
  });
}

describe('stackDeploy', () => {
  it('should deploy again when another deploy of the stack created the service first (AlreadyExists)', async () => {
    const docker = new RecordedDocker([
      {
        args: ARGS,
        once: true,
        error: dockerFailure(
          'failed to create service demo_worker: Error response from daemon: rpc error: code = AlreadyExists desc = name conflicts with an existing object',
        ),
      },
      { args: ARGS, stdout: 'Updating service demo_worker (id: 9ks1)' },
    ]);
    await expect(stackDeploy(docker, ARGS, { pauseMs: 1 })).resolves.toBeUndefined();
    expect(docker.calls).toHaveLength(2);
  });

  it('should deploy again after an update out of sequence, and give up on the third race with the docker error', async () => {
    const raced = dockerFailure(
      'failed to update service demo_master: Error response from daemon: rpc error: code = Unknown desc = update out of sequence',
    );
    const docker = new RecordedDocker([{ args: ARGS, error: raced }]);
    await expect(stackDeploy(docker, ARGS, { pauseMs: 1 })).rejects.toBe(raced);
    expect(docker.calls).toHaveLength(3);
  });

  it('should not try again on any other failure', async () => {
    const invalid = dockerFailure('service worker: undefined secret "demo_spark_auth"');
    const docker = new RecordedDocker([{ args: ARGS, error: invalid }]);
    await expect(stackDeploy(docker, ARGS, { pauseMs: 1 })).rejects.toBe(invalid);
    expect(docker.calls).toHaveLength(1);
  });

  it('should not deploy again once its signal is aborted, and end with the abort reason', async () => {
    const controller = new AbortController();
    const reason = new Error('deadline');
    const docker = new RecordedDocker([
      {
        args: ARGS,
        error: dockerFailure(
          'rpc error: code = AlreadyExists desc = name conflicts with an existing object',
        ),
      },
    ]);
    const deploying = stackDeploy(docker, ARGS, { signal: controller.signal, pauseMs: 1_000 });
    controller.abort(reason);
    await expect(deploying).rejects.toBe(reason);
    expect(docker.calls).toHaveLength(1);
  });
});
