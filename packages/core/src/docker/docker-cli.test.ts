import type { ExecaError } from 'execa';
import { DockerCli, dockerFailureFromStderr, mapDockerFailure } from './docker-cli.js';

/** The fields of an execa failure that the mapping reads, as recorded from real runs. */
function failure(fields: Partial<ExecaError>): ExecaError {
  return Object.assign(
    new Error('Command failed'),
    { exitCode: 1, stderr: '', isCanceled: false, timedOut: false },
    fields,
  ) as ExecaError;
}

describe('mapDockerFailure', () => {
  it('should map a missing binary to DOCKER_NOT_INSTALLED with an install hint', () => {
    const error = mapDockerFailure(failure({ code: 'ENOENT', exitCode: undefined }), 'docker info');
    expect(error.code).toBe('DOCKER_NOT_INSTALLED');
    expect(error.hint).toMatch(/apt-get install docker\.io/);
  });

  it('should map "Cannot connect to the Docker daemon" to DOCKER_DAEMON_UNREACHABLE', () => {
    const stderr =
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
    const error = mapDockerFailure(failure({ stderr }), 'docker info');
    expect(error).toMatchObject({
      code: 'DOCKER_DAEMON_UNREACHABLE',
      command: 'docker info',
      exitCode: 1,
      stderr,
    });
  });

  it('should map a socket this user may not use to DOCKER_PERMISSION_DENIED, naming the docker group', () => {
    // Recorded as a user outside the docker group, engine 20.10, CLI 28.2.
    const stderr =
      'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.50/info": dial unix /var/run/docker.sock: connect: permission denied';
    const error = mapDockerFailure(failure({ stderr }), 'docker info');
    expect(error.code).toBe('DOCKER_PERMISSION_DENIED');
    expect(error.hint).toMatch(/docker group/);
  });

  it('should map a timeout and an abort to their own codes', () => {
    expect(mapDockerFailure(failure({ timedOut: true }), 'docker pull x').code).toBe(
      'DOCKER_COMMAND_TIMEOUT',
    );
    expect(mapDockerFailure(failure({ isCanceled: true }), 'docker pull x').code).toBe('ABORTED');
  });

  it('should keep the last stderr line of any other failure in the message', () => {
    const stderr =
      'Using default tag: latest\nError response from daemon: pull access denied for nosuch, repository does not exist';
    const error = mapDockerFailure(failure({ stderr, exitCode: 1 }), 'docker pull nosuch');
    expect(error.code).toBe('DOCKER_COMMAND_FAILED');
    expect(error.message).toBe(
      'docker pull nosuch failed: Error response from daemon: pull access denied for nosuch, repository does not exist',
    );
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('dockerFailureFromStderr (what Compose failures go through too)', () => {
  it('should tell an engine that does not answer from a command that failed, naming the caller', () => {
    const unreachable = dockerFailureFromStderr(
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      { command: 'docker compose up', what: 'compose up of project p failed' },
    );
    expect(unreachable.code).toBe('DOCKER_DAEMON_UNREACHABLE');
    const failed = dockerFailureFromStderr('pulling…\nError: no such image: x:1\n', {
      command: 'docker compose up',
      what: 'compose up of project p failed',
      exitCode: 1,
    });
    expect(failed.code).toBe('DOCKER_COMMAND_FAILED');
    expect(failed.message).toBe('compose up of project p failed: Error: no such image: x:1');
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toBe('pulling…\nError: no such image: x:1\n');
  });
});

describe('DockerCli', () => {
  it('should reject with DOCKER_NOT_INSTALLED when the binary does not exist', async () => {
    await expect(
      new DockerCli({ binary: '/nonexistent/docker' }).run(['version']),
    ).rejects.toMatchObject({ code: 'DOCKER_NOT_INSTALLED' });
  });

  it('should run a real executable and report its lines', async () => {
    // `echo` stands in for the docker binary: the real execa path, no engine needed.
    const lines: string[] = [];
    const result = await new DockerCli({ binary: 'echo' }).run(['hello', 'world'], {
      onLine: (line) => lines.push(line),
    });
    expect(result).toEqual({ command: 'echo hello world', stdout: 'hello world', stderr: '' });
    expect(lines).toEqual(['hello world']);
  });
});
