// Resilience benchmark: prints one JSON object.
//   npm run bench:resilience            every fault
//   npm run bench:resilience -- --single-node   without the three-node swarm (no node stops)
// For each fault, three times: the time from the fault to a healthy cluster again (the wanted
// number of ALIVE workers, and a small job that succeeds), and its median.
//   worker-killed     docker kill -9 of a worker container (single-node swarm, 2 workers)
//   master-replaced   docker service update --force of the master
//   master-killed     docker kill -9 of the master container
//   node-stopped      a whole node of a three-node swarm (Docker-in-Docker) killed, 4 workers;
//                     started again before the next run
import { randomInt } from 'node:crypto';
import {
  distributeImage,
  DockerCli,
  DEFAULT_IMAGE_TAG,
  SparkCluster,
  waitUntil,
} from '../src/index.js';
import {
  jobResult,
  slowSumJob,
  startTestSwarm,
  TestResources,
  testSwarmClusterOptions,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';

const image = process.env.SRS_IMAGE ?? DEFAULT_IMAGE_TAG;
const RUNS = 3;
const docker = new DockerCli();

async function healthy(cluster: SparkCluster, workers: number): Promise<void> {
  await waitUntil(
    async () => {
      const status = await cluster.status().catch(() => undefined);
      return status?.ready === true && status.spark.aliveWorkers === workers ? true : undefined;
    },
    { description: `${workers} ALIVE workers`, timeoutMs: 600_000, intervalMs: 500 },
  );
  const job = slowSumJob({
    rows: 10_000,
    partitions: 2,
    secondsPerPartition: 0,
    name: 'srs-bench-resilience',
  });
  const { stdout } = await cluster.submitPython(job.script, { timeoutMs: 300_000 });
  if (jobResult(stdout) !== job.expected)
    throw new Error(`the job after the fault printed ${stdout}`);
}

/** Times inject + recover, RUNS times; `after` (not timed) prepares the next run. */
async function measure(
  fault: string,
  inject: () => Promise<void>,
  recover: () => Promise<void>,
  after?: () => Promise<void>,
): Promise<{ fault: string; seconds: number[]; medianSeconds: number }> {
  const seconds: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    await inject();
    await recover();
    seconds.push(Math.round((performance.now() - started) / 100) / 10);
    process.stderr.write(`${fault}: ${seconds.at(-1)} s\n`);
    await after?.();
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  return { fault, seconds, medianSeconds: sorted[1] as number };
}

async function containerOf(
  stackName: string,
  service: string,
  client: DockerCli = docker,
): Promise<string> {
  const { stdout } = await client.run([
    'ps',
    '-q',
    '--filter',
    `label=com.docker.swarm.service.name=${stackName}_${service}`,
  ]);
  const [id] = stdout.split('\n').filter(Boolean);
  if (id === undefined) throw new Error(`no ${service} container`);
  return id;
}

const results: unknown[] = [];
let previousHead = '';

// Single-node swarm.
{
  const stackName = 'srs-bench-resilience';
  const base = randomInt(26_000, 28_000);
  const cluster = new SparkCluster({
    stackName,
    image,
    workers: 2,
    ports: { sparkUi: base, shiny: base + 1, https: null },
  });
  await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
  await cluster.deploy({ timeoutMs: 300_000 });
  try {
    await healthy(cluster, 2);
    results.push(
      await measure(
        'worker-killed',
        async () =>
          void (await docker.run([
            'kill',
            '--signal',
            'KILL',
            await containerOf(stackName, 'worker'),
          ])),
        () => healthy(cluster, 2),
      ),
    );
    results.push(
      await measure(
        'master-replaced',
        async () => {
          previousHead = await containerOf(stackName, 'master');
          await docker.run(['service', 'update', '--force', '--detach', `${stackName}_master`]);
        },
        async () => {
          // A new head container (the old one gone), then the cluster healthy on it.
          await waitUntil(
            async () => {
              const { stdout } = await docker.run([
                'ps',
                '-q',
                '--filter',
                `label=com.docker.swarm.service.name=${stackName}_master`,
              ]);
              const heads = stdout.split('\n').filter(Boolean);
              return heads.length === 1 && heads[0] !== previousHead ? true : undefined;
            },
            { description: 'a new head container', timeoutMs: 600_000, intervalMs: 500 },
          );
          await healthy(cluster, 2);
        },
        // Not timed: Swarm calls the update complete after its monitor period (60 s for the head).
        async () =>
          void (await waitUntil(
            async () =>
              (await cluster.status()).services.find((service) => service.name === 'master')
                ?.updateState === 'completed'
                ? true
                : undefined,
            {
              description: 'the master update',
              timeoutMs: 600_000,
              intervalMs: 500,
            },
          )),
      ),
    );
    results.push(
      await measure(
        'master-killed',
        async () =>
          void (await docker.run([
            'kill',
            '--signal',
            'KILL',
            await containerOf(stackName, 'master'),
          ])),
        async () => {
          await waitUntil(
            async () =>
              (
                await docker.run([
                  'ps',
                  '-q',
                  '--filter',
                  `label=com.docker.swarm.service.name=${stackName}_master`,
                ])
              ).stdout === ''
                ? undefined
                : true,
            {
              description: 'a new master task',
              timeoutMs: 600_000,
              intervalMs: 500,
            },
          );
          await healthy(cluster, 2);
        },
      ),
    );
  } finally {
    await cluster.remove({ purge: true, timeoutMs: 180_000 }).catch(() => undefined);
  }
}

// Three-node swarm: a whole node stopped.
if (!process.argv.includes('--single-node')) {
  const resources = new TestResources();
  const swarm = await startTestSwarm(3, resources);
  try {
    await distributeImage({
      image,
      engines: swarm.nodes.map((node) => node.engine),
      onProgress: () => undefined,
    });
    const cluster = new SparkCluster(
      testSwarmClusterOptions(swarm, uniqueName('srs-bench-nodes'), image),
      { docker: swarm.manager.docker },
    );
    await cluster.deploy({ timeoutMs: 600_000 });
    await healthy(cluster, 4);
    const others = swarm.nodes.filter((node) => node !== swarm.manager);
    let victim = 0;
    results.push(
      await measure(
        'node-stopped',
        async () => {
          const node = others[victim % others.length] as (typeof others)[number];
          victim += 1;
          await docker.run(['kill', node.container]);
        },
        () => healthy(cluster, 4),
        async () => {
          // Bring the node back for the next run (it rejoins the swarm by itself).
          const node = others[(victim - 1) % others.length] as (typeof others)[number];
          await docker.run(['start', node.container]);
          await waitUntil(
            async () =>
              (await cluster.status()).nodes.every((entry) => entry.state === 'Ready')
                ? true
                : undefined,
            {
              description: 'the node back Ready',
              timeoutMs: 300_000,
            },
          );
        },
      ),
    );
  } finally {
    await resources.cleanup();
  }
}

process.stdout.write(
  `${JSON.stringify({ image, runsPerFault: RUNS, faults: results }, null, 2)}\n`,
);
