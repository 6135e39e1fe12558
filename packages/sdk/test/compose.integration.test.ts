// Compose mode on the real engine: the same image and stack template run by Docker Compose on
// this host (through the docker-compose package), with the default ports (the front door only:
// readiness, still meaning N ALIVE Spark workers, read inside the head), secrets as private files
// mounted where Swarm mounts its own, the door's TLS and login as on Swarm, and nothing lost on a
// redeploy (the CA included).
import { randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SparkCluster, SrsError } from '../src/index.js';
import {
  cookiesOf,
  docker,
  ensureTestImage,
  jobResult,
  requestUrl,
  slowSumJob,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';

describe('a SparkCluster run by Docker Compose on this host', () => {
  const stackName = uniqueName('srs-cmp');
  const basePort = randomInt(20_000, 40_000);
  const savedStateDir = process.env.SRS_STATE_DIR;
  let stateDir = '';
  let cluster: SparkCluster;

  beforeAll(async () => {
    // The secret files go to a folder of this test's own.
    stateDir = await mkdtemp(join(tmpdir(), 'srs-state-'));
    process.env.SRS_STATE_DIR = stateDir;
    cluster = new SparkCluster({
      orchestrator: 'compose',
      stackName,
      image: await ensureTestImage(),
      workers: 1,
      worker: { cores: 1, memory: '2g' },
      ports: { https: basePort },
    });
  });

  afterAll(async () => {
    await cluster.remove({ purge: true }).catch(() => undefined);
    if (savedStateDir === undefined) delete process.env.SRS_STATE_DIR;
    else process.env.SRS_STATE_DIR = savedStateDir;
    await rm(stateDir, { recursive: true, force: true });
  });

  it('should come up ready only when its worker is ALIVE in Spark, on the image ID, with private secret files', async () => {
    const status = await cluster.deploy({ timeoutMs: 300_000 });
    expect(status.ready).toBe(true);
    expect(status.spark.reachable && status.spark.aliveWorkers).toBe(1);
    const imageId = (
      await docker.run(['image', 'inspect', '--format', '{{.Id}}', cluster.config.image])
    ).stdout;
    expect(
      status.services
        .map((service) => [
          service.name,
          service.running,
          service.desired,
          service.image,
          service.imageTag,
        ])
        .sort(),
    ).toEqual([
      ['master', 1, 1, imageId, cluster.config.image],
      ['worker', 1, 1, imageId, cluster.config.image],
    ]);
    // Compose made the containers, under the stack's name as its project.
    const containers = (
      await docker.run(['ps', '-q', '--filter', `label=com.docker.compose.project=${stackName}`])
    ).stdout.split('\n');
    expect(containers).toHaveLength(2);
    const secrets = join(stateDir, 'compose', stackName, 'secrets');
    expect((await stat(secrets)).mode & 0o777).toBe(0o700);
    expect((await stat(join(secrets, 'ide_password'))).mode & 0o777).toBe(0o400);
    expect((await stat(join(secrets, 'tls_key'))).mode & 0o777).toBe(0o400);
    // Nothing in clear: the door is the one port published (the worker publishes none).
    const published = await Promise.all(
      containers.map(async (id) => (await docker.run(['port', id])).stdout),
    );
    expect(published.join('\n').split('\n').filter(Boolean)).toEqual(
      expect.arrayContaining([`8443/tcp -> 0.0.0.0:${basePort}`]),
    );
    expect(
      published
        .join('\n')
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('8443/tcp ->')),
    ).toEqual([]);
  });

  it("should serve the door over TLS with the stack's CA, the Spark UI behind the IDE login", async () => {
    const { ide, frontDoor } = await cluster.credentials();
    const ca = frontDoor?.caCertificate ?? '';
    const door = `https://127.0.0.1:${basePort}`;
    expect(frontDoor?.url).toBe(`${door}/`);
    const anonymous = await requestUrl(`${door}/spark/json/`, { ca });
    expect({ status: anonymous.status, location: anonymous.headers.location }).toEqual({
      status: 302,
      location: '/login?next=/spark/json/',
    });
    const form = await requestUrl(`${door}/login`, { ca });
    const xsrf = cookiesOf(form).find((cookie) => cookie.startsWith('_xsrf=')) ?? '';
    const posted = await requestUrl(`${door}/login`, {
      ca,
      headers: { cookie: xsrf },
      form: { _xsrf: xsrf.slice('_xsrf='.length), password: ide.password },
    });
    const cookie = [xsrf, ...cookiesOf(posted)].join('; ');
    const json = await requestUrl(`${door}/spark/json/`, { ca, headers: { cookie } });
    expect(JSON.parse(json.body)).toMatchObject({ status: 'ALIVE', aliveworkers: 1 });
  });

  it('should scale to 2 workers and run a Spark job on them', async () => {
    const status = await cluster.scaleWorkers(2, { timeoutMs: 240_000 });
    expect(status.spark.reachable && status.spark.aliveWorkers).toBe(2);
    const job = slowSumJob({
      rows: 2_000_000,
      partitions: 4,
      secondsPerPartition: 0,
      name: 'srs-compose-test',
    });
    const { stdout } = await cluster.submitPython(job.script, { timeoutMs: 300_000 });
    expect(jobResult(stdout)).toBe(job.expected);
  });

  it('should read logs, the IDE login and the recorded options as on Swarm', async () => {
    const lines = await cluster.collectLogs({ tail: 200, deadlineMs: 60_000 });
    expect(lines.some((line) => line.service === 'master' && line.process === 'spark-master')).toBe(
      true,
    );
    expect(lines.some((line) => line.service === 'worker' && line.process === 'spark-worker')).toBe(
      true,
    );
    const login = await cluster.credentials();
    expect(login.ide.password).toBe(
      await readFile(join(stateDir, 'compose', stackName, 'secrets', 'ide_password'), 'utf8'),
    );
    const attached = await SparkCluster.attach(stackName);
    expect(attached.config).toEqual(cluster.config);
    expect((await SparkCluster.list()).map((listed) => listed.config.stackName)).toContain(
      stackName,
    );
  });

  it('should keep volumes and secrets across remove and deploy, and drop them on purge', async () => {
    const [head = ''] = (
      await docker.run([
        'ps',
        '-q',
        '--filter',
        `label=com.docker.compose.project=${stackName}`,
        '--filter',
        'label=com.docker.compose.service=master',
      ])
    ).stdout.split('\n');
    await docker.run(['exec', head, 'sh', '-c', 'echo kept > /data/compose-check']);
    const before = await cluster.credentials();
    await cluster.remove();
    expect(
      (await docker.run(['ps', '-aq', '--filter', `label=com.docker.compose.project=${stackName}`]))
        .stdout,
    ).toBe('');
    await expect(cluster.status()).rejects.toMatchObject({ code: 'STACK_NOT_FOUND' });

    await cluster.deploy({ timeoutMs: 300_000 });
    const after = await cluster.credentials();
    expect(after.ide.password).toBe(before.ide.password);
    expect(after.frontDoor?.caCertificate).toBe(before.frontDoor?.caCertificate);
    const [again = ''] = (
      await docker.run([
        'ps',
        '-q',
        '--filter',
        `label=com.docker.compose.project=${stackName}`,
        '--filter',
        'label=com.docker.compose.service=master',
      ])
    ).stdout.split('\n');
    expect((await docker.run(['exec', again, 'cat', '/data/compose-check'])).stdout).toBe('kept');

    await cluster.remove({ purge: true });
    expect(
      (
        await docker.run([
          'volume',
          'ls',
          '-q',
          '--filter',
          `label=com.docker.compose.project=${stackName}`,
        ])
      ).stdout,
    ).toBe('');
    await expect(stat(join(stateDir, 'compose', stackName))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    const error = await cluster.remove().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SrsError);
    expect(error).toMatchObject({ code: 'STACK_NOT_FOUND' });
  });
});
