// Shiny demo latency benchmark: prints one JSON object.
//   npm run bench:app
// Deploys a stack with 2 workers, opens the demo app in headless Chromium (Debian's package) and
// measures, for 10^6 and 10^7 rows, the time from one input change (a new seed) to the rendered
// result, three times each. Next to it: the Spark time the app itself measured (synthetic data,
// aggregate and GLM) and, as the plain baseline, the same work submitted with
// `docker exec … spark-submit` (a fresh driver each time, as a script would), as ratios.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { chromium } from 'playwright-core';
import { DEFAULT_IMAGE_TAG, SparkCluster } from '../src/index.js';

const image = process.env.SRS_IMAGE ?? DEFAULT_IMAGE_TAG;
const executablePath = process.env.SRS_CHROMIUM ?? '/usr/bin/chromium';
const ports = { sparkUi: 29_080, shiny: 29_838, jupyter: null, rstudio: null };
const stackName = 'srs-bench-app';
const SIZES = [1e6, 1e7];
const REPEATS = 3;

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

const cluster = new SparkCluster({ stackName, image, workers: 2, ports });
await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
await cluster.deploy({ timeoutMs: 300_000 });
// The plain baseline first, while no app holds executors (a fresh driver per run, as a script would).
const master = (await execa('docker', ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${stackName}_master`])).stdout.split('\n')[0] as string;
const plain = new Map<number, number[]>();
for (const rows of SIZES) {
  const runs: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat += 1) {
    await execa('docker', ['exec', '-i', '--user', 'spark', master, 'sh', '-c', 'cat > /tmp/srs-bench-plain.py'], { input: PLAIN_JOB(rows, 200 + repeat) });
    const started = performance.now();
    await execa('docker', ['exec', '--user', 'spark', master, 'spark-submit', '/tmp/srs-bench-plain.py']);
    runs.push(Math.round(performance.now() - started));
  }
  plain.set(rows, runs);
}
const profile = await mkdtemp(join(tmpdir(), 'srs-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const results: Record<string, unknown>[] = [];
try {
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${ports.shiny}/spark-demo/`, { timeout: 60_000 });
  await page.waitForSelector('#status:has-text("computed by Spark on")', { timeout: 300_000 });
  let seed = 100;
  for (const rows of SIZES) {
    const label = rows.toLocaleString('en-US');
    // Select the size (selectize keeps the <select> hidden), then let that first run finish.
    await page.evaluate(`document.querySelector('#rows').selectize.setValue('${rows === 1e6 ? '1e+06' : '1e+07'}')`);
    await page.waitForSelector(`#status:has-text("for ${label} rows")`, { timeout: 600_000 });
    const latencies: number[] = [];
    const sparkSeconds: number[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat += 1) {
      seed += 1;
      const started = performance.now();
      await page.fill('#seed', String(seed));
      await page.waitForSelector(`#status:has-text("for ${label} rows, seed ${seed}")`, { timeout: 300_000 }).catch(async (error: unknown) => {
        const problem = (await page.textContent('#problem').catch(() => null)) ?? '(no message in the page)';
        throw new Error(`no result for ${label} rows, seed ${seed}: ${problem}; status: ${(await page.textContent('#status')) ?? ''}`, { cause: error });
      });
      latencies.push(Math.round(performance.now() - started));
      sparkSeconds.push(Number(/in ([\d.]+) s/.exec((await page.textContent('#status')) ?? '')?.[1]));
    }
    const plainMs = plain.get(rows) ?? [];
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    results.push({
      rows,
      inputToRenderMs: latencies,
      medianInputToRenderMs: median(latencies),
      sparkSecondsInApp: sparkSeconds,
      plainSparkSubmitMs: plainMs,
      medianPlainSparkSubmitMs: median(plainMs),
      ratioAppToPlain: Number((median(latencies) / median(plainMs)).toFixed(2)),
    });
  }
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
  await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
}
process.stdout.write(`${JSON.stringify({ image, workers: 2, repeats: REPEATS, sizes: results }, null, 2)}\n`);
