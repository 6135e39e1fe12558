// The engine script's decisions, run for real with stand-ins for docker, apt-get, dockerd, id and
// uname on PATH (tiny executables that record their calls): what it does for a root user on
// Debian, and the one message it gives everyone else without installing or starting anything.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ENGINE_SCRIPT } from './docker-engine.js';

interface Machine {
  /** What `docker info` prints on stderr when it fails; undefined: it answers. */
  dockerInfoError?: string;
  uid?: number;
  os?: string;
  env?: Record<string, string>;
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'srs-engine-script-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stub(name: string, body: string): Promise<void> {
  await writeFile(join(dir, name), `#!/bin/bash\necho "${name} $*" >>"${dir}/calls"\n${body}\n`);
  await chmod(join(dir, name), 0o755);
}

async function runScript(
  machine: Machine,
): Promise<{ exitCode: number; stderr: string; stdout: string; calls: string[] }> {
  const failing = machine.dockerInfoError;
  await stub(
    'docker',
    [
      'case "$1" in',
      `  info) ${failing === undefined ? 'exit 0' : `echo '${failing}' >&2; exit 1`} ;;`,
      '  context) echo default ;;',
      '  version) echo 20.10.24 ;;',
      'esac',
    ].join('\n'),
  );
  await stub('apt-get', 'exit 0');
  await stub('dockerd', 'exit 0');
  // A machine that runs systemd starts the engine through it: never the real one from a test.
  await stub('systemctl', 'exit 0');
  await stub('id', `echo ${machine.uid ?? 0}`);
  await stub('uname', `echo ${machine.os ?? 'Linux'}`);
  const result = await execa('bash', [ENGINE_SCRIPT], {
    reject: false,
    env: {
      PATH: `${dir}:/usr/bin:/bin`,
      ENGINE_WAIT_SECONDS: '1',
      DOCKERD_LOG: join(dir, 'dockerd.log'),
      USER: 'ada',
      ...machine.env,
    },
    extendEnv: false,
  });
  const calls = (await readFile(join(dir, 'calls'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean);
  return {
    exitCode: result.exitCode ?? -1,
    stderr: String(result.stderr),
    stdout: String(result.stdout),
    calls,
  };
}

const DOWN =
  'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
const DENIED =
  'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: connect: permission denied';
const installsOrStarts = (calls: string[]): string[] =>
  calls.filter((call) => /^(apt-get|dockerd|systemctl)/.test(call));

describe('ensure-docker-engine.sh', () => {
  it('should trust an engine that answers and install nothing, even for root on Debian', async () => {
    const run = await runScript({});
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/engine answers/);
    expect(installsOrStarts(run.calls)).toEqual([]);
  });

  it('should tell a user outside the docker group to ask for it, and change nothing', async () => {
    const run = await runScript({ dockerInfoError: DENIED, uid: 1000 });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/ada may not use the Docker engine's socket/);
    expect(run.stderr).toMatch(/usermod -aG docker ada/);
    expect(installsOrStarts(run.calls)).toEqual([]);
  });

  it('should tell a normal user with a stopped engine to start it, and change nothing', async () => {
    const run = await runScript({ dockerInfoError: DOWN, uid: 1000 });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/no Docker engine answers .*\n.*systemctl start docker/);
    expect(installsOrStarts(run.calls)).toEqual([]);
  });

  it.each([
    ['Darwin', /Start Docker Desktop \(or colima/],
    ['MINGW64_NT-10.0', /Start Docker Desktop and turn on its WSL integration/],
  ])('should point %s to Docker Desktop', async (os, message) => {
    const run = await runScript({ dockerInfoError: DOWN, os, uid: 501 });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(installsOrStarts(run.calls)).toEqual([]);
  });

  it('should never install or start anything for a remote engine, even as root', async () => {
    const run = await runScript({
      dockerInfoError: 'error during connect: dial tcp 10.0.0.9:2376: connect: connection refused',
      env: { DOCKER_HOST: 'tcp://10.0.0.9:2376' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/the Docker engine at tcp:\/\/10\.0\.0\.9:2376 does not answer/);
    expect(installsOrStarts(run.calls)).toEqual([]);
  });

  it('should start dockerd for root on Debian when the engine is installed but stopped', async () => {
    const run = await runScript({ dockerInfoError: DOWN });
    // The stand-ins start nothing, so the engine never answers: the script gives up after its wait.
    expect(
      run.calls.filter((call) => call === 'dockerd ' || call === 'systemctl start docker'),
    ).toHaveLength(1);
    expect(run.calls.filter((call) => call.startsWith('apt-get'))).toEqual([]);
    expect(run.stderr).toMatch(/dockerd did not answer within 1s/);
  });
});
