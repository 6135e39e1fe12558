import { RecordedDocker } from '@spark-rstudio-shiny/test-support';
import { SrsError } from '../errors/srs-error.js';
import { probeEngine } from './docker-engine.js';

const INFO = ['info', '--format'];

describe('probeEngine', () => {
  it('should report the version, OS and architecture of an engine that answers', async () => {
    const docker = new RecordedDocker([{ args: INFO, stdout: '26.1.5+dfsg1|linux|aarch64' }]);
    await expect(probeEngine({ docker })).resolves.toEqual({
      answers: true,
      serverVersion: '26.1.5+dfsg1',
      osType: 'linux',
      architecture: 'aarch64',
    });
  });

  it.each([
    [
      'DOCKER_NOT_INSTALLED',
      new SrsError({ code: 'DOCKER_NOT_INSTALLED', message: 'the docker CLI was not found' }),
    ],
    [
      'DOCKER_PERMISSION_DENIED',
      new SrsError({
        code: 'DOCKER_PERMISSION_DENIED',
        message: 'this user may not use the Docker engine',
        hint: 'docker group',
      }),
    ],
    [
      'DOCKER_DAEMON_UNREACHABLE',
      new SrsError({ code: 'DOCKER_DAEMON_UNREACHABLE', message: 'no Docker engine answers' }),
    ],
  ])(
    'should say why none answers (%s) without installing or starting anything',
    async (code, error) => {
      const docker = new RecordedDocker([{ args: INFO, error }]);
      const probe = await probeEngine({ docker });
      expect(probe.answers).toBe(false);
      expect(probe.answers === false && probe.error.code).toBe(code);
      expect(docker.calls).toEqual([[...INFO, '{{.ServerVersion}}|{{.OSType}}|{{.Architecture}}']]);
    },
  );

  it('should not take a proxy that answers 404 for an engine', async () => {
    // Seen here: `DOCKER_HOST=tcp://10.9.9.9:2375 docker info --format …` exits 0 with empty
    // fields.
    const docker = new RecordedDocker([{ args: INFO, stdout: '||' }]);
    const probe = await probeEngine({ docker });
    expect(probe.answers === false && probe.error.code).toBe('DOCKER_DAEMON_UNREACHABLE');
  });
});
