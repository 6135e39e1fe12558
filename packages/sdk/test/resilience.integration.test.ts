// What clusters meet, on a real single-node swarm: a worker killed mid-job, the master replaced
// and killed, a scale-down mid-job, and ports already taken. Each fault's recovery time is
// printed (RECOVERY lines); nothing here asserts on time.
import { randomInt } from 'node:crypto';
import { SparkCluster, waitUntil } from '../src/index.js';
import {
  docker,
  ensureTestImage,
  jobResult,
  keepStackLogs,
  launchBrowser,
  openPage,
  readMasterJson,
  secondsSince,
  serviceContainers,
  slowSumJob,
  type TestBrowser,
  TestResources,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';

function report(fault: string, seconds: Record<string, number>): void {
  console.log(`RECOVERY ${JSON.stringify({ fault, ...seconds })}`);
}

describe('a stack surviving what clusters meet (single-node swarm)', () => {
  const stackName = uniqueName('srs-res');
  const base = randomInt(20_000, 25_000);
  let cluster: SparkCluster;
  let browser: TestBrowser;

  const master = async (): Promise<string> => {
    const [id] = await serviceContainers(stackName, 'master');
    if (id === undefined) throw new Error('no master container yet');
    return id;
  };

  /** Waits until the Shiny demo computes a result again, in a real browser, with no manual step. */
  const demoAnswers = async (): Promise<void> => {
    const page = await browser.context.newPage();
    try {
      await openPage(page, `http://127.0.0.1:${base + 1}/spark-demo/`, { timeoutMs: 120_000 });
      await page.waitForSelector('#status:has-text("computed by Spark on")', { timeout: 300_000 });
    } finally {
      await page.close();
    }
  };

  beforeAll(async () => {
    cluster = new SparkCluster({
      stackName,
      image: await ensureTestImage(),
      workers: 2,
      ports: { sparkUi: base, shiny: base + 1, https: null },
    });
    await cluster.deploy({ timeoutMs: 300_000 });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await keepStackLogs(cluster.config.stackName);
    await browser?.close();
    await cluster.remove({ purge: true, timeoutMs: 180_000 }).catch(() => undefined);
  });

  it('should finish a job exactly when a worker is killed (-9) in the middle of it; the dead worker leaves and its replacement registers', async () => {
    const job = slowSumJob({
      rows: 1_000_000,
      partitions: 24,
      secondsPerPartition: 3,
      name: 'srs-kill-worker',
    });
    const running = cluster.submitPython(job.script, { timeoutMs: 600_000 });
    const head = await master();
    // Mid-job: the application holds both workers' cores.
    await waitUntil(
      async () => ((await readMasterJson(docker, head)).coresused >= 2 ? true : undefined),
      { description: 'the job to use both workers', timeoutMs: 180_000 },
    );
    const before = await readMasterJson(docker, head);
    const [victim] = await serviceContainers(stackName, 'worker');
    const victimHost = (
      await docker.run([
        'inspect',
        '--format',
        `{{(index .NetworkSettings.Networks "${stackName}_spark").IPAddress}}`,
        victim as string,
      ])
    ).stdout;
    const killed = Date.now();
    await docker.run(['kill', '--signal', 'KILL', victim as string]);
    await waitUntil(
      async () => {
        const state = await readMasterJson(docker, head);
        return state.workers.some(
          (worker) => worker.host === victimHost && worker.state === 'ALIVE',
        )
          ? undefined
          : true;
      },
      { description: 'the killed worker to leave the ALIVE workers', timeoutMs: 120_000 },
    );
    const left = secondsSince(killed);
    const { stdout } = await running;
    const finished = secondsSince(killed);
    expect(jobResult(stdout)).toBe(job.expected);
    const ready = await cluster.waitUntilReady({ timeoutMs: 300_000 });
    expect(ready.spark.aliveWorkers).toBe(2);
    const aliveIds = ready.spark.reachable
      ? ready.spark.workers.filter((worker) => worker.state === 'ALIVE').map((worker) => worker.id)
      : [];
    // The replacement registered anew: a worker id the master had not seen before the kill.
    expect(aliveIds.some((id) => !before.workers.some((worker) => worker.id === id))).toBe(true);
    report('worker killed mid-job', {
      deadWorkerLeftSeconds: left,
      jobFinishedSeconds: finished,
      twoAliveAgainSeconds: secondsSince(killed),
    });
  });

  it('should have its workers re-register with a replaced master (service update --force), run a job afterwards, and serve the demo again', async () => {
    // A page left open on the demo: the head (and the app's R process) will go away under it.
    const watching = await browser.context.newPage();
    await openPage(watching, `http://127.0.0.1:${base + 1}/spark-demo/`, { timeoutMs: 120_000 });
    const appOf = async (): Promise<string | undefined> =>
      /\bapp (app-\d+-\d+)\b/.exec((await watching.textContent('#status')) ?? '')?.[1];
    await watching.waitForSelector('#status:has-text("computed by Spark on")', {
      timeout: 300_000,
    });
    const appBefore = await appOf();
    expect(appBefore).toMatch(/^app-/);
    const [before = ''] = await serviceContainers(stackName, 'master');
    const replaced = Date.now();
    await docker.run(['service', 'update', '--force', '--detach', `${stackName}_master`]);
    // Watched from now on, beside the steps below: the moment the open page (no reload by anyone)
    // shows a result of a new session of the new head's app, under its new Spark application.
    const pageBack = waitUntil(
      async () => {
        const app = await appOf().catch(() => undefined);
        return app !== undefined && app !== appBefore ? secondsSince(replaced) : undefined;
      },
      { description: 'the open demo page to compute again', timeoutMs: 600_000, intervalMs: 1000 },
    );
    // Awaited below; a failure before that must not surface as an unhandled rejection.
    pageBack.catch(() => undefined);
    // The new head's container exists (the old one is gone), then the cluster is ready on it.
    await waitUntil(
      async () => {
        const heads = await serviceContainers(stackName, 'master');
        return heads.length === 1 && heads[0] !== before ? true : undefined;
      },
      { description: 'a new head container', timeoutMs: 300_000, intervalMs: 1000 },
    );
    const status = await cluster.waitUntilReady({ timeoutMs: 300_000 });
    const registered = secondsSince(replaced);
    expect(status.spark.aliveWorkers).toBe(2);
    const job = slowSumJob({
      rows: 100_000,
      partitions: 4,
      secondsPerPartition: 0,
      name: 'srs-after-replace',
    });
    expect(jobResult((await cluster.submitPython(job.script, { timeoutMs: 300_000 })).stdout)).toBe(
      job.expected,
    );
    await demoAnswers();
    const served = secondsSince(replaced);
    // The open page came back by itself.
    const pageBackSeconds = await pageBack;
    await watching.close();
    // Swarm calls the update complete after its monitor period (60 s for the head) without a
    // failure.
    await waitUntil(
      async () =>
        (await cluster.status()).services.find((service) => service.name === 'master')
          ?.updateState === 'completed'
          ? true
          : undefined,
      {
        description: 'the master service update to complete',
        timeoutMs: 300_000,
        intervalMs: 2000,
      },
    );
    report('master replaced (service update --force)', {
      workersRegisteredSeconds: registered,
      jobAndDemoSeconds: served,
      openPageComputedAgainSeconds: pageBackSeconds,
      openPageAfterWorkersRegisteredSeconds: Math.round((pageBackSeconds - registered) * 10) / 10,
      swarmUpdateCompletedSeconds: secondsSince(replaced),
    });
  });

  it('should recover the same way when the master container is killed (-9)', async () => {
    const killed = Date.now();
    await docker.run(['kill', '--signal', 'KILL', await master()]);
    const status = await waitUntil(
      async () => {
        const current = await cluster.status();
        return current.ready && (await serviceContainers(stackName, 'master')).length === 1
          ? current
          : undefined;
      },
      { description: 'a new master with 2 ALIVE workers', timeoutMs: 300_000, intervalMs: 2000 },
    );
    const registered = secondsSince(killed);
    expect(status.spark.aliveWorkers).toBe(2);
    const job = slowSumJob({
      rows: 100_000,
      partitions: 4,
      secondsPerPartition: 0,
      name: 'srs-after-kill',
    });
    expect(jobResult((await cluster.submitPython(job.script, { timeoutMs: 300_000 })).stdout)).toBe(
      job.expected,
    );
    await demoAnswers();
    report('master killed (-9)', {
      workersRegisteredSeconds: registered,
      jobAndDemoSeconds: secondsSince(killed),
    });
  });

  it("should keep the demo's R session working when the master process alone restarts (kill -9 in the head)", async () => {
    const page = await browser.context.newPage();
    try {
      await openPage(page, `http://127.0.0.1:${base + 1}/spark-demo/`, { timeoutMs: 120_000 });
      await page.waitForSelector('#status:has-text("computed by Spark on")', { timeout: 300_000 });
      const appBefore = /app (app-\d+-\d+)/.exec((await page.textContent('#status')) ?? '')?.[1];
      const head = await master();
      const killed = Date.now();
      // supervisord starts the master again; it recovers its workers and applications from the
      // master-work volume, or the R layer opens a new session when its application is gone.
      await docker.run([
        'exec',
        head,
        'pkill',
        '-9',
        '-f',
        'org.apache.spark.deploy.master.Master',
      ]);
      await cluster.waitUntilReady({ timeoutMs: 300_000 });
      await page.fill('#seed', '13');
      await page.waitForSelector('#status:has-text("seed 13")', { timeout: 300_000 });
      const appAfter = /app (app-\d+-\d+)/.exec((await page.textContent('#status')) ?? '')?.[1];
      expect(appAfter).toMatch(/^app-/);
      report('master process restarted in the head', {
        demoAnsweredSeconds: secondsSince(killed),
        sameApplication: appAfter === appBefore ? 1 : 0,
      });
    } finally {
      await page.close();
    }
  });

  it('should decommission a worker removed by a scale-down mid-job: its shuffle blocks move, no completed stage runs again', async () => {
    // Stage 1 writes shuffle files on both workers and its job ends; a second job reads them while
    // one worker leaves. Without the decommission the leaving worker's files are lost: a fetch
    // failure, and stage 1 runs again (a stage attempt above 0).
    const script = [
      'import time',
      'from pyspark.sql import SparkSession',
      'spark = SparkSession.builder.appName("srs-decommission").getOrCreate()',
      'sc = spark.sparkContext',
      'pairs = sc.parallelize(range(200000), 8).map(lambda i: (i % 16, i)).reduceByKey(lambda a, b: a + b, 16)',
      'pairs.count()',
      'print("SHUFFLED", flush=True)',
      'time.sleep(25)',
      'def slow(rows):',
      '    time.sleep(2)',
      '    return rows',
      'total = sum(v for _, v in pairs.mapPartitions(slow).collect())',
      'attempts = [sc.statusTracker().getStageInfo(s).currentAttemptId for j in sc.statusTracker().getJobIdsForGroup() for s in sc.statusTracker().getJobInfo(j).stageIds if sc.statusTracker().getStageInfo(s) is not None]',
      'print(f"RESULT {total}")',
      'print(f"ATTEMPTS {max(attempts) if attempts else 0}")',
      'spark.stop()',
    ].join('\n');
    const head = await master();
    await docker.run(
      ['exec', '-i', '--user', 'spark', head, 'sh', '-c', 'cat > /tmp/srs-decommission.py'],
      { input: script },
    );
    // The leaving worker's container goes away with its log: follow every worker's log from now on.
    const workerLogs: string[] = [];
    const following = new AbortController();
    const followers = (await serviceContainers(stackName, 'worker')).map(async (id) => {
      for await (const line of docker.stream(['logs', '--follow', '--since', '1s', id], {
        signal: following.signal,
      }))
        workerLogs.push(line);
    });
    let shuffledAt = 0;
    const output: string[] = [];
    const scaledDown = (async () => {
      for await (const line of docker.stream([
        'exec',
        '--user',
        'spark',
        head,
        'spark-submit',
        '--conf',
        'spark.dynamicAllocation.executorIdleTimeout=300s',
        '/tmp/srs-decommission.py',
      ])) {
        output.push(line);
        if (line === 'SHUFFLED' && shuffledAt === 0) {
          shuffledAt = Date.now();
          await cluster.scaleWorkers(1, { timeoutMs: 180_000 });
        }
      }
    })();
    await scaledDown;
    following.abort();
    await Promise.allSettled(followers);
    const stdout = output.join('\n');
    expect(shuffledAt).toBeGreaterThan(0);
    expect(jobResult(stdout)).toBe(BigInt((200_000 * 199_999) / 2));
    expect(stdout).toMatch(/^ATTEMPTS 0$/m);
    expect(workerLogs.join('\n')).toMatch(
      /stopping: decommissioning the worker first \(1 executor\(s\) hand over their blocks/,
    );
    report('scale-down mid-job (decommission)', {
      jobFinishedAfterScaleDownSeconds: secondsSince(shuffledAt),
    });
    await cluster.scaleWorkers(2, { timeoutMs: 180_000 });
  });

  it("should give the idle demo's kept executor to another driver once that driver has taken every free core", async () => {
    // The demo keeps one executor warm while it idles, but only while a core is left for others.
    // A job that wants both workers' cores (3 minutes of work on one) gets the free one, then the
    // demo's, which the demo gives back at once when the job holds every other core.
    await demoAnswers();
    const script = [
      'import threading, time',
      'from pyspark.sql import SparkSession',
      'spark = SparkSession.builder.appName("srs-wants-all").getOrCreate()',
      'sc = spark.sparkContext',
      'started = time.time()',
      'both = []',
      'done = threading.Event()',
      'def watch():',
      '    while not done.is_set() and not both:',
      '        if len(sc._jsc.sc().statusTracker().getExecutorInfos()) - 1 >= 2:',
      '            both.append(time.time() - started)',
      '        time.sleep(1)',
      'threading.Thread(target=watch, daemon=True).start()',
      'def slow(rows):',
      '    time.sleep(3)',
      '    return rows',
      'sc.parallelize(range(60), 60).mapPartitions(slow).count()',
      'done.set()',
      'print(f"BOTH_EXECUTORS_AFTER {both[0] if both else -1:.1f}")',
      'spark.stop()',
    ].join('\n');
    const { stdout } = await cluster.submitPython(script, { timeoutMs: 600_000 });
    const after = Number(/^BOTH_EXECUTORS_AFTER (-?[\d.]+)$/m.exec(stdout)?.[1]);
    // -1: the job ran to its end on one executor, the demo never gave its own back.
    expect(after).toBeGreaterThan(0);
    report('idle app gives its kept executor to a driver that needs it', {
      bothExecutorsAfterSeconds: after,
    });
  });
});

describe('ports that are taken', () => {
  const resources = new TestResources();
  const stackName = uniqueName('srs-port');
  afterAll(async () => {
    await resources.cleanup();
    await new SparkCluster({ stackName })
      .remove({ purge: true, timeoutMs: 120_000 })
      .catch(() => undefined);
  });

  it('should refuse to deploy at once, naming the port, its option and the container that holds it', async () => {
    const port = randomInt(25_000, 28_000);
    const holder = await resources.container(uniqueName('srs-port-holder'), [
      '-p',
      `${port}:80`,
      'debian:trixie-slim',
      'sleep',
      'infinity',
    ]);
    const cluster = new SparkCluster({
      stackName,
      image: await ensureTestImage(),
      workers: 1,
      ports: { sparkUi: port, https: null },
    });
    const started = Date.now();
    const error = await cluster.deploy({ timeoutMs: 600_000 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'PORT_IN_USE',
      message: expect.stringContaining(
        `port ${port} (ports.sparkUi) is taken by container ${holder}`,
      ),
    });
    expect(Date.now() - started).toBeLessThan(60_000);
    // Nothing was deployed.
    expect(
      (
        await docker.run([
          'service',
          'ls',
          '-q',
          '--filter',
          `label=com.docker.stack.namespace=${stackName}`,
        ])
      ).stdout,
    ).toBe('');
  });
});
