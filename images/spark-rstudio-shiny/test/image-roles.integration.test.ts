// The image in its two roles, on a plain Docker network: a real Spark master, two real workers,
// a real PySpark job, Shiny Server, JupyterLab as the IDE user, and the health checks.
import { z } from 'zod';
import { httpGet, waitUntil } from '@spark-rstudio-shiny/core';
import {
  docker,
  ensureTestImage,
  makeTestSecrets,
  publishedPort,
  runToCompletion,
  TestResources,
  uniqueName,
  waitUntilHealthy,
  type TestSecrets,
} from '@spark-rstudio-shiny/test-support';

const masterJson = z.looseObject({
  status: z.string(),
  aliveworkers: z.number(),
  workers: z.array(
    z.looseObject({
      id: z.string(),
      host: z.string(),
      state: z.string(),
      cores: z.number(),
      memory: z.number(),
    }),
  ),
  completedapps: z.array(z.looseObject({ id: z.string(), name: z.string(), state: z.string() })),
});

describe('the image as master and workers on a plain Docker network', () => {
  const resources = new TestResources();
  let image: string;
  let master: string;
  let workers: string[];
  let sparkUi: string;
  let secrets: TestSecrets;

  const readMaster = async (): Promise<z.infer<typeof masterJson>> => {
    const answer = await httpGet(`${sparkUi}/json/`, { timeoutMs: 5000 });
    return masterJson.parse(JSON.parse(answer.text));
  };

  beforeAll(async () => {
    image = await ensureTestImage();
    secrets = await makeTestSecrets();
    const network = await resources.network(uniqueName('srs-net'));
    master = await resources.container(uniqueName('srs-master'), [
      '--network',
      network,
      '--network-alias',
      'master',
      ...secrets.spark,
      ...secrets.ide,
      '-e',
      'SPARK_ROLE=master',
      '-e',
      'SPARK_HISTORY_URL=http://127.0.0.1:18080',
      '-p',
      '127.0.0.1::8080',
      '-p',
      '127.0.0.1::3838',
      '-p',
      '127.0.0.1::8888',
      image,
    ]);
    workers = [];
    for (let index = 0; index < 2; index += 1) {
      workers.push(
        await resources.container(uniqueName('srs-worker'), [
          '--network',
          network,
          ...secrets.spark,
          '-e',
          'SPARK_ROLE=worker',
          '-e',
          'SPARK_WORKER_CORES=1',
          '-e',
          'SPARK_WORKER_MEMORY=1g',
          image,
        ]),
      );
    }
    sparkUi = `http://127.0.0.1:${await publishedPort(master, 8080)}`;
  });

  afterAll(() => resources.cleanup());

  it('should register exactly 2 ALIVE workers with the cores and memory given', async () => {
    const state = await waitUntil(
      async () => {
        const current = await readMaster();
        return current.aliveworkers === 2 ? current : undefined;
      },
      { description: '2 ALIVE workers on the master', timeoutMs: 120_000 },
    );
    const alive = state.workers.filter((worker) => worker.state === 'ALIVE');
    expect(state.status).toBe('ALIVE');
    expect(alive).toHaveLength(2);
    for (const worker of alive) {
      expect(worker.cores).toBe(1);
      expect(worker.memory).toBe(1024);
    }
  });

  it('should run a PySpark job on the workers against spark://master:7077 and return the exact result', async () => {
    const job = [
      'from pyspark.sql import SparkSession',
      'import time',
      'spark = SparkSession.builder.appName("srs-image-test").getOrCreate()',
      // A busy machine may register the second executor after the job would start: wait for both
      // (driver + 2), up to 2 minutes. Both are asked for at start (initialExecutors below): the
      // image's dynamic allocation asks for one, and for more only once a job is waiting.
      'deadline = time.time() + 120',
      'while len(spark.sparkContext._jsc.sc().statusTracker().getExecutorInfos()) < 3 and time.time() < deadline: time.sleep(0.5)',
      'total = spark.range(0, 1000000, numPartitions=4).selectExpr("sum(id) AS s").first()["s"]',
      'executors = [e.host() for e in spark.sparkContext._jsc.sc().statusTracker().getExecutorInfos()]',
      'print(f"RESULT sum={total} executor_hosts={len(set(executors)) - 1}")',
      'spark.stop()',
    ].join('\n');
    await docker.run(['exec', '-i', master, 'sh', '-c', 'cat > /tmp/srs-job.py'], { input: job });
    const { stdout } = await docker.run(
      [
        'exec',
        master,
        'spark-submit',
        '--master',
        'spark://master:7077',
        '--conf',
        'spark.dynamicAllocation.initialExecutors=2',
        '/tmp/srs-job.py',
      ],
      { timeoutMs: 240_000 },
    );
    // 0 + 1 + … + 999999, and executors on both worker hosts (the driver's own host is not
    // counted).
    expect(stdout).toContain('RESULT sum=499999500000 executor_hosts=2');
    const state = await readMaster();
    expect(state.completedapps.map((app) => app.name)).toContain('srs-image-test');
  });

  it('should serve Shiny Server on 3838: the demo at its address, a landing page, no listing', async () => {
    const port = await publishedPort(master, 3838);
    const response = await waitUntil(
      async () => {
        const answer = await httpGet(`http://127.0.0.1:${port}/spark-demo/`, { timeoutMs: 5000 });
        return answer.status === 200 ? answer : undefined;
      },
      { description: 'Shiny Server to answer', timeoutMs: 60_000 },
    );
    expect(response.status).toBe(200);
    // An author's folder is not listed, neither on the landing page nor by itself
    // (directory_index off); the landing page links the bundled demo only.
    await docker.run([
      'exec',
      master,
      'sh',
      '-c',
      'mkdir -p /srv/shiny-server/private-work && echo x > /srv/shiny-server/private-work/notes.txt',
    ]);
    const root = await httpGet(`http://127.0.0.1:${port}/`, { timeoutMs: 5000 });
    expect(root.status).toBe(200);
    const landing = root.text;
    expect(landing).toContain('href="spark-demo/"');
    expect(landing).not.toContain('private-work');
    const folder = await httpGet(`http://127.0.0.1:${port}/private-work/`, { timeoutMs: 5000 });
    expect(folder.status).toBe(404);
    expect(folder.text).not.toContain('notes.txt');
  });

  it('should serve Shiny Server on SHINY_PORT when it is set, and stay healthy', async () => {
    const other = await resources.container(uniqueName('srs-master-port'), [
      ...secrets.spark,
      ...secrets.ide,
      '-e',
      'SPARK_ROLE=master',
      '-e',
      'SHINY_PORT=3939',
      image,
    ]);
    await expect(waitUntilHealthy(other, 120_000)).resolves.toBe('healthy');
    // Shiny Server answers on 3939 (its landing page), and nothing listens on 3838.
    const code = async (port: number): Promise<string> =>
      (
        await docker
          .run([
            'exec',
            other,
            'curl',
            '-s',
            '-o',
            '/dev/null',
            '-w',
            '%{http_code}',
            `http://127.0.0.1:${port}/`,
          ])
          .catch((error: unknown) => ({
            stdout: String((error as { stdout?: string }).stdout ?? '000'),
          }))
      ).stdout;
    expect(await code(3939)).toBe('200');
    expect(await code(3838)).toBe('000');
  });

  it("should link a finished application's page to the history server, at the URL it was given", async () => {
    const finished = (await readMaster()).completedapps.find(
      (app) => app.name === 'srs-image-test',
    );
    expect(finished).toBeDefined();
    const id = finished?.id ?? '';
    const page = await httpGet(`${sparkUi}/app/?appId=${id}`, { timeoutMs: 5000 });
    expect(page.text).toContain(`href="http://127.0.0.1:18080/history/${id}"`);
  });

  it('should bring both roles to healthy', async () => {
    await expect(waitUntilHealthy(master, 120_000)).resolves.toBe('healthy');
    await expect(waitUntilHealthy(workers[0] as string, 120_000)).resolves.toBe('healthy');
  });

  it('should size a worker from its container limits when no cores or memory are given', async () => {
    const network = (
      await docker.run([
        'inspect',
        '--format',
        '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}',
        master,
      ])
    ).stdout;
    const sized = await resources.container(uniqueName('srs-worker-sized'), [
      '--network',
      network,
      ...secrets.spark,
      '--cpus',
      '1.5',
      '--memory',
      '2g',
      '-e',
      'SPARK_ROLE=worker',
      image,
    ]);
    const state = await waitUntil(
      async () => {
        const current = await readMaster();
        return current.aliveworkers === 3 ? current : undefined;
      },
      { description: 'the sized worker to register', timeoutMs: 120_000 },
    );
    const host = (
      await docker.run([
        'inspect',
        '--format',
        `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
        sized,
      ])
    ).stdout;
    const worker = state.workers.find(
      (candidate) => candidate.host === host && candidate.state === 'ALIVE',
    );
    // 1.5 CPUs round up to 2 cores; 2 GiB minus 1 GiB for the worker daemon.
    expect(worker).toMatchObject({ cores: 2, memory: 1024 });
  });

  it('should create the IDE user (uid 1000, groups spark and shiny-authors) and run JupyterLab as that user, with a hashed password only it can read', async () => {
    expect((await docker.run(['exec', master, 'id', 'analyst'])).stdout).toMatch(
      /^uid=1000\(analyst\) gid=1000\(analyst\) groups=1000\(analyst\),185\(spark\),186\(shiny-authors\)$/,
    );
    const jupyter = await waitUntil(
      async () => {
        const { stdout } = await docker.run(['exec', master, 'ps', '-eo', 'user:16,args']);
        return stdout.split('\n').find((line) => line.includes('jupyter-lab'));
      },
      { description: 'JupyterLab to run', timeoutMs: 60_000 },
    );
    expect(jupyter).toMatch(/^analyst\s/);
    expect(
      (
        await docker.run([
          'exec',
          master,
          'stat',
          '-c',
          '%a %U:%G',
          '/etc/srs/jupyter/jupyter_server_config.json',
        ])
      ).stdout,
    ).toBe('640 root:analyst');
    const config = (
      await docker.run(['exec', master, 'cat', '/etc/srs/jupyter/jupyter_server_config.json'])
    ).stdout;
    expect(config).toMatch(/"hashed_password": "argon2:/);
    expect(config).not.toContain(secrets.idePassword);
    // Without RStudio Server no login password is set for the account itself.
    expect(
      (await docker.run(['exec', master, 'sh', '-c', 'getent shadow analyst | cut -d: -f2']))
        .stdout,
    ).toMatch(/^[!*]/);
    const port = await publishedPort(master, 8888);
    const anonymous = await waitUntil(
      async () =>
        httpGet(`http://127.0.0.1:${port}/api/contents`, { timeoutMs: 5000 }).then(
          (response) => response.status,
          () => undefined,
        ),
      { description: 'JupyterLab to answer', timeoutMs: 60_000 },
    );
    expect(anonymous).toBe(403);
  });

  it('should let the IDE user publish Shiny apps and the shiny user only read them', async () => {
    await docker.run([
      'exec',
      '--user',
      'analyst',
      master,
      'sh',
      '-c',
      'mkdir /srv/shiny-server/mine && echo ok > /srv/shiny-server/mine/app.R',
    ]);
    for (const target of [
      '/srv/shiny-server/evil',
      '/srv/shiny-server/mine/app.R',
      '/srv/shiny-server/spark-demo/app.R',
    ]) {
      const attempt = await docker
        .run([
          'exec',
          '--user',
          'shiny',
          master,
          'sh',
          '-c',
          `echo x >> ${target} || mkdir ${target}`,
        ])
        .then(
          () => 'written',
          () => 'refused',
        );
      expect([target, attempt]).toEqual([target, 'refused']);
    }
    expect(
      (await docker.run(['exec', '--user', 'shiny', master, 'cat', '/srv/shiny-server/mine/app.R']))
        .stdout,
    ).toBe('ok');
    expect(
      (await docker.run(['exec', master, 'id', '-nG', 'shiny'])).stdout.split(' '),
    ).not.toContain('shiny-authors');
  });

  it("should keep Spark's configuration root's, so the spark user cannot change what other users' spark-submit reads", async () => {
    const { stdout } = await docker.run([
      'exec',
      master,
      'stat',
      '-c',
      '%n %a %U:%G',
      '/opt/spark/conf',
      '/opt/spark/conf/spark-env.sh',
    ]);
    expect(stdout.split('\n')).toEqual([
      '/opt/spark/conf 755 root:root',
      '/opt/spark/conf/spark-env.sh 644 root:root',
    ]);
    const attempt = await docker
      .run([
        'exec',
        '--user',
        'spark',
        master,
        'sh',
        '-c',
        'echo "export X=1" >> /opt/spark/conf/spark-env.sh',
      ])
      .then(
        () => 'written',
        () => 'refused',
      );
    expect(attempt).toBe('refused');
  });

  it('should keep the Spark secret readable by the spark group only, and out of the logs and the environment', async () => {
    expect(
      (
        await docker.run([
          'exec',
          master,
          'stat',
          '-c',
          '%a %U:%G',
          '/opt/spark/conf/spark-defaults.conf',
        ])
      ).stdout,
    ).toBe('640 root:spark');
    expect((await docker.run(['exec', master, 'id', '-nG', 'shiny'])).stdout.split(' ')).toContain(
      'spark',
    );
    const seen = [
      (await docker.run(['logs', master])).stdout,
      ...(await Promise.all(
        workers.map(async (worker) => (await docker.run(['logs', worker])).stdout),
      )),
      (await docker.run(['inspect', master, ...workers])).stdout,
      (
        await docker.run([
          'exec',
          master,
          'sh',
          '-c',
          'cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n"',
        ])
      ).stdout,
    ].join('\n');
    expect(seen.length).toBeGreaterThan(1000);
    expect(seen).not.toContain(secrets.sparkSecret);
    expect(seen).not.toContain(secrets.idePassword);
    // Nor in any process's command line.
    expect((await docker.run(['exec', master, 'ps', '-eo', 'args'])).stdout).not.toContain(
      secrets.idePassword,
    );
  });

  it('should log every supervised process under its own name', async () => {
    const { stdout } = await docker.run(['logs', master]);
    expect(stdout).toMatch(/^\[spark-master\] .*Master: Starting Spark master at spark:\/\//m);
    expect(stdout).toMatch(/^\[shiny-server\] .*Starting listener on http:\/\/0\.0\.0\.0:3838/m);
    expect(stdout).toMatch(/^\[jupyterlab\] .*Jupyter Server [\d.]+ is running at/m);
    expect(stdout).toMatch(
      /^\[entrypoint\] RStudio Server is not installed in this image .*JupyterLab is the IDE/m,
    );
  });
});

describe('the image refusing to half-start', () => {
  let image: string;
  beforeAll(async () => {
    image = await ensureTestImage();
  });

  it('should exit 64 with one clear line for an unknown role', async () => {
    const result = await runToCompletion(['-e', 'SPARK_ROLE=boss', image]);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain(
      '[entrypoint] error: SPARK_ROLE must be "master" or "worker" (or unset, for a one-container trial), got "boss".',
    );
  });

  it('should make a worker give up after its bound when no master answers', async () => {
    const started = Date.now();
    const result = await runToCompletion([
      '-e',
      'SPARK_ROLE=worker',
      '-e',
      'SPARK_AUTHENTICATE=false',
      '-e',
      'SPARK_MASTER_URL=spark://no-such-master:7077',
      '-e',
      'SPARK_MASTER_WAIT_SECONDS=3',
      image,
    ]);
    expect(result.exitCode).toBe(69);
    expect(result.stderr).toContain(
      '[entrypoint] error: the Spark master at spark://no-such-master:7077 did not answer within 3s.',
    );
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('should exit 78 when authentication is on and no Spark secret is mounted', async () => {
    const result = await runToCompletion(['-e', 'SPARK_ROLE=worker', image]);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain(
      '[entrypoint] error: Spark authentication is on and there is no secret at /run/secrets/spark_auth_secret.',
    );
  });

  it('should exit 78 for a Spark secret in the environment, or one too short', async () => {
    const inEnvironment = await runToCompletion([
      '-e',
      'SPARK_ROLE=worker',
      '-e',
      'SPARK_AUTH_SECRET=0123456789abcdef0123',
      image,
    ]);
    expect(inEnvironment.exitCode).toBe(78);
    expect(inEnvironment.stderr).toContain('error: SPARK_AUTH_SECRET is set in the environment');
    const short = await makeTestSecrets({ sparkSecret: 'tooshort' });
    const tooShort = await runToCompletion([...short.spark, '-e', 'SPARK_ROLE=worker', image]);
    expect(tooShort.exitCode).toBe(78);
    expect(tooShort.stderr).toContain(
      'is too short or has spaces (8 characters; at least 16, no spaces)',
    );
  });

  it.each([
    [
      'an empty IDE password',
      { idePassword: '' },
      'the IDE password in /run/secrets/ide_password is empty; refusing to start.',
    ],
    [
      'an IDE password of two lines',
      { idePassword: 'first-line-pass\nroot:injected' },
      'the IDE password in /run/secrets/ide_password holds a line break or a control character; refusing to start.',
    ],
    [
      'a short IDE password',
      { idePassword: 'short' },
      'the IDE password in /run/secrets/ide_password is shorter than 8 characters; refusing to start.',
    ],
  ])('should exit 78 for %s, before anything starts', async (_name, values, message) => {
    const bad = await makeTestSecrets(values);
    const result = await runToCompletion([
      ...bad.spark,
      ...bad.ide,
      '-e',
      'SPARK_ROLE=master',
      image,
    ]);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain(`[entrypoint] error: ${message}`);
  });

  it.each([
    [
      'IDE_USER=daemon',
      'error: IDE_USER "daemon" names a system account of the image; choose another name.',
    ],
    [
      'IDE_USER=nobody',
      'error: IDE_USER "nobody" names a system account of the image; choose another name.',
    ],
    ['IDE_USER=Bad', 'error: IDE_USER must be a plain user name'],
    [
      'SPARK_LOCAL_IP=1.2.3.4;id',
      'error: SPARK_LOCAL_IP must be an IPv4 address or a host name, got "1.2.3.4;id".',
    ],
    ['SPARK_MASTER_HOST=$(id)', 'error: SPARK_MASTER_HOST must be an IPv4 address or a host name'],
    ['SHINY_PORT=80;x', 'error: SHINY_PORT must be a port number from 1 to 65535, got "80;x".'],
    ['JUPYTER_PORT=0', 'error: JUPYTER_PORT must be a port number from 1 to 65535, got "0".'],
    [
      'SPARK_HISTORY_URL=http://x/$(id)',
      'error: SPARK_HISTORY_URL must be an http(s) URL, got "http://x/$(id)".',
    ],
  ])('should exit 64 with one line for %s', async (setting, message) => {
    const secrets = await makeTestSecrets();
    const result = await runToCompletion([
      ...secrets.spark,
      ...secrets.ide,
      '-e',
      'SPARK_ROLE=master',
      '-e',
      setting,
      image,
    ]);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain(`[entrypoint] ${message}`);
    expect(result.stderr.split('\n').filter((line) => line.includes('error:'))).toHaveLength(1);
  });

  it('should refuse a malformed master URL', async () => {
    const result = await runToCompletion([
      '-e',
      'SPARK_ROLE=worker',
      '-e',
      'SPARK_MASTER_URL=http://master:7077',
      image,
    ]);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain('SPARK_MASTER_URL must look like spark://HOST:PORT');
  });
});
