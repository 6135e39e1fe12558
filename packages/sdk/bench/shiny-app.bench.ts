// Shiny demo latency benchmark: prints one JSON object.
//   npm run bench:app [-- --rows 1e6,1e7,1e8 --idle-minutes 5 --warmup 10 --repeats 5]
// Deploys a stack with 2 workers (1 core each), opens the demo app in headless Chromium (Debian's
// package) and measures, for each size, the time from one input change (a new seed) to the
// rendered result, --repeats times, after --warmup changes at that size (reported, not counted:
// in the first changes of a fresh app the JVMs of the driver and the executors are still
// compiling Spark's code, which settles after 10 to 15 changes; what a pause costs is measured
// apart, below). Next to it: the Spark time the app itself measured (synthetic data, aggregate
// and GLM) and, as the plain baseline, the same work submitted with
// `docker exec … spark-submit` (a fresh driver each time, as a script would), as ratios. Then the
// app is left alone for --idle-minutes (alone on the master, it keeps its executors warm) and one
// more input change at the first size measures what the first request after a pause costs.
// The first visit is timed first: opening the page to its first result, on a stack that has not
// served it yet (the head has started the app's R process and Spark session, and the app has
// warmed up: its log's line and how long after the stack was ready are in the output).
// Last, the front door's cost: the same input changes at the first size on the demo
// opened through the door (HTTPS, nginx) and on Shiny's own port, alternated, and the page's HTML
// fetched both ways, as medians and ratios (door / direct).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { chromium, type Page } from 'playwright-core';
import { openPage, requestUrl, serverSpkiHash } from '@spark-rstudio-shiny/test-support';
import { DEFAULT_IMAGE_TAG, SparkCluster, waitUntil } from '../src/index.js';

const image = process.env.SRS_IMAGE ?? DEFAULT_IMAGE_TAG;
// Shiny's own port beside the door, to compare them.
const ports = { sparkUi: 29_080, shiny: 29_838, https: 29_443 };
const direct = `http://127.0.0.1:${ports.shiny}/spark-demo/`;
const throughDoor = `https://127.0.0.1:${ports.https}/shiny/spark-demo/`;
const stackName = 'srs-bench-app';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined
    ? (process.argv[at + 1] as string)
    : fallback;
}
const SIZES = option('rows', '1e6,1e7,1e8').split(',').map(Number);
const idleMinutes = Number(option('idle-minutes', '5'));
const warmup = Number(option('warmup', '10'));
const REPEATS = Number(option('repeats', '5'));
if (
  SIZES.some((rows) => ![1e5, 1e6, 1e7, 1e8].includes(rows)) ||
  !(idleMinutes >= 0 && idleMinutes <= 60) ||
  !(Number.isInteger(warmup) && warmup >= 0 && warmup <= 30) ||
  !(Number.isInteger(REPEATS) && REPEATS >= 1 && REPEATS <= 20)
) {
  process.stderr.write(
    'usage: bench:app [--rows 1e6,1e7,1e8] [--idle-minutes 5] [--warmup 10] [--repeats 5]   (sizes the app offers: 1e5, 1e6, 1e7, 1e8; idle 0 to 60, 0 skips it; warm-up changes 0 to 30; repeats 1 to 20)\n',
  );
  process.exit(2);
}
/** The app's select holds R's text of the number (1e+06). */
const selectValue = (rows: number): string => rows.toExponential().replace(/e\+(\d)$/, 'e+0$1');
const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const progress = (message: string): boolean =>
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);

// The app's work (synthetic data, per-segment aggregate, GLM) as one PySpark script.
const PLAIN_JOB = (rows: number, seed: number): string =>
  [
    'from pyspark.sql import SparkSession',
    'from pyspark.ml.feature import RFormula',
    'from pyspark.ml.regression import GeneralizedLinearRegression',
    'spark = SparkSession.builder.appName("srs-bench-plain").getOrCreate()',
    `spark.sql("""SELECT id, x, char(65 + grp) AS segment, grp, 1.5D + 2.0D * x + 0.25D * grp + noise AS y FROM (SELECT id, CAST((id * 7919L + ${seed}L * 104729L) % 10007L AS DOUBLE) / 10007.0D AS x, CAST((id * 31L + ${seed}L * 17L) % 8L AS INT) AS grp, CAST((id * 15485863L + ${seed}L * 32452843L) % 1000L AS DOUBLE) / 1000.0D - 0.5D AS noise FROM range(0, ${rows}, 1, ${Math.max(2, Math.min(64, Math.ceil(rows / 2e6)))}))""").createOrReplaceTempView("synthetic")`,
    'spark.sql("SELECT segment, COUNT(*) AS n, AVG(x) AS mean_x, AVG(y) AS mean_y FROM synthetic GROUP BY 1 ORDER BY 1").collect()',
    'data = spark.sql("SELECT * FROM synthetic")',
    'prepared = RFormula(formula="y ~ x + segment", stringIndexerOrderType="alphabetDesc").fit(data).transform(data)',
    'GeneralizedLinearRegression(family="gaussian", maxIter=25, regParam=0.0).fit(prepared)',
    'spark.stop()',
  ].join('\n');

// The browser before anything else (Debian's chromium, installed once as the tests do): a missing
// one would otherwise fail the run after the plain baseline's minutes.
const executablePath =
  process.env.SRS_CHROMIUM ??
  (
    await execa(
      'bash',
      [fileURLToPath(new URL('../../../scripts/ensure-chromium.sh', import.meta.url))],
      { stderr: 'inherit' },
    )
  ).stdout.trim();
const cluster = new SparkCluster({
  stackName,
  image,
  workers: 2,
  worker: { cores: 1, memory: '2g' },
  ports,
});
await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
await cluster.deploy({ timeoutMs: 300_000 });
// deploy() returns once the workers are registered: the stack is ready from here.
const ready = performance.now();
const PLAIN_RUNS = 3;
const ca = (await cluster.credentials()).frontDoor?.caCertificate ?? '';
const profile = await mkdtemp(join(tmpdir(), 'srs-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    // The door's certificate trusted as a user who imported the stack's CA.
    `--ignore-certificate-errors-spki-list=${await serverSpkiHash(throughDoor, ca)}`,
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const results: Record<string, unknown>[] = [];
let idle: Record<string, unknown> | undefined;
let frontDoor: Record<string, unknown> | undefined;
let firstVisit: Record<string, unknown> | undefined;
try {
  const open = async (url: string): Promise<Page> => {
    const opened = await context.newPage();
    await openPage(opened, url, { timeoutMs: 60_000 });
    await opened.waitForSelector('#status:has-text("computed by Spark on")', { timeout: 300_000 });
    return opened;
  };
  // The first visit: the page opened on a stack that has not served it yet (its first result at
  // the page's default size, 10^5 rows), up and idle as a user finds it: the head has started
  // the app, which has warmed up (its log says so) and keeps the executors it warmed.
  const head = (
    await execa('docker', [
      'ps',
      '-q',
      '--filter',
      `label=com.docker.swarm.service.name=${stackName}_master`,
    ])
  ).stdout.split('\n')[0] as string;
  const warmUp = await waitUntil(
    async () => {
      const log = await execa(
        'docker',
        ['exec', head, 'sh', '-c', 'cat /var/log/shiny-server/spark-demo-*.log'],
        { reject: false },
      );
      return /srspark: (warmed up in [\d.]+ s|the warm-up .*)/.exec(log.stdout)?.[0];
    },
    { description: 'the head to start and warm up the demo', timeoutMs: 300_000, intervalMs: 1000 },
  );
  progress(warmUp);
  const warmAfterReadyMs = Math.round(performance.now() - ready);
  const firstVisitStarted = performance.now();
  let page = await open(direct);
  firstVisit = {
    rows: 1e5,
    warmAfterReadyMs,
    warmUp,
    ms: Math.round(performance.now() - firstVisitStarted),
    sparkSecondsInApp: Number(/in ([\d.]+) s/.exec((await page.textContent('#status')) ?? '')?.[1]),
  };
  progress(`first visit: ${firstVisit.ms} ms to the first result`);
  // The plain baseline, after the first visit: a fresh driver per run, as a script would (three
  // runs, each half a minute or more), beside the idle demo, which gives each one its executors.
  const plain = new Map<number, number[]>();
  for (const rows of SIZES) {
    const runs: number[] = [];
    for (let repeat = 0; repeat < PLAIN_RUNS; repeat += 1) {
      await execa(
        'docker',
        ['exec', '-i', '--user', 'spark', head, 'sh', '-c', 'cat > /tmp/srs-bench-plain.py'],
        { input: PLAIN_JOB(rows, 200 + repeat) },
      );
      const started = performance.now();
      await execa('docker', [
        'exec',
        '--user',
        'spark',
        head,
        'spark-submit',
        '/tmp/srs-bench-plain.py',
      ]);
      runs.push(Math.round(performance.now() - started));
    }
    plain.set(rows, runs);
    progress(`${rows} rows: plain spark-submit ${runs.join(', ')} ms`);
  }
  let seed = 100;
  const selectRows = async (rows: number): Promise<void> => {
    // Select the size (selectize keeps the <select> hidden), then let that first run finish.
    await page.evaluate(
      `document.querySelector('#rows').selectize.setValue('${selectValue(rows)}')`,
    );
    await page.waitForSelector(`#status:has-text("for ${rows.toLocaleString('en-US')} rows")`, {
      timeout: 600_000,
    });
  };
  /**
   * One input change (a new seed) to the rendered result: milliseconds, and the Spark seconds the
   * app reports.
   */
  const change = async (rows: number): Promise<{ ms: number; sparkSeconds: number }> => {
    const label = rows.toLocaleString('en-US');
    seed += 1;
    const started = performance.now();
    await page.fill('#seed', String(seed));
    // Checked at every animation frame: waitForSelector's polling slows to every 500 ms after the
    // first second, which rounded each latency up to the next half second.
    const expected = JSON.stringify(`for ${label} rows, seed ${seed}`);
    await page
      .waitForFunction(
        `document.querySelector('#status')?.textContent?.includes(${expected}) === true`,
        undefined,
        { polling: 'raf', timeout: 300_000 },
      )
      .catch(async (error: unknown) => {
        const problem =
          (await page.textContent('#problem').catch(() => null)) ?? '(no message in the page)';
        throw new Error(
          `no result for ${label} rows, seed ${seed}: ${problem}; status: ${(await page.textContent('#status')) ?? ''}`,
          { cause: error },
        );
      });
    return {
      ms: Math.round(performance.now() - started),
      sparkSeconds: Number(/in ([\d.]+) s/.exec((await page.textContent('#status')) ?? '')?.[1]),
    };
  };
  for (const rows of SIZES) {
    await selectRows(rows);
    const warmupMs: number[] = [];
    for (let repeat = 0; repeat < warmup; repeat += 1) warmupMs.push((await change(rows)).ms);
    const latencies: number[] = [];
    const sparkSeconds: number[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat += 1) {
      const run = await change(rows);
      latencies.push(run.ms);
      sparkSeconds.push(run.sparkSeconds);
    }
    progress(
      `${rows} rows: input to render ${latencies.join(', ')} ms (warm-up ${warmupMs.join(', ')} ms)`,
    );
    const plainMs = plain.get(rows) ?? [];
    results.push({
      rows,
      warmupInputToRenderMs: warmupMs,
      inputToRenderMs: latencies,
      medianInputToRenderMs: median(latencies),
      sparkSecondsInApp: sparkSeconds,
      plainSparkSubmitMs: plainMs,
      medianPlainSparkSubmitMs: median(plainMs),
      ratioAppToPlain: Number((median(latencies) / median(plainMs)).toFixed(2)),
    });
  }
  if (idleMinutes > 0) {
    const rows = SIZES[0] as number;
    await selectRows(rows);
    const warm = median([
      (await change(rows)).ms,
      (await change(rows)).ms,
      (await change(rows)).ms,
    ]);
    progress(`idle for ${idleMinutes} min…`);
    await new Promise((resolve) => setTimeout(resolve, idleMinutes * 60_000));
    const first = await change(rows);
    idle = {
      rows,
      idleMinutes,
      warmMedianMs: warm,
      firstAfterIdleMs: first.ms,
      sparkSecondsInApp: first.sparkSeconds,
      extraMs: first.ms - warm,
    };
    progress(`after ${idleMinutes} min idle: ${first.ms} ms (warm ${warm} ms)`);
  }
  // The door against the direct port: the same changes, alternated, on one page each.
  const rows = SIZES[0] as number;
  const pages = { direct: page, door: await open(throughDoor) };
  const changes: { direct: number[]; door: number[] } = { direct: [], door: [] };
  for (const way of ['direct', 'door'] as const) {
    page = pages[way];
    await selectRows(rows);
    for (let repeat = 0; repeat < warmup; repeat += 1) await change(rows);
  }
  for (let repeat = 0; repeat < REPEATS; repeat += 1) {
    for (const way of ['direct', 'door'] as const) {
      page = pages[way];
      changes[way].push((await change(rows)).ms);
    }
  }
  const html: { direct: number[]; door: number[] } = { direct: [], door: [] };
  for (let repeat = 0; repeat < 30; repeat += 1) {
    for (const [way, url] of [
      ['direct', direct],
      ['door', throughDoor],
    ] as const) {
      const started = performance.now();
      const answer = await requestUrl(url, { ca });
      if (answer.status !== 200) throw new Error(`${url}: HTTP ${answer.status}`);
      html[way].push(Number((performance.now() - started).toFixed(1)));
    }
  }
  frontDoor = {
    rows,
    inputToRenderMs: changes,
    medianDirectMs: median(changes.direct),
    medianDoorMs: median(changes.door),
    ratioDoorToDirect: Number((median(changes.door) / median(changes.direct)).toFixed(3)),
    pageHtmlMs: {
      medianDirect: median(html.direct),
      medianDoor: median(html.door),
      ratioDoorToDirect: Number((median(html.door) / median(html.direct)).toFixed(2)),
    },
  };
  progress(
    `front door at ${rows} rows: ${median(changes.door)} ms against ${median(changes.direct)} ms direct`,
  );
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
  await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
}
process.stdout.write(
  `${JSON.stringify({ image, workers: 2, coresPerWorker: 1, repeats: REPEATS, plainRuns: PLAIN_RUNS, warmupChanges: warmup, firstVisit, sizes: results, idle, frontDoor }, null, 2)}\n`,
);
