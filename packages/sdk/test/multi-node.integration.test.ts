// The stack on a real three-node swarm: Docker-in-Docker nodes (Debian's engine on the project's
// base image) joined with real join tokens; the image built once, pushed to a registry over TLS
// and deployed by digest (every node pulls it), and the registry-less fallback (distributeImage:
// docker save | docker load); workers spread over the nodes, a job whose executors ran on two
// nodes, the demo through the front door on the master's node, and a whole node stopped mid-job.
import {
  SparkCluster,
  distributeImage,
  pushImage,
  waitUntil,
  type ClusterStatus,
  type PushedImage,
} from '../src/index.js';
import {
  docker,
  ensureTestImage,
  jobResult,
  requestUrl,
  secondsSince,
  slowSumJob,
  startTestRegistry,
  startTestSwarm,
  type SwarmNode,
  type TestRegistry,
  TestResources,
  testSwarmClusterOptions,
  type TestSwarm,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';

describe('a stack on a real three-node swarm (Docker-in-Docker nodes)', () => {
  const resources = new TestResources();
  const stackName = uniqueName('srs-multi');
  let swarm: TestSwarm;
  let cluster: SparkCluster;
  let image: string;
  let registry: TestRegistry;
  let pushed: PushedImage;

  /** Which node runs each worker task, by the worker's address on the stack network. */
  const workerNodes = async (): Promise<Map<string, SwarmNode>> => {
    const byAddress = new Map<string, SwarmNode>();
    for (const node of swarm.nodes) {
      const ids = (
        await node.docker
          .run(['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${stackName}_worker`])
          .catch(() => ({ stdout: '' }))
      ).stdout
        .split('\n')
        .filter(Boolean);
      for (const id of ids) {
        const address = (
          await node.docker.run([
            'inspect',
            '--format',
            `{{(index .NetworkSettings.Networks "${stackName}_spark").IPAddress}}`,
            id,
          ])
        ).stdout;
        byAddress.set(address, node);
      }
    }
    return byAddress;
  };

  // The nodes of the worker tasks whose worker Spark lists ALIVE (matched by the task's address):
  // a task Swarm still health-checks is "starting" then, and counts, as it does for readiness.
  const aliveWorkerNodes = (status: ClusterStatus): Set<string | undefined> => {
    const alive = new Set(
      status.spark.reachable
        ? status.spark.workers
            .filter((worker) => worker.state === 'ALIVE')
            .map((worker) => worker.host)
        : [],
    );
    return new Set(
      status.tasks
        .filter(
          (task) =>
            task.service === 'worker' &&
            task.desiredState === 'running' &&
            task.addresses.some((address) => alive.has(address)),
        )
        .map((task) => task.nodeId),
    );
  };

  beforeAll(async () => {
    image = await ensureTestImage();
    swarm = await startTestSwarm(3, resources);
    // Build once (done), push, deploy anywhere: a registry on the nodes' network, over TLS with
    // a CA every engine trusts as Docker documents it (certs.d).
    registry = await startTestRegistry(swarm.network, resources);
    await registry.trustHere();
    for (const node of swarm.nodes) await registry.trustIn(node.container);
    pushed = await pushImage({
      image,
      to: `${registry.host}/team/spark-rstudio-shiny`,
      onProgress: () => undefined,
    });
    cluster = new SparkCluster(testSwarmClusterOptions(swarm, stackName, pushed.pinned), {
      docker: swarm.manager.docker,
    });
    await cluster.deploy({ timeoutMs: 900_000 });
  }, 1_800_000);

  afterAll(async () => {
    await cluster?.remove({ timeoutMs: 120_000 }).catch(() => undefined);
    await docker.run(['image', 'rm', pushed?.reference ?? 'none']).catch(() => undefined);
    await registry?.cleanup();
    await swarm?.cleanup();
  });

  it('should run every task from the registry image by digest, pulled by each node that runs one', async () => {
    const status = await cluster.status();
    expect(status.services.map((service) => service.image)).toEqual([pushed.pinned, pushed.pinned]);
    const taskNodes = new Set(
      status.tasks.filter((task) => task.desiredState === 'running').map((task) => task.nodeId),
    );
    expect(taskNodes.size).toBeGreaterThanOrEqual(2);
    for (const node of swarm.nodes.filter((candidate) => taskNodes.has(candidate.nodeId))) {
      const digests = (
        await node.docker.run([
          'image',
          'ls',
          '--digests',
          '--format',
          '{{.Repository}}@{{.Digest}}',
        ])
      ).stdout.split('\n');
      expect(digests).toContain(pushed.pinned);
    }
  });

  it('should give every node the image without a registry (distributeImage), and copy nothing the second time', async () => {
    const engines = swarm.nodes.map((node) => node.engine);
    const copies = await distributeImage({ image, engines, onProgress: () => undefined });
    expect(copies.map((copy) => copy.copied)).toEqual([true, true, true]);
    const again = await distributeImage({ image, engines, onProgress: () => undefined });
    expect(again.map((copy) => copy.copied)).toEqual([false, false, false]);
    const localId = (await docker.run(['image', 'inspect', '--format', '{{.Id}}', image])).stdout;
    expect(new Set(again.map((copy) => copy.imageId))).toEqual(new Set([localId]));
  });

  it('should see three Ready nodes and spread the four workers over at least two of them', async () => {
    const status = await cluster.status();
    expect(status.nodes.map((node) => node.state)).toEqual(['Ready', 'Ready', 'Ready']);
    const workerTaskNodes = aliveWorkerNodes(status);
    expect(workerTaskNodes.size).toBeGreaterThanOrEqual(2);
    expect(status.spark.aliveWorkers).toBe(4);
    // The head is on the manager.
    expect(
      status.tasks.find(
        (task) =>
          task.service === 'master' && task.desiredState === 'running' && task.state === 'running',
      )?.nodeId,
    ).toBe(swarm.manager.nodeId);
  });

  it('should run a job whose executors ran on two different nodes, with the exact result', async () => {
    const job = [
      'from pyspark.sql import SparkSession',
      'import time',
      // A driver starts with one executor, and a job this short ends on it before more come: ask
      // for one on each of the 4 workers, and wait for them (driver + 4), up to 2 minutes.
      'spark = SparkSession.builder.appName("srs-multi-node").config("spark.dynamicAllocation.initialExecutors", "4").getOrCreate()',
      'deadline = time.time() + 120',
      'while len(spark.sparkContext._jsc.sc().statusTracker().getExecutorInfos()) < 5 and time.time() < deadline: time.sleep(0.5)',
      'total = spark.range(0, 4000000, numPartitions=8).selectExpr("sum(id) AS s").first()["s"]',
      'driver = spark.sparkContext.getConf().get("spark.driver.host")',
      'hosts = sorted({e.host() for e in spark.sparkContext._jsc.sc().statusTracker().getExecutorInfos()} - {driver})',
      'print(f"RESULT {total}")',
      'print(f"HOSTS {\',\'.join(hosts)}")',
      'spark.stop()',
    ].join('\n');
    const { stdout } = await cluster.submitPython(job, { timeoutMs: 600_000 });
    expect(jobResult(stdout)).toBe(7_999_998_000_000n);
    const hosts = (/^HOSTS (\S+)$/m.exec(stdout)?.[1] ?? '').split(',');
    const nodes = await workerNodes();
    const executorNodes = new Set(hosts.map((host) => nodes.get(host)?.hostname));
    expect(executorNodes.has(undefined)).toBe(false);
    expect(executorNodes.size).toBeGreaterThanOrEqual(2);
  });

  it("should serve the Shiny demo through the front door on the master's node, with the stack's CA", async () => {
    const ca = (await cluster.credentials()).frontDoor?.caCertificate ?? '';
    const response = await waitUntil(
      async () => {
        const answer = await requestUrl(`https://${swarm.manager.ip}:8443/shiny/spark-demo/`, {
          ca,
          timeoutMs: 10_000,
        });
        return answer.status === 200 ? answer : undefined;
      },
      { description: "the demo on the master's node", timeoutMs: 120_000 },
    );
    expect(response.body).toContain('Spark from R');
  });

  it('should reschedule the workers of a stopped node, show it down, and finish the running job', async () => {
    const nodes = await workerNodes();
    const victim = swarm.nodes.find(
      (node) => node !== swarm.manager && [...nodes.values()].includes(node),
    );
    if (victim === undefined) throw new Error('no worker-only node runs a worker');
    const job = slowSumJob({
      rows: 1_000_000,
      partitions: 32,
      secondsPerPartition: 2,
      name: 'srs-node-down',
    });
    const running = cluster.submitPython(job.script, { timeoutMs: 900_000 });
    // Mid-job: the application holds executors on the workers.
    await waitUntil(
      async () => {
        const status = await cluster.status();
        return status.spark.reachable && status.spark.coresUsed >= 3 ? true : undefined;
      },
      { description: 'the job to hold executors', timeoutMs: 300_000, intervalMs: 1000 },
    );
    const stopped = Date.now();
    await docker.run(['kill', victim.container]);
    const down = await waitUntil(
      async () => {
        const status = await cluster.status();
        return status.nodes.find((node) => node.id === victim.nodeId)?.state === 'Down'
          ? status
          : undefined;
      },
      { description: `${victim.hostname} to show Down`, timeoutMs: 300_000, intervalMs: 1000 },
    );
    const shownDown = secondsSince(stopped);
    expect(down.nodes.filter((node) => node.state === 'Ready')).toHaveLength(2);
    const { stdout } = await running;
    const finished = secondsSince(stopped);
    expect(jobResult(stdout)).toBe(job.expected);
    const ready = await cluster.waitUntilReady({ timeoutMs: 600_000 });
    expect(ready.spark.aliveWorkers).toBe(4);
    const workerTaskNodes = aliveWorkerNodes(ready);
    expect(workerTaskNodes.has(victim.nodeId)).toBe(false);
    console.log(
      `RECOVERY ${JSON.stringify({ fault: 'node stopped mid-job', nodeShownDownSeconds: shownDown, jobFinishedSeconds: finished, fourAliveAgainSeconds: secondsSince(stopped) })}`,
    );
  });
  it('should refuse to keep the unencrypted overlay once encryption is on, and encrypt it after a down and up', async () => {
    // The stack runs with encryptOverlay false; "auto" on three nodes means encrypted.
    const options = {
      ...testSwarmClusterOptions(swarm, stackName, pushed.pinned),
      security: { encryptOverlay: 'auto' as const },
    };
    const encrypted = new SparkCluster(options, { docker: swarm.manager.docker });
    const network = `${stackName}_spark`;
    const encryption = async (): Promise<string> =>
      (
        await swarm.manager.docker.run([
          'network',
          'inspect',
          '--format',
          '{{index .Options "encrypted"}}',
          network,
        ])
      ).stdout.replace('<no value>', '');
    await expect(encrypted.deploy({ wait: false })).rejects.toMatchObject({
      code: 'OVERLAY_NOT_ENCRYPTED',
      hint: expect.stringMatching(/srs down, then srs up/) as unknown,
    });
    expect(await encryption()).toBe('');
    await cluster.remove({ timeoutMs: 300_000 });
    // This kernel has no IPsec: an encrypted overlay carries nothing between the test's nodes, so
    // only the network is checked, not the cluster on it.
    await encrypted.deploy({ wait: false });
    expect(await encryption()).toBe('true');
    await encrypted.remove({ timeoutMs: 300_000 });
  });
});
