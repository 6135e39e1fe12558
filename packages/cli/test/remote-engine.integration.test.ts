// srs against a remote engine, as a user with DOCKER_HOST=tcp://… and TLS does it: an engine in a
// node container that answers only over TCP with client certificates. Nothing is installed or
// started here; Swarm's view is read through the CLI (the Engine API fast path is for a local
// socket); up, scale, status, logs and down work as they do locally.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import {
  docker,
  ensureTestImage,
  startTlsEngineNode,
  TestResources,
  type TlsEngineNode,
} from '@spark-rstudio-shiny/test-support';

const SRS = fileURLToPath(new URL('../dist/bin/srs.js', import.meta.url));
const stack = `srs-remote-${randomBytes(3).toString('hex')}`;
const REMOTE_IMAGE = 'srs-remote:test';

describe('srs against a remote engine over TCP with TLS', () => {
  const resources = new TestResources();
  let node: TlsEngineNode;

  /** Runs srs with the remote engine's DOCKER_HOST and client certificates in its environment. */
  const srs = async (
    ...args: string[]
  ): Promise<{ exitCode: number; stdout: string; stderr: string }> => {
    const result = await execa('node', [SRS, ...args], {
      env: node.env,
      reject: false,
      timeout: 900_000,
    });
    return {
      exitCode: result.exitCode ?? -1,
      stdout: String(result.stdout),
      stderr: String(result.stderr),
    };
  };

  beforeAll(async () => {
    const image = await ensureTestImage();
    node = await startTlsEngineNode(resources);
    // The image reaches the remote engine as it would without a registry: docker save on this
    // machine's engine (the remote one's settings emptied for that side) into docker load there.
    await execa(
      'bash',
      [
        '-c',
        `DOCKER_HOST= DOCKER_TLS_VERIFY= DOCKER_CERT_PATH= docker save ${image} | docker load`,
      ],
      { env: node.env, timeout: 900_000 },
    );
    await execa('docker', ['tag', image, REMOTE_IMAGE], { env: node.env });
  }, 1_200_000);

  afterAll(async () => {
    await srs('down', '--purge', '--stack', stack).catch(() => undefined);
    await resources.cleanup();
    await node?.cleanup();
  });

  it('should bring a stack up, scale it, report it, read its log and take it down, all over TLS', async () => {
    const up = await srs(
      'up',
      '--stack',
      stack,
      '--image',
      REMOTE_IMAGE,
      '--workers',
      '1',
      '--host',
      node.ip,
    );
    expect({ exitCode: up.exitCode, stderr: up.exitCode === 0 ? '' : up.stderr }).toEqual({
      exitCode: 0,
      stderr: '',
    });
    expect(up.stderr).toMatch(/engine answers: Docker /);
    expect(up.stderr).not.toMatch(/installing|starting dockerd|Building /);
    // The default deploy: the front door only, its certificate for the host given; Spark's
    // status (workers ALIVE) read inside the head over the remote engine.
    expect(up.stdout).toContain(`Front door    https://${node.ip}:8443/`);
    expect(up.stdout).toContain(`Spark UI      https://${node.ip}:8443/spark`);

    const scaled = await srs('scale', '2', '--stack', stack, '--json');
    expect(scaled.exitCode).toBe(0);
    expect(JSON.parse(scaled.stdout)).toMatchObject({ ready: true, spark: { aliveWorkers: 2 } });

    const status = await srs('status', '--stack', stack, '--json');
    const parsed = JSON.parse(status.stdout) as {
      ready: boolean;
      services: { name: string; running: number; desired: number }[];
    };
    expect(parsed.ready).toBe(true);
    expect(
      parsed.services.map((service) => [service.name, service.running, service.desired]).sort(),
    ).toEqual([
      ['master', 1, 1],
      ['worker', 2, 2],
    ]);

    const logs = await srs('logs', 'master', '--stack', stack, '--tail', '200');
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toMatch(/spark-master/);

    // Nothing of it is on this machine's own engine.
    expect(
      (
        await docker
          .run(['service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`])
          .catch(() => ({ stdout: '' }))
      ).stdout,
    ).toBe('');

    const down = await srs('down', '--purge', '--stack', stack);
    expect(down.exitCode).toBe(0);
    const left = await execa(
      'docker',
      ['service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`],
      { env: node.env },
    );
    expect(left.stdout).toBe('');
  });

  it('should fail fast with one clear message when the client certificates are missing', async () => {
    const result = await execa('node', [SRS, 'status', '--stack', stack], {
      env: { ...node.env, DOCKER_CERT_PATH: '/nonexistent' },
      reject: false,
      timeout: 120_000,
    });
    expect(result.exitCode).toBe(1);
    expect(
      String(result.stderr)
        .split('\n')
        .filter((line) => line.startsWith('error:')),
    ).toHaveLength(1);
  });
});
