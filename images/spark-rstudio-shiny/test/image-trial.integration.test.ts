// The one-container trial, as Jupyter's images are tried: `docker run -p 8888:8888 IMAGE` with no
// role, no secrets and no network of its own gives a working JupyterLab with Spark (a master and
// one worker in the container), a generated password shown once, and nothing else listening
// beyond loopback.
import {
  docker,
  ensureTestImage,
  JupyterSession,
  TestResources,
  uniqueName,
  waitUntilHealthy,
  type Kernel,
} from '@spark-rstudio-shiny/test-support';
import { waitUntil } from '@spark-rstudio-shiny/core';

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
