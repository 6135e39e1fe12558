// JupyterLab in the head of a real stack, deployed with the default ports (the front door only,
// HTTPS with the stack's CA) as a user meets it: the login in a real browser, the REST API
// refusing anonymous callers, R and Python kernels working on the cluster (numbers checked against
// a computation here, executors on the worker tasks), a running application's UI and the history
// server through the door under the same login, a Shiny app published from the IDE, and a
// notebook that survives a redeploy.
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { SparkCluster, waitUntil, type ClusterCredentials } from '../src/index.js';
import {
  aggregate,
  ARTIFACTS_DIR,
  ensureTestImage,
  JupyterSession,
  keepStackLogs,
  type Kernel,
  launchBrowser,
  openPage,
  openSignedIn,
  requestUrl,
  serverSpkiHash,
  syntheticRows,
  type TestBrowser,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';

describe('JupyterLab in the head of a real stack', () => {
  const stackName = uniqueName('srs-ide');
  // The default ports, the door on a free one: nothing else is published.
  const door = `https://127.0.0.1:${randomInt(30_000, 35_000)}`;
  let cluster: SparkCluster;
  let login: ClusterCredentials['ide'];
  /** The stack's CA: the only certificate the door is trusted with. */
  let ca = '';
  let browser: TestBrowser;
  let jupyter: JupyterSession;
  // How pages are signed in to (openSignedIn): other test files start and stop containers
  // meanwhile, and a post or a script the network change aborts leaves a blank page, which a user
  // (and openSignedIn) loads again.
  const signIn = { roundMs: 60_000, rounds: 3, shotsDir: join(ARTIFACTS_DIR, 'screenshots') };

  /** The hosts of the ALIVE workers, as the master's /json/ lists them. */
  const workerHosts = async (): Promise<string[]> => {
    const status = await cluster.status();
    return status.spark.reachable
      ? status.spark.workers
          .filter((worker) => worker.state === 'ALIVE')
          .map((worker) => worker.host)
          .sort()
      : [];
  };

  beforeAll(async () => {
    cluster = new SparkCluster({
      stackName,
      image: await ensureTestImage(),
      workers: 2,
      ports: { https: Number(new URL(door).port) },
    });
    await cluster.deploy({ timeoutMs: 300_000 });
    const credentials = await cluster.credentials();
    login = credentials.ide;
    ca = credentials.frontDoor?.caCertificate ?? '';
    // The browser trusts the door's certificate as a user who imported the CA does.
    browser = await launchBrowser({ trustSpki: [await serverSpkiHash(door, ca)] });
    // The server answers a little after the container is healthy.
    jupyter = await waitUntil(
      () => JupyterSession.login(login.jupyter as string, login.password, { ca }),
      {
        description: 'JupyterLab to accept the login',
        timeoutMs: 120_000,
        intervalMs: 2000,
      },
    );
  });

  afterAll(async () => {
    await keepStackLogs(cluster.config.stackName);
    await browser?.close();
    await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
  });

  it('should give the IDE login from credentials(): user analyst, a random password, JupyterLab behind the door', () => {
    expect(login).toEqual({
      user: 'analyst',
      password: expect.stringMatching(/^[A-Za-z0-9_-]{20}$/),
      jupyter: door,
      rstudio: null,
      rstudioInstalled: false,
    });
  });

  it('should log in to JupyterLab in a browser with that password, and refuse a wrong one', async () => {
    const page: Page = await browser.context.newPage();
    await openSignedIn(page, `${login.jupyter}/lab`, {
      ...signIn,
      password: 'not-the-password',
      readySelector: 'text=Invalid credentials',
      shot: 'jupyterlab-wrong-password',
    });
    expect(await page.locator('#jp-main-dock-panel').count()).toBe(0);
    await openSignedIn(page, `${login.jupyter}/lab`, {
      ...signIn,
      password: login.password,
      readySelector: '.jp-Launcher',
      shot: 'jupyterlab-login',
    });
    await page.screenshot({ path: join(signIn.shotsDir, 'jupyterlab.png') });
    await page.close();
  });

  it('should refuse the REST API to a caller without a session, and a write without the XSRF token', async () => {
    const anonymous = await requestUrl(`${door}/api/contents`, { ca });
    expect([401, 403]).toContain(anonymous.status);
    const noXsrf = await requestUrl(`${door}/api/contents/forged.txt`, {
      ca,
      method: 'PUT',
      headers: { cookie: jupyter.cookieHeader, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', format: 'text', content: 'forged' }),
    });
    expect(noXsrf.status).toBe(403);
  });

  it('should run srs_connect() and dplyr in an R kernel, on executors on the worker tasks, with the right numbers', async () => {
    const kernel: Kernel = await jupyter.startKernel('ir');
    try {
      const run = await kernel.execute(
        [
          'library(srspark); library(dplyr, warn.conflicts = FALSE)',
          'con <- srs_connect()',
          'by_segment <- srs_synthetic(con, 50000, seed = 5) |> group_by(segment) |> summarise(n = n(), mean_x = mean(x, na.rm = TRUE), mean_y = mean(y, na.rm = TRUE)) |> arrange(segment) |> collect()',
          'info <- srs_cluster_info()',
          'cat(jsonlite::toJSON(list(rows = by_segment, hosts = info$executor_hosts, driver = info$driver_host), digits = I(17), auto_unbox = TRUE))',
        ].join('\n'),
      );
      expect(run.error).toBeUndefined();
      const answer = JSON.parse(run.stdout) as {
        rows: { segment: string; n: number; mean_x: number; mean_y: number }[];
        hosts: string[] | string;
        driver: string;
      };
      const expected = aggregate(syntheticRows(50_000, 5), 'segment', 0);
      expect(answer.rows.map((row) => [row.segment, row.n])).toEqual(
        expected.map((row) => [row.group, row.n]),
      );
      for (const [i, row] of answer.rows.entries()) {
        expect(Math.abs(row.mean_x - (expected[i]?.meanX as number))).toBeLessThan(1e-12);
        expect(Math.abs(row.mean_y - (expected[i]?.meanY as number))).toBeLessThan(1e-12);
      }
      const hosts = ([] as string[]).concat(answer.hosts);
      expect(hosts.length).toBeGreaterThanOrEqual(1);
      const workers = await workerHosts();
      for (const host of hosts) expect(workers).toContain(host);
      expect(workers).not.toContain(answer.driver);
    } finally {
      await kernel.close();
    }
  });

  it('should run PySpark in a Python kernel with the image defaults, on executors on the worker tasks, exactly', async () => {
    const kernel = await jupyter.startKernel('python3');
    try {
      const run = await kernel.execute(
        [
          'from pyspark.sql import SparkSession',
          'spark = SparkSession.builder.appName("notebook-test").getOrCreate()',
          'total = spark.range(0, 1000000, numPartitions=4).selectExpr("sum(id * id) AS s").first()["s"]',
          'driver = spark.sparkContext.getConf().get("spark.driver.host")',
          'hosts = sorted({e.host() for e in spark.sparkContext._jsc.sc().statusTracker().getExecutorInfos()} - {driver})',
          'print(f"RESULT {total} {\',\'.join(hosts)}")',
        ].join('\n'),
      );
      expect(run.error).toBeUndefined();
      const match = /RESULT (\d+) (\S+)/.exec(run.stdout);
      // The sum of the squares 0..999999, computed here exactly.
      let expected = 0n;
      for (let i = 0n; i < 1_000_000n; i += 1n) expected += i * i;
      expect(BigInt(match?.[1] ?? '0')).toBe(expected);
      const workers = await workerHosts();
      for (const host of (match?.[2] ?? '').split(',')) expect(workers).toContain(host);
    } finally {
      await kernel.close();
    }
  });

  it("should open a running R session's application UI from the master page, and find it in the history server once it ends", async () => {
    const kernel: Kernel = await jupyter.startKernel('ir');
    try {
      const run = await kernel.execute(
        [
          'library(srspark); library(dplyr, warn.conflicts = FALSE)',
          'con <- srs_connect()',
          'invisible(srs_synthetic(con, 20000, seed = 3) |> group_by(segment) |> summarise(n = n()) |> collect())',
          'cat(srs_cluster_info()$app_id)',
        ].join('\n'),
      );
      expect(run.error).toBeUndefined();
      const appId = run.stdout.trim();
      expect(appId).toMatch(/^app-\d+-\d+$/);
      // From the master's page behind the door, through Spark's reverse proxy; a browser without
      // the login is sent to the login page first and then back.
      const page = await browser.context.newPage();
      await openSignedIn(page, `${door}/spark/`, {
        ...signIn,
        password: login.password,
        readySelector: `a[href*="/proxy/${appId}"]`,
        shot: 'spark-master-page',
      });
      expect(page.url()).toBe(`${door}/spark/`);
      await page.locator(`a[href*="/proxy/${appId}"]`).first().click();
      await page.waitForURL(new RegExp(`/proxy/${appId}/`), { timeout: 60_000 });
      await page.locator(`a[href$="/proxy/${appId}/SQL/"]`).first().click();
      // Spark 4.2's SQL tab lists the session's queries in a table its script fills; each row
      // links the query's plan. The script asks once and does not ask again when that request
      // fails (CI saw the table stay empty for 60 s on a loaded machine): reload as a user would,
      // keeping a screenshot of each empty table.
      await mkdir(join(ARTIFACTS_DIR, 'screenshots'), { recursive: true });
      for (let attempt = 1; ; attempt += 1) {
        try {
          await page.waitForSelector('#sql-table a[href*="/SQL/execution/?id="]', {
            timeout: 40_000,
          });
          break;
        } catch (error) {
          const shot = join(ARTIFACTS_DIR, 'screenshots', `spark-app-sql-empty-${attempt}.png`);
          await page.screenshot({ path: shot });
          if (attempt === 3) throw error;
          await page.reload({ timeout: 60_000 });
        }
      }
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'screenshots', 'spark-app-sql.png') });
      await page.close();

      const stopped = await kernel.execute('cat(srs_stop())');
      expect(stopped.stdout).toBe('TRUE');
      // The history server through the door, with the session's login cookie.
      const cookie = { cookie: jupyter.cookieHeader };
      const ended = await waitUntil(
        async () => {
          const response = await requestUrl(`${door}/history/api/v1/applications`, {
            ca,
            headers: cookie,
          });
          const apps = JSON.parse(response.body) as {
            id: string;
            attempts: { completed: boolean }[];
          }[];
          return apps.find(
            (app) => app.id === appId && app.attempts.every((attempt) => attempt.completed),
          );
        },
        { description: `${appId} in the history server`, timeoutMs: 120_000, intervalMs: 2000 },
      );
      expect(ended.id).toBe(appId);
      // And the master's page of the ended application links it in the history server, through
      // the door, where it answers.
      const master = await requestUrl(`${door}/spark/app/?appId=${appId}`, { ca, headers: cookie });
      const link = `${door}/history/history/${appId}`;
      expect(master.body).toContain(`href="${link}"`);
      // Followed as a browser does: its redirects stay under the door's /history/.
      let linked = await requestUrl(link, { ca, headers: cookie });
      for (let hop = 0; hop < 5 && [301, 302].includes(linked.status); hop += 1) {
        const location = linked.headers.location ?? '';
        expect(location).toMatch(/^\/history\/history\//);
        linked = await requestUrl(`${door}${location}`, { ca, headers: cookie });
      }
      expect({ status: linked.status, app: linked.body.includes(appId) }).toEqual({
        status: 200,
        app: true,
      });
    } finally {
      await kernel.close();
    }
  });

  it('should serve a Shiny app the IDE user writes into /srv/shiny-server from a notebook', async () => {
    const name = `ide-app-${randomBytes(3).toString('hex')}`;
    const kernel = await jupyter.startKernel('ir');
    try {
      const run = await kernel.execute(
        [
          `dir.create("/srv/shiny-server/${name}")`,
          `writeLines(c("library(shiny)", "shinyApp(fluidPage(h1('Published from JupyterLab ${name}')), function(input, output) {})"), "/srv/shiny-server/${name}/app.R")`,
          'cat(Sys.info()[["user"]])',
        ].join('\n'),
      );
      expect(run.error).toBeUndefined();
      expect(run.stdout).toBe('analyst');
    } finally {
      await kernel.close();
    }
    const page = await browser.context.newPage();
    // Behind the door's login (the browser logged in above), as every app but the public demo.
    await openPage(page, `${door}/shiny/${name}/`, { timeoutMs: 60_000 });
    await page.waitForSelector(`h1:has-text("Published from JupyterLab ${name}")`, {
      timeout: 120_000,
    });
    await page.close();
  });

  it('should keep a notebook saved in JupyterLab across a redeploy', async () => {
    const notebook = {
      type: 'notebook',
      content: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [{ cell_type: 'markdown', id: 'kept', metadata: {}, source: `kept ${stackName}` }],
      },
    };
    await jupyter.api('PUT', '/api/contents/kept.ipynb', notebook);
    await cluster.remove({ timeoutMs: 120_000 });
    await cluster.deploy({ timeoutMs: 300_000 });
    const again = await waitUntil(
      () => JupyterSession.login(login.jupyter as string, login.password, { ca }),
      {
        description: 'JupyterLab after the redeploy',
        timeoutMs: 120_000,
        intervalMs: 2000,
      },
    );
    const saved = await again.api<{ content: { cells: { source: string }[] } }>(
      'GET',
      '/api/contents/kept.ipynb?content=1',
    );
    expect(saved.content.cells[0]?.source).toBe(`kept ${stackName}`);
  });
});
