// The stack on a real single-node swarm, driven through the public SDK: deploy, readiness on
// Spark's view, scaling both ways, a real job, logs, remove and an immediate redeploy.
import { randomInt } from 'node:crypto';
import { httpGet } from '@spark-rstudio-shiny/core';
import { SparkCluster, SrsError, type ServiceLogLine } from '../src/index.js';
import {
  docker,
  ensureTestImage,
  serviceContainers,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';

async function removeStackLeftovers(stackName: string): Promise<void> {
  // Everything the stack made, volumes and secrets included.
  await new SparkCluster({ stackName })
    .remove({ purge: true, timeoutMs: 120_000 })
    .catch(() => undefined);
}

describe('a SparkCluster on a real single-node swarm', () => {
  const stackName = uniqueName('srs-it');
  const basePort = randomInt(20_000, 40_000);
  let cluster: SparkCluster;

  beforeAll(async () => {
    const image = await ensureTestImage();
    cluster = new SparkCluster({
      stackName,
      image,
      workers: 2,
      worker: { cores: 1, memory: '2g' },
      master: { cpus: 2, memory: '3g' },
      ports: { sparkUi: basePort, shiny: basePort + 1, https: null },
    });
  });

  afterAll(() => removeStackLeftovers(stackName));

  it('should deploy and be ready only when 2 workers are ALIVE in Spark', async () => {
    const status = await cluster.deploy({ timeoutMs: 300_000 });
    expect(status.ready).toBe(true);
    expect(status.spark.reachable).toBe(true);
    expect(status.spark.aliveWorkers).toBe(2);
    expect(
      status.services.map((service) => [service.name, service.running, service.desired]).sort(),
    ).toEqual([
      ['master', 1, 1],
      ['worker', 2, 2],
    ]);
    expect(status.urls).toEqual({
      sparkUi: `http://127.0.0.1:${basePort}`,
      shiny: `http://127.0.0.1:${basePort + 1}`,
      jupyter: null,
      rstudio: null,
      sparkHistory: null,
      sparkConnect: null,
      frontDoor: null,
    });
    const shiny = await httpGet(status.urls.shiny as string, { timeoutMs: 5000 });
    expect(shiny.status).toBe(200);
  });

  it('should scale to 3 workers and wait until 3 are ALIVE', async () => {
    const status = await cluster.scaleWorkers(3, { timeoutMs: 180_000 });
    expect(status.spark.aliveWorkers).toBe(3);
    expect(status.services.find((service) => service.name === 'worker')).toMatchObject({
      running: 3,
      desired: 3,
    });
  });

  it('should run a Spark job from inside the stack network with executors on the worker tasks', async () => {
    const [master = ''] = await serviceContainers(stackName, 'master');
    const job = [
      'from pyspark.sql import SparkSession',
      'import time',
      'spark = SparkSession.builder.appName("srs-stack-test").getOrCreate()',
      // The job asks for an executor on each of the 3 workers (minExecutors=3); a busy machine may
      // register the last one after the job would start: wait for all (driver + 3), up to 2
      // minutes.
      'deadline = time.time() + 120',
      'while len(spark.sparkContext._jsc.sc().statusTracker().getExecutorInfos()) < 4 and time.time() < deadline: time.sleep(0.5)',
      'total = spark.range(0, 3000000, numPartitions=6).selectExpr("sum(id) AS s").first()["s"]',
      'driver = spark.sparkContext.getConf().get("spark.driver.host")',
      'hosts = sorted({e.host() for e in spark.sparkContext._jsc.sc().statusTracker().getExecutorInfos()} - {driver})',
      'print(f"RESULT sum={total} hosts={\',\'.join(hosts)}")',
      'spark.stop()',
    ].join('\n');
    await docker.run(['exec', '-i', master, 'sh', '-c', 'cat > /tmp/srs-stack-job.py'], {
      input: job,
    });
    const { stdout } = await docker.run(
      [
        'exec',
        master,
        'spark-submit',
        '--conf',
        'spark.dynamicAllocation.minExecutors=3',
        '/tmp/srs-stack-job.py',
      ],
      { timeoutMs: 300_000 },
    );
    const match = /RESULT sum=(\d+) hosts=(\S*)/.exec(stdout);
    expect(match?.[1]).toBe('4499998500000');
    const status = await cluster.status();
    const workerHosts = status.spark.reachable
      ? status.spark.workers
          .filter((worker) => worker.state === 'ALIVE')
          .map((worker) => worker.host)
          .sort()
      : [];
    expect(workerHosts).toHaveLength(3);
    expect(match?.[2]?.split(',')).toEqual(workerHosts);
  });

  it('should scale down to 1 and not count the DEAD workers as alive', async () => {
    const status = await cluster.scaleWorkers(1, { timeoutMs: 180_000 });
    expect(status.spark.aliveWorkers).toBe(1);
    expect(status.services.find((service) => service.name === 'worker')).toMatchObject({
      running: 1,
      desired: 1,
    });
  });

  it("should yield the master's start line from logs, and end a follow when aborted", async () => {
    const lines: ServiceLogLine[] = [];
    for await (const line of cluster.logs('master', { tail: 500 })) lines.push(line);
    const start = lines.find(
      (line) =>
        line.process === 'spark-master' && /Starting Spark master at spark:\/\//.test(line.message),
    );
    expect(start).toBeDefined();
    expect(start?.service).toBe('master');
    expect(start?.slot).toBe(1);

    const controller = new AbortController();
    const followed: ServiceLogLine[] = [];
    const stopped = (async () => {
      for await (const line of cluster.logs('worker', {
        follow: true,
        tail: 5,
        signal: controller.signal,
      })) {
        followed.push(line);
        if (followed.length === 1) setTimeout(() => controller.abort(), 200);
      }
      return 'ended';
    })();
    await expect(stopped).resolves.toBe('ended');
    expect(followed.length).toBeGreaterThanOrEqual(1);

    const collected = await cluster.collectLogs({ tail: 20, deadlineMs: 20_000 });
    expect(new Set(collected.map((line) => line.service))).toEqual(new Set(['master', 'worker']));
  });

  it('should remove everything and allow an immediate second deploy', async () => {
    await cluster.remove({ timeoutMs: 120_000 });
    const label = `label=com.docker.stack.namespace=${stackName}`;
    for (const args of [
      ['service', 'ls', '-q'],
      ['ps', '-aq'],
      ['network', 'ls', '-q'],
    ]) {
      expect((await docker.run([...args, '--filter', label])).stdout).toBe('');
    }
    const again = await cluster.deploy({ timeoutMs: 300_000 });
    expect(again.spark.aliveWorkers).toBe(2);
    await cluster.remove({ timeoutMs: 120_000 });
    await expect(cluster.status()).rejects.toMatchObject({ code: 'STACK_NOT_FOUND' });
    await expect(cluster.remove()).rejects.toMatchObject({ code: 'STACK_NOT_FOUND' });
  });
});

describe('a SparkCluster whose image does not exist', () => {
  const stackName = uniqueName('srs-noimg');
  afterAll(() => removeStackLeftovers(stackName));

  it('should fail fast with the task error, not a timeout', async () => {
    const port = randomInt(40_000, 50_000);
    const cluster = new SparkCluster({
      stackName,
      image: 'srs-no-such-image:0.0.0',
      workers: 1,
      ports: { sparkUi: port, https: null },
    });
    const started = Date.now();
    const error = await cluster.deploy({ timeoutMs: 300_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SrsError);
    expect((error as SrsError).code).toBe('TASK_FAILED');
    expect((error as SrsError).message).toMatch(/No such image: srs-no-such-image:0\.0\.0/);
    expect(Date.now() - started).toBeLessThan(120_000);
  });
});
