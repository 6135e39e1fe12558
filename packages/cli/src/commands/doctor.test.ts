import { SrsError } from '@spark-rstudio-shiny/sdk';
import { engineCheck } from './doctor.js';

describe('srs doctor: the engine line', () => {
  it('should show the version of an engine that answers', () => {
    expect(
      engineCheck({
        answers: true,
        serverVersion: '20.10.24',
        osType: 'linux',
        architecture: 'x86_64',
      }),
    ).toEqual({
      check: 'Docker engine',
      status: 'ok',
      detail: '20.10.24 (linux/x86_64)',
    });
  });

  it('should tell a stopped engine from a socket this user may not use, each with its own fix', () => {
    const down = engineCheck({
      answers: false,
      error: new SrsError({
        code: 'DOCKER_DAEMON_UNREACHABLE',
        message: 'no Docker engine answers',
      }),
    });
    const denied = engineCheck({
      answers: false,
      error: new SrsError({
        code: 'DOCKER_PERMISSION_DENIED',
        message: 'this user may not use the Docker engine',
        hint: 'ask an administrator to add you to the docker group',
      }),
    });
    expect(down).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^no engine answers/) as unknown,
    });
    expect(denied).toMatchObject({
      status: 'fail',
      detail: 'running, but this user may not use its socket',
      fix: expect.stringMatching(/docker group/) as unknown,
    });
    expect(down.fix).not.toEqual(denied.fix);
  });
});
