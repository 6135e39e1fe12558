// Cluster benchmark: prints one JSON object.
//   pnpm bench:cluster
// Measures, on the local swarm, the time from deploy() to N ALIVE Spark workers and from
// scaleWorkers(n) to n ALIVE for n = 1..4, next to the same operations done with plain
// `docker stack deploy` / `docker service scale` and a loop polling the master's /json/ once a
// second, in the same run, so the SDK's overhead is a ratio. The image must be built.
import { execa } from 'execa';
import { httpGet } from '@spark-rstudio-shiny/core';
import {
  DEFAULT_IMAGE_TAG,
  DEFAULT_STACK_FILE,
  DockerCli,
  ensureStackSecrets,
  SparkCluster,
  stackSecretNames,
} from '../src/index.js';

const WORKERS = 2;
const image = process.env.SRS_IMAGE ?? DEFAULT_IMAGE_TAG;
const uiPort = 28_080;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return Math.round(performance.now() - started);
}

async function aliveWorkers(): Promise<number> {
  try {
    const answer = await httpGet(`http://127.0.0.1:${uiPort}/json/`, { timeoutMs: 2000 });
    return (JSON.parse(answer.text) as { aliveworkers: number }).aliveworkers;
  } catch {
    return -1;
  }
}

async function pollUntilAlive(count: number, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await aliveWorkers()) !== count) {
    if (Date.now() > deadline)
      throw new Error(`plain CLI: ${count} workers not ALIVE in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function removeStack(name: string): Promise<void> {
  await new SparkCluster({ stackName: name })
    .remove({ purge: true, timeoutMs: 120_000 })
    .catch(() => undefined);
}

const ports = { sparkUi: uiPort, https: null };
const sdkStack = 'srs-bench-sdk';
const plainStack = 'srs-bench-plain';
const ROUNDS = 3;
const SIZES = [1, 2, 3, 4];
await removeStack(sdkStack);
await removeStack(plainStack);

// Both sides get their stack's secrets before any timing, as a user creates them once.
for (const name of [sdkStack, plainStack])
  await ensureStackSecrets(new DockerCli(), { stackName: name, host: '127.0.0.1' }, [
    'sparkAuth',
    'idePassword',
  ]);

interface Run {
  deployMs: number;
  scaleMs: Record<number, number>;
}

async function sdkRun(): Promise<Run> {
  const cluster = new SparkCluster({ stackName: sdkStack, image, workers: WORKERS, ports });
  const run: Run = { deployMs: await timed(() => cluster.deploy()), scaleMs: {} };
  for (const n of SIZES) run.scaleMs[n] = await timed(() => cluster.scaleWorkers(n));
  await cluster.remove({ timeoutMs: 120_000 });
  return run;
}

async function plainRun(): Promise<Run> {
  const secretNames = stackSecretNames(plainStack);
  const env = {
    ...process.env,
    SRS_SPARK_SECRET_NAME: secretNames.sparkAuth,
    SRS_IDE_SECRET_NAME: secretNames.idePassword,
    SRS_IMAGE: image,
    SRS_WORKERS: String(WORKERS),
    SRS_SPARK_UI_PORT: String(uiPort),
    SRS_SHINY_PORT: '28838',
    SRS_JUPYTER_PORT: '28888',
    SRS_RSTUDIO_PORT: '28787',
  };
  const run: Run = {
    deployMs: await timed(async () => {
      await execa(
        'docker',
        ['stack', 'deploy', '--resolve-image', 'never', '-c', DEFAULT_STACK_FILE, plainStack],
        { env },
      );
      await pollUntilAlive(WORKERS);
    }),
    scaleMs: {},
  };
  for (const n of SIZES) {
    run.scaleMs[n] = await timed(async () => {
      await execa('docker', ['service', 'scale', '--detach', `${plainStack}_worker=${n}`]);
      await pollUntilAlive(n);
    });
  }
  await new SparkCluster({ stackName: plainStack }).remove({ timeoutMs: 120_000 });
  return run;
}

// Alternating order, so neither side always runs on a warmer engine.
const sdkRuns: Run[] = [];
const plainRuns: Run[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  if (round % 2 === 0) {
    sdkRuns.push(await sdkRun());
    plainRuns.push(await plainRun());
  } else {
    plainRuns.push(await plainRun());
    sdkRuns.push(await sdkRun());
  }
  process.stderr.write(
    `round ${round + 1}/${ROUNDS}: deploy sdk ${sdkRuns.at(-1)?.deployMs} ms, plain ${plainRuns.at(-1)?.deployMs} ms\n`,
  );
}
await removeStack(sdkStack);
await removeStack(plainStack);

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const ratio = (a: number, b: number): number => Number((a / b).toFixed(2));
const compare = (pick: (run: Run) => number) => {
  const sdkMs = median(sdkRuns.map(pick));
  const plainCliMs = median(plainRuns.map(pick));
  return {
    sdkMs,
    plainCliMs,
    ratio: ratio(sdkMs, plainCliMs),
    sdkRunsMs: sdkRuns.map(pick),
    plainRunsMs: plainRuns.map(pick),
  };
};
process.stdout.write(
  `${JSON.stringify(
    {
      image,
      workers: WORKERS,
      rounds: ROUNDS,
      plainCli: 'docker stack deploy / docker service scale, then the master polled once a second',
      deploy: compare((run) => run.deployMs),
      scale: Object.fromEntries(SIZES.map((n) => [n, compare((run) => run.scaleMs[n] as number)])),
    },
    null,
    2,
  )}\n`,
);
