// The Shiny demo app, end to end: a real stack with 2 workers, Shiny Server in the head, driven
// in headless Chromium (Debian's package, through playwright-core) through the front door (HTTPS
// with the stack's CA; the demo is public, no login), as a user opens it. The numbers in the page
// are checked against an independent computation (TypeScript) of the same seed, and the work is
// shown to run on the cluster. Also runs the R layer's own tests on the backend this image has.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { execa } from 'execa';
import type { Page } from 'playwright-core';
import { z } from 'zod';
import { httpGet } from '@spark-rstudio-shiny/core';
import { SparkCluster, waitUntil } from '../src/index.js';
import {
  aggregate,
  ARTIFACTS_DIR,
  docker,
  ensureTestImage,
  type GroupStats,
  keepStackLogs,
  launchBrowser,
  openPage,
  leastSquares,
  serverSpkiHash,
  serviceContainers,
  syntheticRows,
  type TestBrowser,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';

interface UploadRow {
  region: string;
  amount: number | null;
  units: number;
}

interface RegionStats {
  region: string;
  n: number;
  mean: number;
  min: number;
  max: number;
}

/** A CSV for the "Your data" mode: four regions, an amount with some values missing, a count. */
function uploadRows(count: number): UploadRow[] {
  const regions = ['East', 'North', 'South', 'West'];
  return Array.from({ length: count }, (_, i) => ({
    region: regions[(i * 7) % 4] as string,
    amount: i % 37 === 5 ? null : ((i * 7919) % 1000) / 8,
    units: (i * 13) % 17,
  }));
}

function toCsv(rows: UploadRow[]): string {
  return `region,amount,units\n${rows.map((row) => `${row.region},${row.amount === null ? 'NA' : row.amount},${row.units}`).join('\n')}\n`;
}

/** What the page shows per region: rows, and the mean, min and max of the amounts present. */
function summariseUpload(rows: UploadRow[]): RegionStats[] {
  const regions = [...new Set(rows.map((row) => row.region))].sort();
  return regions.map((region) => {
    const mine = rows.filter((row) => row.region === region);
    const amounts = mine.flatMap((row) => (row.amount === null ? [] : [row.amount]));
    return {
      region,
      n: mine.length,
      mean: amounts.reduce((sum, value) => sum + value, 0) / amounts.length,
      min: Math.min(...amounts),
      max: Math.max(...amounts),
    };
  });
}
const ROWS = 100_000;

/** The per-group table as the page shows it. */
async function readAggregate(page: Page): Promise<GroupStats[]> {
  const cells = await page.$$eval('#aggregate table tbody tr', (rows) =>
    rows.map((row) =>
      [...row.querySelectorAll('td')].map((cell) => cell.textContent?.trim() ?? ''),
    ),
  );
  return cells.map(([group, n, meanX, meanY]) => ({
    group: group ?? '',
    n: Number(n),
    meanX: Number(meanX),
    meanY: Number(meanY),
  }));
}

/** A coefficient table as the page shows it (`#coefficients` or `#upload_coefficients`): each
 * term's estimate, in the page's order. */
async function readCoefficients(page: Page, table: string): Promise<Map<string, number>> {
  const cells = await page.$$eval(`${table} table tbody tr`, (lines) =>
    lines.map((line) =>
      [...line.querySelectorAll('td')].map((cell) => cell.textContent?.trim() ?? ''),
    ),
  );
  return new Map(cells.map(([term, estimate]) => [term ?? '', Number(estimate)]));
}

/** Waits until the page's table has the expected groups and counts, then checks the means. */
async function expectAggregate(page: Page, expected: GroupStats[]): Promise<void> {
  const shown = await waitUntil(
    async () => {
      const table = await readAggregate(page);
      const same =
        table.length === expected.length &&
        table.every((row, i) => row.group === expected[i]?.group && row.n === expected[i]?.n);
      return same ? table : undefined;
    },
    {
      description: `the page to show ${JSON.stringify(expected.map((row) => [row.group, row.n]))}`,
      timeoutMs: 240_000,
      intervalMs: 500,
    },
  );
  for (const [i, row] of shown.entries()) {
    // The page prints 9 decimals; Spark sums in another order than this loop.
    expect(Math.abs(row.meanX - (expected[i] as GroupStats).meanX)).toBeLessThan(2e-9);
    expect(Math.abs(row.meanY - (expected[i] as GroupStats).meanY)).toBeLessThan(2e-9);
  }
}

/**
 * Runs the R layer's own tests (testthat, TAP) inside the stack's master as the IDE user, on one
 * bridge; checks that every planned test passed. The output is kept in .artifacts/.
 */
async function expectRLayerTestsToPass(
  stackName: string,
  backend: 'pyspark' | 'sparkr',
): Promise<void> {
  const [master = ''] = await serviceContainers(stackName, 'master');
  const script = (
    await docker.run([
      'exec',
      master,
      'Rscript',
      '-e',
      'cat(system.file("scripts/run-tests.R", package = "srspark"))',
    ])
  ).stdout;
  // execa, not the SDK's client: a failed run's TAP (its stdout) is what tells which test failed.
  const ran = await execa(
    'docker',
    [
      'exec',
      '--user',
      'analyst',
      '--workdir',
      '/home/analyst',
      '-e',
      `SRS_R_BACKEND=${backend}`,
      master,
      'Rscript',
      script,
    ],
    { reject: false, timeout: 600_000 },
  );
  const result = {
    ok: ran.exitCode === 0,
    output: `${ran.stdout}\n# stderr:\n${ran.stderr.replace(/^/gm, '# ')}`,
  };
  await mkdir(join(ARTIFACTS_DIR, 'logs'), { recursive: true });
  await writeFile(join(ARTIFACTS_DIR, 'logs', `srspark-tests-${backend}.tap`), result.output);
  // Each failed test with the comment lines testthat writes under it (the message, the values),
  // so that the report names it instead of showing the first lines of a long TAP.
  const failed = result.output.match(/^not ok .*(?:\n#.*)*/gm) ?? [];
  expect(failed).toEqual([]);
  expect(result.output).toMatch(/^1\.\.(\d+)$/m);
  expect(result.output.match(/^ok \d+/gm)?.length).toBe(
    Number(/^1\.\.(\d+)$/m.exec(result.output)?.[1]),
  );
  expect(result.ok).toBe(true);
}

describe('the Shiny demo app on a real stack, in a real browser', () => {
  const stackName = uniqueName('srs-app');
  const sparkUiPort = randomInt(45_000, 50_000);
  const door = `https://127.0.0.1:${sparkUiPort + 1}`;
  let cluster: SparkCluster;
  let browser: TestBrowser;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    const image = await ensureTestImage();
    cluster = new SparkCluster({
      stackName,
      image,
      workers: 2,
      // The door (Shiny only through it), and the Spark UI's plain port opted in for its JSON.
      ports: { https: sparkUiPort + 1, sparkUi: sparkUiPort },
    });
    await cluster.deploy({ timeoutMs: 300_000 });
    const ca = (await cluster.credentials()).frontDoor?.caCertificate ?? '';
    browser = await launchBrowser({ trustSpki: [await serverSpkiHash(door, ca)] });
    profile = browser.profile;
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await keepStackLogs(cluster.config.stackName);
    await browser?.close();
    await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
  });

  it('should start and warm up the demo with the head, before any visit: its application keeps the executors it warmed while alone', async () => {
    // The head starts the app's R process and Spark session; once alone on the master with a
    // core free, the app runs its first computation (srs_warm_up) and keeps its executors.
    const [master = ''] = await serviceContainers(stackName, 'master');
    const warmed = await waitUntil(
      async () => {
        const log = await docker.run([
          'exec',
          master,
          'sh',
          '-c',
          'cat /var/log/shiny-server/spark-demo-*.log 2>/dev/null || true',
        ]);
        return /srspark: (warmed up in [\d.]+ s|the warm-up .*)/.exec(log.stdout)?.[0];
      },
      { description: "the demo's warm-up, with no visit", timeoutMs: 300_000 },
    );
    expect(warmed).toMatch(/^srspark: warmed up in [\d.]+ s$/);
    const answer = await httpGet(`http://127.0.0.1:${sparkUiPort}/json/`, { timeoutMs: 5_000 });
    const state = z
      .looseObject({
        activeapps: z.array(z.looseObject({ name: z.string(), cores: z.number() })),
      })
      .parse(JSON.parse(answer.text));
    const demo = state.activeapps.find((candidate) => candidate.name === 'srs-shiny-spark-demo');
    // Alone on the master, it keeps the executors it warmed up.
    expect(demo?.cores).toBeGreaterThanOrEqual(1);
  });

  it("should show Spark's per-segment numbers for the default inputs, equal to an independent computation", async () => {
    await openPage(page, `${door}/shiny/spark-demo/`, { timeoutMs: 60_000 });
    await page.waitForSelector('#status:has-text("computed by Spark on")', { timeout: 240_000 });
    // Executors come and go with the work (dynamic allocation): at least one, at most one per
    // worker.
    expect(await page.textContent('#status')).toMatch(
      /computed by Spark on [12] executors in [\d.]+ s \(pyspark backend, Spark 4\.2\.1, app app-\d+-\d+\) for 100,000 rows, seed 42/,
    );
    await expectAggregate(page, aggregate(syntheticRows(ROWS, 42), 'segment', 0));
  });

  it('should recompute on the cluster when an input changes: seed, then the filter and the grouping', async () => {
    await page.fill('#seed', '7');
    await page.waitForSelector('#status:has-text("seed 7")', { timeout: 240_000 });
    const rows = syntheticRows(ROWS, 7);
    await expectAggregate(page, aggregate(rows, 'segment', 0));

    await page.fill('#min_x', '0.5');
    await expectAggregate(page, aggregate(rows, 'segment', 0.5));
    await page.check('input[name="by"][value="x_decile"]');
    await expectAggregate(page, aggregate(rows, 'x_decile', 0.5));

    // The GLM fitted by Spark equals least squares computed here.
    const expected = leastSquares(rows, 0.5);
    const coefficients = await waitUntil(
      async () => {
        const shown = await readCoefficients(page, '#coefficients');
        return Math.abs((shown.get('x') ?? 0) - (expected.get('x') ?? 0)) < 1e-5
          ? shown
          : undefined;
      },
      { description: 'the coefficients of the filtered fit', timeoutMs: 120_000, intervalMs: 500 },
    );
    expect([...coefficients.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [term, estimate] of expected)
      expect(Math.abs((coefficients.get(term) as number) - estimate)).toBeLessThan(2e-6);

    await mkdir(join(ARTIFACTS_DIR, 'screenshots'), { recursive: true });
    await page.screenshot({
      path: join(ARTIFACTS_DIR, 'screenshots', 'spark-demo.png'),
      fullPage: true,
    });
  });

  it('should show a bad formula as a message in the page, and keep working after it', async () => {
    await page.fill('#formula', 'y ~ z');
    await page.waitForSelector(
      '#problem:has-text("unknown column(s) z in the formula; the table has id, x, segment, grp, y")',
      { timeout: 60_000 },
    );
    expect(await page.isVisible('#aggregate table')).toBe(false);
    await page.fill('#formula', 'y ~ x + segment');
    await page.waitForSelector('#problem', { state: 'detached', timeout: 120_000 });
    await expectAggregate(page, aggregate(syntheticRows(ROWS, 7), 'x_decile', 0.5));
  });

  it("should show the per-segment numbers whether the model's pass gives them or a query of their own", async () => {
    const rows = syntheticRows(ROWS, 7);
    // y ~ x + segment groups its one pass by segment: the page reads the numbers from the fit.
    await page.check('input[name="by"][value="segment"]');
    await expectAggregate(page, aggregate(rows, 'segment', 0.5));
    // y ~ log(x) + segment does not have the mean of x, and y ~ x has no segments: the aggregate
    // is a query of its own.
    const segments = ['B', 'C', 'D', 'E', 'F', 'G', 'H'].map((level) => `segment${level}`);
    const models: [string, string[]][] = [
      ['y ~ log(x) + segment', ['(Intercept)', 'log(x)', ...segments]],
      ['y ~ x', ['(Intercept)', 'x']],
    ];
    for (const [formula, terms] of models) {
      await page.fill('#formula', formula);
      // The table and the coefficients are drawn from one computation: once the new model's
      // terms show, so does its table.
      await waitUntil(
        async () => {
          const shown = [...(await readCoefficients(page, '#coefficients')).keys()];
          return JSON.stringify(shown) === JSON.stringify(terms) ? shown : undefined;
        },
        { description: `the terms of ${formula}`, timeoutMs: 120_000, intervalMs: 500 },
      );
      await expectAggregate(page, aggregate(rows, 'segment', 0.5));
    }
    await page.fill('#formula', 'y ~ x + segment');
    await page.check('input[name="by"][value="x_decile"]');
    await expectAggregate(page, aggregate(rows, 'x_decile', 0.5));
  });

  it("should run on the cluster: the master lists the app's application, with executors on the worker tasks that map the image's class archive", async () => {
    // A fresh computation, so the executors are there (idle ones are given back after 30 s).
    await page.fill('#seed', '8');
    await page.waitForSelector('#status:has-text("seed 8")', { timeout: 240_000 });
    const master = await httpGet(`http://127.0.0.1:${sparkUiPort}/json/`, { timeoutMs: 5000 });
    const state = z
      .looseObject({
        activeapps: z.array(z.looseObject({ id: z.string(), name: z.string() })),
        workers: z.array(z.looseObject({ host: z.string(), state: z.string() })),
      })
      .parse(JSON.parse(master.text));
    const app = state.activeapps.find((candidate) => candidate.name === 'srs-shiny-spark-demo');
    expect(app).toBeDefined();
    expect(await page.textContent('#status')).toContain(`app ${app?.id}`);
    // The app's executors run on the worker tasks (and only there).
    const workers = await serviceContainers(stackName, 'worker');
    expect(workers).toHaveLength(2);
    let executorsOnWorkers = 0;
    for (const worker of workers) {
      const { stdout } = await docker.run([
        'exec',
        worker,
        'curl',
        '-fsS',
        '--max-time',
        '5',
        'http://127.0.0.1:8081/json/',
      ]);
      const executors = z
        .looseObject({ executors: z.array(z.looseObject({ appid: z.string() })) })
        .parse(JSON.parse(stdout)).executors;
      executorsOnWorkers += executors.filter((executor) => executor.appid === app?.id).length;
    }
    const shown = Number(/on (\d+) executors/.exec((await page.textContent('#status')) ?? '')?.[1]);
    expect(executorsOnWorkers).toBeGreaterThanOrEqual(1);
    expect(executorsOnWorkers).toBe(shown);
    // Every executor JVM maps the image's class archive (the JDK leaves it out, with a warning
    // on the executor's stdout, when its class path does not match the archive's). Read as the
    // executors' user: root in the container may not read another user's memory maps.
    const archiveUse: string[] = [];
    for (const worker of workers) {
      const { stdout } = await docker.run([
        'exec',
        '--user',
        'spark',
        worker,
        'sh',
        '-c',
        'for pid in $(pgrep -x java); do grep -q CoarseGrainedExecutorBackend "/proc/$pid/cmdline" || continue; ' +
          'if grep -q /opt/spark/cds/executor.jsa "/proc/$pid/maps"; then echo mapped; else echo unmapped; fi; done',
      ]);
      archiveUse.push(...stdout.split('\n').filter((line) => line !== ''));
    }
    expect(archiveUse).toEqual(Array.from({ length: executorsOnWorkers }, () => 'mapped'));
  });

  it("should keep the app's Spark session when the browser tab closes", async () => {
    const before = (await page.textContent('#status'))?.match(/app (app-\d+-\d+)/)?.[1];
    await page.close();
    page = await browser.context.newPage();
    await openPage(page, `${door}/shiny/spark-demo/`, { timeoutMs: 60_000 });
    await page.waitForSelector('#status:has-text("computed by Spark on")', { timeout: 240_000 });
    expect((await page.textContent('#status'))?.match(/app (app-\d+-\d+)/)?.[1]).toBe(before);
  });

  it("should pass the R layer's own tests on this image's backend", async () => {
    await expectRLayerTestsToPass(stackName, 'pyspark');
  });

  it('should refuse a size the page does not offer, sent by a crafted client, and compute at most once a second', async () => {
    // What a crafted websocket message does: set the input to anything.
    await page.evaluate(() =>
      (
        globalThis as unknown as {
          Shiny: { setInputValue: (name: string, value: unknown) => void };
        }
      ).Shiny.setInputValue('rows', '1000000000'),
    );
    await page.waitForSelector(
      '#problem:has-text("rows must be one of 100,000, 1,000,000, 10,000,000, 100,000,000")',
      { timeout: 60_000 },
    );
    await page.evaluate(() =>
      (
        globalThis as unknown as {
          Shiny: { setInputValue: (name: string, value: unknown) => void };
        }
      ).Shiny.setInputValue('rows', '1e+05'),
    );
    await page.waitForSelector('#problem', { state: 'detached', timeout: 120_000 });
    // The status line counts the computations this browser session started.
    const computations = async (): Promise<number> =>
      Number(
        /computation (\d+) of this session/.exec((await page.textContent('#status')) ?? '')?.[1] ??
          Number.NaN,
      );
    const settle = async (seed: number): Promise<void> => {
      await page.waitForSelector(`#status:has-text("seed ${seed};")`, { timeout: 240_000 });
    };
    await page.fill('#seed', '21');
    await settle(21);
    const before = await computations();
    expect(before).toBeGreaterThan(0);
    // Thirty changes in three seconds: throttled to about one computation a second.
    const burstStarted = Date.now();
    for (let seed = 30; seed < 60; seed += 1) {
      await page.evaluate(
        (value) =>
          (
            globalThis as unknown as {
              Shiny: { setInputValue: (name: string, value: unknown) => void };
            }
          ).Shiny.setInputValue('seed', value),
        seed,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const burstSeconds = (Date.now() - burstStarted) / 1000;
    await page.fill('#seed', '59');
    await settle(59);
    // The last value is always computed; the rest at most once a second of the burst.
    expect((await computations()) - before).toBeLessThanOrEqual(Math.ceil(burstSeconds) + 2);
  });

  it('should summarise and model an uploaded CSV in "Your data", equal to a computation here', async () => {
    const rows = uploadRows(600);
    const file = join(profile, 'sales.csv');
    await writeFile(file, toCsv(rows));
    await page.click('a[data-value="upload"]');
    await page.setInputFiles('#file', file);
    await page.waitForSelector(
      '#upload_status:has-text("sales.csv: 600 rows copied into Spark; model amount ~ region")',
      { timeout: 240_000 },
    );
    const expected = summariseUpload(rows);
    const shown = await waitUntil(
      async () => {
        const cells = await page.$$eval('#upload_summary table tbody tr', (lines) =>
          lines.map((line) =>
            [...line.querySelectorAll('td')].map((cell) => cell.textContent?.trim() ?? ''),
          ),
        );
        return cells.length === expected.length ? cells : undefined;
      },
      { description: 'the per-region summary', timeoutMs: 120_000, intervalMs: 500 },
    );
    for (const [i, [region, n, mean, min, max]] of shown.entries()) {
      const want = expected[i] as RegionStats;
      expect([region, Number(n)]).toEqual([want.region, want.n]);
      expect(Math.abs(Number(mean) - want.mean)).toBeLessThan(1e-8);
      expect([Number(min), Number(max)]).toEqual([want.min, want.max]);
    }
    // amount ~ region: the intercept is the first region's mean, each other coefficient its
    // difference.
    const coefficients = await readCoefficients(page, '#upload_coefficients');
    const [first, ...others] = expected;
    expect(
      Math.abs((coefficients.get('(Intercept)') as number) - (first as RegionStats).mean),
    ).toBeLessThan(1e-5);
    for (const other of others)
      expect(
        Math.abs(
          (coefficients.get(`region${other.region}`) as number) -
            (other.mean - (first as RegionStats).mean),
        ),
      ).toBeLessThan(1e-5);
    await page.screenshot({
      path: join(ARTIFACTS_DIR, 'screenshots', 'spark-demo-your-data.png'),
      fullPage: true,
    });

    // A model on other columns, typed by the user; an unknown column is named in the page.
    await page.fill('#upload_formula', 'amount ~ units + nosuch');
    await page.waitForSelector(
      '#upload_problem:has-text("unknown column(s) nosuch in the formula")',
      { timeout: 60_000 },
    );
    await page.fill('#upload_formula', 'amount ~ units + region');
    await page.waitForSelector('#upload_status:has-text("model amount ~ units + region")', {
      timeout: 120_000,
    });
  });

  it('should refuse an upload over the size limit with a message in the page', async () => {
    const file = join(profile, 'too-large.csv');
    await writeFile(file, `a,b\n${'1,2\n'.repeat(6_000_000)}`);
    await page.setInputFiles('#file', file);
    await page.waitForSelector('#file_progress:has-text("Maximum upload size exceeded")', {
      timeout: 60_000,
    });
    await page.click('a[data-value="synthetic"]');
  });

  it('should say in the page when the cluster has no workers, and recover by itself when they are back', async () => {
    await cluster.scaleWorkers(0, { timeoutMs: 180_000 });
    await page.fill('#seed', '9');
    await page.waitForSelector('#problem:has-text("the cluster has no ALIVE Spark worker")', {
      timeout: 120_000,
    });
    await cluster.scaleWorkers(2, { timeoutMs: 180_000 });
    await page.waitForSelector('#status:has-text("seed 9")', { timeout: 240_000 });
    expect(await page.isVisible('#problem')).toBe(false);
    // This page was opened afresh by the previous test: the other inputs are the defaults.
    await expectAggregate(page, aggregate(syntheticRows(ROWS, 9), 'segment', 0));
  });
});

// SparkR ships only in Apache's tarball; images built from the PyPI artifact (as here, offline)
// have none, and this test says so instead of passing silently.
const sparkrLabel = await (async () => {
  const image = await ensureTestImage();
  return (
    await docker.run([
      'image',
      'inspect',
      '--format',
      '{{index .Config.Labels "org.spark-rstudio-shiny.sparkr"}}',
      image,
    ])
  ).stdout;
})();
const sparkrPresent = sparkrLabel !== '' && sparkrLabel !== 'absent';

describe('the R layer on the SparkR backend', () => {
  (sparkrPresent ? it : it.skip)(
    sparkrPresent
      ? `should pass the R layer's tests on SparkR ${sparkrLabel}`
      : "should pass the R layer's tests on SparkR — skipped: this image has no SparkR (built from the PyPI artifact, which does not ship it)",
    async () => {
      const stackName = uniqueName('srs-sparkr');
      const cluster = new SparkCluster({
        stackName,
        image: await ensureTestImage(),
        workers: 1,
        ports: { sparkUi: randomInt(50_000, 55_000) },
      });
      try {
        await cluster.deploy({ timeoutMs: 300_000 });
        await expectRLayerTestsToPass(stackName, 'sparkr');
      } finally {
        await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
      }
    },
  );
});
