// Cluster benchmark: prints one JSON object.
//   pnpm bench:cluster
// Measures, on the local swarm, the time from deploy() to N ALIVE Spark workers and from
// scaleWorkers(n) to n ALIVE for n = 1..4, next to the same operations done with plain
// `docker stack deploy` / `docker service scale` and a loop polling the master's /json/ once a
// second, in the same run, so the SDK's overhead is a ratio. The image must be built.
import { execa } from 'execa';
import { DEFAULT_IMAGE_TAG, DEFAULT_STACK_FILE, DockerCli, ensureStackSecrets, SparkCluster, stackSecretNames } from '../src/index.js';

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
    const response = await fetch(`http://127.0.0.1:${uiPort}/json/`, { signal: AbortSignal.timeout(2000) });
    return ((await response.json()) as { aliveworkers: number }).aliveworkers;
  } catch {
    return -1;
  }
}

async function pollUntilAlive(count: number, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await aliveWorkers()) !== count) {
    if (Date.now() > deadline) throw new Error(`plain CLI: ${count} workers not ALIVE in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function removeStack(name: string): Promise<void> {
  await new SparkCluster({ stackName: name }).remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
}

const ports = { sparkUi: uiPort, shiny: null, jupyter: null, rstudio: null };
const sdkStack = 'srs-bench-sdk';
const plainStack = 'srs-bench-plain';
await removeStack(sdkStack);
await removeStack(plainStack);

const cluster = new SparkCluster({ stackName: sdkStack, image, workers: WORKERS, ports });
const sdk = { deployMs: await timed(() => cluster.deploy()), scaleMs: {} as Record<number, number> };
for (const n of [1, 2, 3, 4]) sdk.scaleMs[n] = await timed(() => cluster.scaleWorkers(n));
await removeStack(sdkStack);

// The plain path needs the stack's secrets too (created outside the timing, as a user would once).
await ensureStackSecrets(new DockerCli(), plainStack, ['sparkAuth', 'idePassword']);
const secretNames = stackSecretNames(plainStack);
const env = {
  ...process.env,
  SRS_SPARK_SECRET_NAME: secretNames.sparkAuth,
  SRS_IDE_SECRET_NAME: secretNames.idePassword,
  SRS_IMAGE: image,
  SRS_WORKERS: String(WORKERS),
  SRS_SPARK_UI_PORT: String(uiPort),
  SRS_SHINY_PORT: '28838',
  SRS_RSTUDIO_PORT: '28787',
};
const plain = {
  deployMs: await timed(async () => {
    await execa('docker', ['stack', 'deploy', '--resolve-image', 'never', '-c', DEFAULT_STACK_FILE, plainStack], { env });
    await pollUntilAlive(WORKERS);
  }),
  scaleMs: {} as Record<number, number>,
};
for (const n of [1, 2, 3, 4]) {
  plain.scaleMs[n] = await timed(async () => {
    await execa('docker', ['service', 'scale', '--detach', `${plainStack}_worker=${n}`]);
    await pollUntilAlive(n);
  });
}
await removeStack(plainStack);

const ratio = (a: number, b: number): number => Number((a / b).toFixed(2));
process.stdout.write(
  `${JSON.stringify(
    {
      image,
      workers: WORKERS,
      deploy: { sdkMs: sdk.deployMs, plainCliMs: plain.deployMs, ratio: ratio(sdk.deployMs, plain.deployMs) },
      scale: Object.fromEntries(
        [1, 2, 3, 4].map((n) => [n, { sdkMs: sdk.scaleMs[n], plainCliMs: plain.scaleMs[n], ratio: ratio(sdk.scaleMs[n] as number, plain.scaleMs[n] as number) }]),
      ),
    },
    null,
    2,
  )}\n`,
);
