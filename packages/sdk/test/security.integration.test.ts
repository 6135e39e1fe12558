// Secure by default, shown on a real stack: Spark RPC authentication with the stack's Docker
// secret, jobs and workers without it refused, no secret value anywhere Docker shows, 6066 and
// 7077 closed to the host.
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import { httpGet } from '@spark-rstudio-shiny/core';
import { SparkCluster, waitUntil } from '../src/index.js';
import {
  docker,
  ensureTestImage,
  keepStackLogs,
  makeTestSecrets,
  serviceContainers,
  TestResources,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';

/** Whether something accepts TCP connections at host:port. */
function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const JOB = [
  'from pyspark.sql import SparkSession',
  'spark = SparkSession.builder.appName("srs-auth-test").getOrCreate()',
  'print("RESULT", spark.range(0, 1000, numPartitions=2).selectExpr("sum(id) AS s").first()["s"])',
  'spark.stop()',
].join('\n');

describe('a stack with the default security settings', () => {
  const stackName = uniqueName('srs-sec');
  const sparkUiPort = randomInt(40_000, 45_000);
  const resources = new TestResources();
  let cluster: SparkCluster;
  let master: string;
  let sparkSecret: string;
  let idePassword: string;

  /**
   * spark-submit in the master's task as the spark user; resolves with the exit code and output.
   */
  const submit = async (extra: string[]): Promise<{ ok: boolean; output: string }> =>
    docker
      .run(['exec', '--user', 'spark', master, 'spark-submit', ...extra, '/tmp/srs-auth-job.py'], {
        timeoutMs: 240_000,
      })
      .then(
        (result) => ({ ok: true, output: `${result.stdout}\n${result.stderr}` }),
        (error: unknown) => ({
          ok: false,
          output: String((error as { stderr?: string }).stderr ?? error),
        }),
      );

  beforeAll(async () => {
    const image = await ensureTestImage();
    cluster = new SparkCluster({
      stackName,
      image,
      workers: 1,
      worker: { memory: '1g' },
      ports: { sparkUi: sparkUiPort, https: null },
    });
    await cluster.deploy({ timeoutMs: 300_000 });
    master = (await serviceContainers(stackName, 'master'))[0] as string;
    sparkSecret = (await docker.run(['exec', master, 'cat', '/run/secrets/spark_auth_secret']))
      .stdout;
    idePassword = (await cluster.credentials()).ide.password;
    await docker.run(
      ['exec', '-i', '--user', 'spark', master, 'sh', '-c', 'cat > /tmp/srs-auth-job.py'],
      { input: JOB },
    );
  });

  afterAll(async () => {
    await keepStackLogs(cluster.config.stackName);
    await resources.cleanup();
    await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
  });

  it('should have created a random Spark secret and IDE password as Docker secrets', async () => {
    expect(sparkSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(idePassword).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const names = (
      await docker.run([
        'secret',
        'ls',
        '--filter',
        `label=org.spark-rstudio-shiny.stack=${stackName}`,
        '--format',
        '{{.Name}}',
      ])
    ).stdout
      .split('\n')
      .sort();
    expect(names).toEqual([`${stackName}_ide_password`, `${stackName}_spark_auth_secret`]);
    expect(
      (await docker.run(['exec', master, 'stat', '-c', '%a', '/run/secrets/spark_auth_secret']))
        .stdout,
    ).toBe('400');
  });

  it('should run a job that holds the secret, and refuse one without it or with a wrong one', async () => {
    const [right, none, wrong] = await Promise.all([
      submit([]),
      submit(['--conf', 'spark.authenticate=false']),
      submit(['--conf', 'spark.authenticate.secret=0123456789abcdef0123456789abcdef']),
    ]);
    expect(right.output).toContain('RESULT 499500');
    expect(right.ok).toBe(true);
    // Refused at the handshake, then Spark gives up on the master (recorded from Spark 4.2.1).
    for (const [refused, reason] of [
      [none, /Expected SaslMessage/],
      [wrong, /SaslException: DIGEST-MD5/],
    ] as const) {
      expect(refused.ok).toBe(false);
      expect(refused.output).toMatch(reason);
      expect(refused.output).toContain('All masters are unresponsive! Giving up.');
      expect(refused.output).not.toContain('RESULT');
    }
  });

  it('should not let a worker without the secret, or with a wrong one, register', async () => {
    const network = `${stackName}_spark`;
    const wrongSecret = await makeTestSecrets();
    const image = await ensureTestImage();
    // Each rogue, and the reason the master gives it (recorded from Spark 4.2.1's SASL handler).
    const rogues: [string, RegExp][] = [
      [
        await resources.container(uniqueName('srs-rogue-noauth'), [
          '--network',
          network,
          '-e',
          'SPARK_ROLE=worker',
          '-e',
          'SPARK_AUTHENTICATE=false',
          image,
        ]),
        /Expected SaslMessage/,
      ],
      [
        await resources.container(uniqueName('srs-rogue-wrong'), [
          '--network',
          network,
          ...wrongSecret.spark,
          '-e',
          'SPARK_ROLE=worker',
          image,
        ]),
        /SaslException: DIGEST-MD5: digest response format violation/,
      ],
    ];
    for (const [rogue, reason] of rogues) {
      await waitUntil(
        async () => {
          const { stdout, stderr } = await docker.run(['logs', rogue]);
          const log = `${stdout}\n${stderr}`;
          return /WARN Worker: Failed to connect to master master:7077/.test(log) &&
            reason.test(log)
            ? true
            : undefined;
        },
        {
          description: `${rogue} to be refused by the master`,
          timeoutMs: 120_000,
          intervalMs: 2000,
        },
      );
    }
    const status = await cluster.status();
    expect(status.spark.aliveWorkers).toBe(1);
    const rogueHosts = await Promise.all(
      rogues.map(
        async ([rogue]) =>
          (
            await docker.run([
              'inspect',
              '--format',
              `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
              rogue,
            ])
          ).stdout,
      ),
    );
    const registered = status.spark.reachable
      ? status.spark.workers.map((worker) => worker.host)
      : [];
    for (const host of rogueHosts) expect(registered).not.toContain(host);
  });

  it('should show no secret value in docker inspect, the service logs or the image history', async () => {
    const containers = [
      ...(await serviceContainers(stackName, 'master')),
      ...(await serviceContainers(stackName, 'worker')),
    ];
    const logs = await cluster.collectLogs({ deadlineMs: 60_000 });
    const seen = [
      (await docker.run(['service', 'inspect', `${stackName}_master`, `${stackName}_worker`]))
        .stdout,
      (await docker.run(['inspect', ...containers])).stdout,
      (
        await docker.run([
          'secret',
          'inspect',
          `${stackName}_spark_auth_secret`,
          `${stackName}_ide_password`,
        ])
      ).stdout,
      // The processes of the head (JupyterLab, Shiny, R) and their environments.
      (await docker.run(['exec', master, 'ps', '-eo', 'args'])).stdout,
      (
        await docker.run([
          'exec',
          master,
          'sh',
          '-c',
          'cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n"',
        ])
      ).stdout,
      (await docker.run(['history', '--no-trunc', cluster.config.image])).stdout,
      (await docker.run(['image', 'inspect', cluster.config.image])).stdout,
      logs.map((line) => line.message).join('\n'),
    ].join('\n');
    // The haystack is real: the logs hold the master's start line.
    expect(logs.some((line) => /Starting Spark master/.test(line.message))).toBe(true);
    expect(seen).not.toContain(sparkSecret);
    expect(seen).not.toContain(idePassword);
  });

  it('should keep 6066 closed everywhere and 7077 closed to the host', async () => {
    expect(await tcpOpen('127.0.0.1', 7077)).toBe(false);
    expect(await tcpOpen('127.0.0.1', 6066)).toBe(false);
    const worker = (await serviceContainers(stackName, 'worker'))[0] as string;
    const probe = (port: number): Promise<boolean> =>
      docker
        .run(['exec', worker, 'timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/master/${port}`])
        .then(
          () => true,
          () => false,
        );
    // Inside the stack network the probe does reach 7077, so its "closed" for 6066 means something.
    await expect(probe(7077)).resolves.toBe(true);
    await expect(probe(6066)).resolves.toBe(false);
  });

  it('should refuse an anonymous kill of a running application, which keeps running', async () => {
    const slow = [
      'import time',
      'from pyspark.sql import SparkSession',
      'spark = SparkSession.builder.appName("srs-kill-test").getOrCreate()',
      'time.sleep(120)',
      'spark.stop()',
    ].join('\n');
    await docker.run(
      ['exec', '-i', '--user', 'spark', master, 'sh', '-c', 'cat > /tmp/srs-kill-job.py'],
      { input: slow },
    );
    await docker.run([
      'exec',
      '-d',
      '--user',
      'spark',
      master,
      'spark-submit',
      '/tmp/srs-kill-job.py',
    ]);
    const activeApp = async (): Promise<{ id: string; name: string } | undefined> => {
      const answer = await httpGet(`http://127.0.0.1:${sparkUiPort}/json/`, { timeoutMs: 5000 });
      const state = JSON.parse(answer.text) as { activeapps: { id: string; name: string }[] };
      return state.activeapps.find((app) => app.name === 'srs-kill-test');
    };
    const app = await waitUntil(activeApp, {
      description: 'the application to run',
      timeoutMs: 180_000,
      intervalMs: 1000,
    });
    // The kill Spark's UI offers, sent as an anonymous visitor would, with the application's real
    // id.
    const kill = await fetch(
      `http://127.0.0.1:${sparkUiPort}/app/kill/?id=${encodeURIComponent(app.id)}&terminate=true`,
      {
        method: 'POST',
        signal: AbortSignal.timeout(10_000),
      },
    );
    // Kill links are off (spark.ui.killEnabled false): the endpoint is not there (405). Were they
    // on, Spark's ACLs would answer 403. Either way the application keeps running.
    expect([403, 405]).toContain(kill.status);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await activeApp())?.id).toBe(app.id);
    await docker.run(['exec', master, 'pkill', '-f', 'srs-kill-job.py']).catch(() => undefined);
  });

  it('should not follow a link the spark user planted in its volume when the head starts again', async () => {
    // As spark (the master, a job in the head could be), replace work/recovery with a link to
    // conf/.
    await docker.run([
      'exec',
      '--user',
      'spark',
      master,
      'sh',
      '-c',
      'rm -rf /opt/spark/work/recovery && ln -s /opt/spark/conf /opt/spark/work/recovery',
    ]);
    await docker.run(['service', 'update', '--force', '--detach', `${stackName}_master`]);
    await waitUntil(
      async () => {
        const [current] = await serviceContainers(stackName, 'master');
        return current !== undefined && current !== master ? true : undefined;
      },
      { description: 'a new head container', timeoutMs: 300_000, intervalMs: 2000 },
    );
    await cluster.waitUntilReady({ timeoutMs: 300_000 });
    master = (await serviceContainers(stackName, 'master'))[0] as string;
    const conf = (await docker.run(['exec', master, 'stat', '-c', '%U:%G %a', '/opt/spark/conf']))
      .stdout;
    expect(conf).toBe('root:root 755');
    const recovery = (
      await docker.run(['exec', master, 'stat', '-c', '%F %U:%G', '/opt/spark/work/recovery'])
    ).stdout;
    expect(recovery).toBe('directory spark:spark');
  });

  it('should keep the same secrets when deployed again', async () => {
    await cluster.deploy({ timeoutMs: 300_000 });
    master = (await serviceContainers(stackName, 'master'))[0] as string;
    expect(
      (await docker.run(['exec', master, 'cat', '/run/secrets/spark_auth_secret'])).stdout,
    ).toBe(sparkSecret);
    expect((await cluster.credentials()).ide.password).toBe(idePassword);
  });
});

/**
 * An error's code, message and docker's stderr, for an assertion that shows why a deploy failed.
 */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, stderr } = error as { code?: unknown; stderr?: unknown };
  return [
    typeof code === 'string' ? code : '',
    error.message,
    typeof stderr === 'string' ? stderr : '',
  ]
    .filter(Boolean)
    .join(' | ');
}

describe('two deploys of one stack at once', () => {
  const stackName = uniqueName('srs-twice');
  afterAll(async () => {
    await new SparkCluster({ stackName })
      .remove({ purge: true, timeoutMs: 120_000 })
      .catch(() => undefined);
  });

  it('should both succeed, with one secret of each kind', async () => {
    const image = await ensureTestImage();
    const port = randomInt(45_000, 46_000);
    const make = (): SparkCluster =>
      new SparkCluster({
        stackName,
        image,
        workers: 1,
        worker: { memory: '1g' },
        ports: { sparkUi: port, https: null },
      });
    const results = await Promise.allSettled([
      make().deploy({ timeoutMs: 300_000 }),
      make().deploy({ timeoutMs: 300_000 }),
    ]);
    // The reasons, not just the statuses: a rejection says which step lost the race.
    expect(
      results.flatMap((result) => (result.status === 'rejected' ? [errorText(result.reason)] : [])),
    ).toEqual([]);
    const names = (
      await docker.run([
        'secret',
        'ls',
        '--filter',
        `label=org.spark-rstudio-shiny.stack=${stackName}`,
        '--format',
        '{{.Name}}',
      ])
    ).stdout
      .split('\n')
      .sort();
    expect(names).toEqual([`${stackName}_ide_password`, `${stackName}_spark_auth_secret`]);
  });
});
