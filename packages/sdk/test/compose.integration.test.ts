// Compose mode on the real engine: the same image and stack template run by Docker Compose on
// this host (through the docker-compose package), with readiness still meaning N ALIVE Spark
// workers, secrets as private files mounted where Swarm mounts its own, and nothing lost on a
// redeploy.
import { randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SparkCluster, SrsError } from '../src/index.js';
import {
  docker,
  ensureTestImage,
  jobResult,
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
      ports: {
        sparkUi: basePort,
        shiny: basePort + 1,
        jupyter: null,
        rstudio: null,
        sparkHistory: null,
      },
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
    const shiny = await fetch(status.urls.shiny as string, { signal: AbortSignal.timeout(5000) });
    expect(shiny.status).toBe(200);
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
    const password = (await cluster.credentials()).ide.password;
    await cluster.remove();
    expect(
      (await docker.run(['ps', '-aq', '--filter', `label=com.docker.compose.project=${stackName}`]))
        .stdout,
    ).toBe('');
    await expect(cluster.status()).rejects.toMatchObject({ code: 'STACK_NOT_FOUND' });

    await cluster.deploy({ timeoutMs: 300_000 });
    expect((await cluster.credentials()).ide.password).toBe(password);
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
