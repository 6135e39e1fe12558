// The one-container trial, as Jupyter's images are tried: `docker run -p 8888:8888 IMAGE` with no
// role, no secrets and no network of its own gives a working JupyterLab with Spark (a master and
// one worker in the container), a generated password shown once, and nothing else listening
// beyond loopback.
import {
  ARTIFACTS_DIR,
  docker,
  ensureTestImage,
  JupyterSession,
  TestResources,
  uniqueName,
  waitUntilHealthy,
  type Kernel,
} from '@spark-rstudio-shiny/test-support';
import { waitUntil } from '@spark-rstudio-shiny/core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const notebookCells = z.looseObject({
  cells: z.array(
    z.looseObject({
      cell_type: z.string(),
      execution_count: z.number().nullable().optional(),
      outputs: z
        .array(
          z.looseObject({
            output_type: z.string(),
            text: z.union([z.string(), z.array(z.string())]).optional(),
            data: z.record(z.string(), z.unknown()).optional(),
          }),
        )
        .optional(),
    }),
  ),
});

type Output = NonNullable<z.infer<typeof notebookCells>['cells'][number]['outputs']>[number];

/** A cell output's text: a stream's text or a result's text/plain. */
function outputText(output: Output): string {
  const plain = output.data?.['text/plain'] ?? output.text ?? '';
  return Array.isArray(plain) ? plain.join('') : String(plain);
}

async function keepLog(name: string, text: string): Promise<void> {
  await mkdir(join(ARTIFACTS_DIR, 'logs'), { recursive: true });
  await writeFile(join(ARTIFACTS_DIR, 'logs', name), text);
}

const PASSWORD_LINE =
  /^\[entrypoint\] IDE login: user analyst, password (\S+) \(generated for this container;/m;

/**
 * Where the host reaches the container's JupyterLab (Docker chose the port, again at each start).
 */
async function jupyterUrl(container: string): Promise<string> {
  const { stdout } = await docker.run(['port', container, '8888/tcp']);
  return `http://127.0.0.1:${stdout.split('\n')[0]?.split(':').pop() ?? ''}`;
}

async function logsOf(container: string): Promise<string> {
  const { stdout, stderr } = await docker.run(['logs', container]);
  return `${stdout}\n${stderr}`;
}

describe('the one-container trial: docker run -p 8888:8888 IMAGE', () => {
  const resources = new TestResources();
  let container = '';
  let base = '';
  let password = '';

  beforeAll(async () => {
    const image = await ensureTestImage();
    // Docker picks the host port: the test needs no free-port guess and stays out of others' way.
    container = await resources.container(uniqueName('srs-trial'), [
      '-p',
      '127.0.0.1::8888',
      image,
    ]);
    await waitUntilHealthy(container, 300_000);
    base = await jupyterUrl(container);
    password = PASSWORD_LINE.exec(await logsOf(container))?.[1] ?? '';
  });

  afterAll(async () => {
    await resources.cleanup();
  });

  it('should print a generated password once, and JupyterLab should take it and refuse another', async () => {
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    await expect(JupyterSession.login(base, `${password}x`)).rejects.toThrow();
    await expect(JupyterSession.login(base, password)).resolves.toBeInstanceOf(JupyterSession);
  });

  it('should run a PySpark job from a notebook on the worker inside the container, with the right result', async () => {
    const jupyter = await JupyterSession.login(base, password);
    const kernel: Kernel = await jupyter.startKernel('python3');
    try {
      const run = await kernel.execute(
        [
          'import json, urllib.request',
          'from pyspark.sql import SparkSession',
          'spark = SparkSession.builder.getOrCreate()',
          'total = spark.range(0, 100000, numPartitions=4).selectExpr("sum(id) AS s").first()["s"]',
          'master = json.load(urllib.request.urlopen("http://127.0.0.1:8080/json/"))',
          'app = [a for a in master["activeapps"] if a["id"] == spark.sparkContext.applicationId][0]',
          'print(json.dumps({"total": total, "master": spark.sparkContext.master, "workers": master["aliveworkers"], "cores": app["cores"]}))',
        ].join('\n'),
      );
      expect(run.error).toBeUndefined();
      const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<
        string,
        unknown
      >;
      // sum of 0..99999, computed here, not by Spark.
      expect(result).toEqual({
        total: (99_999 * 100_000) / 2,
        master: 'spark://127.0.0.1:7077',
        workers: 1,
        cores: expect.any(Number) as unknown,
      });
      expect(result['cores']).toBeGreaterThan(0);
    } finally {
      await kernel.close();
    }
  });

  it('should listen on no interface but loopback, except for JupyterLab', async () => {
    const { stdout } = await docker.run(['exec', container, 'ss', '-ltnH']);
    const listening = stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => line.trim().split(/\s+/)[3] ?? '');
    expect(listening.length).toBeGreaterThan(3);
    const open = listening.filter(
      (address) =>
        !/^(127\.\d+\.\d+\.\d+|\[::1\]|\[::ffff:127\.\d+\.\d+\.\d+\]):\d+$/.test(address),
    );
    expect(open).toEqual(['0.0.0.0:8888']);
  });

  it('should greet a new user with the getting-started notebooks and no question about news', async () => {
    const jupyter = await JupyterSession.login(base, password);
    const folder = await jupyter.api<{ content: { name: string }[] }>(
      'GET',
      '/api/contents/getting-started',
    );
    expect(folder.content.map((file) => file.name).sort()).toEqual([
      'getting-started-python.ipynb',
      'getting-started-r.ipynb',
    ]);
    // JupyterLab asks whether to fetch Jupyter's news (a call to the internet) unless told not to:
    // the image's overrides become the defaults of the settings' schema (JupyterLab's own are
    // 'none' and true), and the user has set nothing.
    const notification = await jupyter.api<{
      schema: { properties: Record<string, { default?: unknown }> };
      settings: Record<string, unknown>;
    }>('GET', '/lab/api/settings/@jupyterlab/apputils-extension:notification');
    expect(notification.schema.properties['fetchNews']?.default).toBe('false');
    expect(notification.schema.properties['checkForUpdates']?.default).toBe(false);
    expect(notification.settings).toEqual({});
  });

  it.each([
    ['getting-started-r', 'ir'],
    ['getting-started-python', 'python3'],
  ])('should run %s.ipynb headless as the IDE user, every cell without error', async (name) => {
    const out = `/tmp/${name}.${container}.ipynb`;
    const run = await docker.run(
      [
        'exec',
        '--user',
        'analyst',
        '--workdir',
        '/home/analyst/getting-started',
        container,
        '/opt/jupyter/bin/jupyter',
        'nbconvert',
        '--to',
        'notebook',
        '--execute',
        '--ExecutePreprocessor.timeout=600',
        '--output',
        out,
        `${name}.ipynb`,
      ],
      { timeoutMs: 900_000 },
    );
    await keepLog(`${container}-${name}-nbconvert.log`, `${run.stdout}\n${run.stderr}`);
    const { stdout } = await docker.run(['exec', container, 'cat', out]);
    await keepLog(`${container}-${name}.ipynb`, stdout);
    const cells = notebookCells
      .parse(JSON.parse(stdout))
      .cells.filter((cell) => cell.cell_type === 'code');
    const outputs = cells.flatMap((cell) => cell.outputs ?? []);
    expect(outputs.filter((output) => output.output_type === 'error')).toEqual([]);
    expect(cells.every((cell) => cell.execution_count !== null)).toBe(true);
    const text = outputs.map(outputText).join('\n');
    // A plot, rendered inline.
    expect(outputs.some((output) => output.data?.['image/png'] !== undefined)).toBe(true);
    expect(text).toMatch(/Spark UI of this session: <Spark master UI>\/proxy\/app-\d+-\d+\//);
    if (name === 'getting-started-r') {
      // The notebook compares srs_glm() with glm() on the same data: all.equal() printed TRUE.
      expect(text).toMatch(/^\[1\] TRUE$/m);
      // mtcars has 11, 7 and 14 cars of 4, 6 and 8 cylinders (R's own table(mtcars$cyl)).
      expect(text).toMatch(/1 4\s+11 /);
      expect(text).toMatch(/3 8\s+14 /);
    } else {
      // The data were drawn with intercept 0.5 and slope 2: MLlib's fit lands near them.
      const fit = /intercept (-?[\d.]+), slope (-?[\d.]+)/.exec(text);
      expect(Math.abs(Number(fit?.[1]) - 0.5)).toBeLessThan(0.15);
      expect(Math.abs(Number(fit?.[2]) - 2)).toBeLessThan(0.3);
    }
  });

  it('should keep its password across a restart without printing it again', async () => {
    await docker.run(['restart', container]);
    await waitUntilHealthy(container, 300_000);
    await waitUntil(
      async () =>
        (await logsOf(container)).match(
          /IDE login: user analyst, password from \/run\/srs\/ide_password/,
        )
          ? true
          : undefined,
      {
        description: 'the restarted entrypoint to log the login',
        timeoutMs: 60_000,
      },
    );
    const logs = await logsOf(container);
    expect(logs.split(password).length - 1).toBe(1);
    await expect(
      JupyterSession.login(await jupyterUrl(container), password),
    ).resolves.toBeInstanceOf(JupyterSession);
  });
});
