// Spark Connect from outside the cluster, as a laptop's Python uses it: pyspark-client (from
// PyPI, hash-pinned in test/python/connect-client.txt) on this host against a stack deployed with
// ports.sparkConnect. No token or a wrong one is refused; the stack's token runs a job whose tasks
// run on the worker; the token is in no inspect output, log, process list or environment.
import { randomInt } from 'node:crypto';
import { SparkCluster } from '../src/index.js';
import {
  docker,
  ensureTestImage,
  keepStackLogs,
  serviceContainers,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';
import {
  connectClientPython,
  runConnectJob,
  type ConnectJobResult,
} from './python/connect-client.js';

describe('Spark Connect for clients outside the cluster', () => {
  const stackName = uniqueName('srs-connect');
  const basePort = randomInt(20_000, 40_000);
  let cluster: SparkCluster;
  let python = '';

  const client = (url: string): Promise<ConnectJobResult> => runConnectJob(python, url);

  beforeAll(async () => {
    const [installed, image] = await Promise.all([connectClientPython(), ensureTestImage()]);
    python = installed;
    cluster = new SparkCluster({
      stackName,
      image,
      workers: 1,
      demo: false,
      ports: { sparkUi: basePort, https: null, sparkConnect: basePort + 1 },
    });
    await cluster.deploy({ timeoutMs: 300_000 });
  });

  afterAll(async () => {
    await keepStackLogs(stackName);
    await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
  });

  it('should give the connection string with the stack token, and list the endpoint in urls', async () => {
    const info = await cluster.connectInfo();
    expect(info.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(info.url).toBe(`sc://localhost:${basePort + 1}/;token=${info.token}`);
    expect(cluster.urls.sparkConnect).toBe(`sc://127.0.0.1:${basePort + 1}`);
  });

  it('should refuse a client without the token, and one with a wrong token', async () => {
    const port = basePort + 1;
    // The server starts its session after the head is ready: the first answer may take a while.
    const none = await client(`sc://localhost:${port}`);
    expect(none.message).toMatch(/UNAUTHENTICATED/);
    const wrong = await client(`sc://localhost:${port}/;token=${'x'.repeat(43)}`);
    expect(wrong.message).toMatch(/UNAUTHENTICATED.*Invalid authentication token/s);
  });

  it("should run a job from the client with the stack's token, its tasks on the worker", async () => {
    const result = await client((await cluster.connectInfo()).url);
    // 0 + 1 + … + 999999, computed here.
    expect(result).toMatchObject({ total: (999_999 * 1_000_000) / 2 });
    const [worker = ''] = await serviceContainers(stackName, 'worker');
    const [head = ''] = await serviceContainers(stackName, 'master');
    expect(result.hosts).toHaveLength(1);
    expect(result.hosts?.[0]?.startsWith(`${worker.slice(0, 12)}/`)).toBe(true);
    expect(result.hosts?.[0]?.startsWith(`${head.slice(0, 12)}/`)).toBe(false);
  });

  it('should keep the token out of inspect output, logs, process lists and environments', async () => {
    const { token } = await cluster.connectInfo();
    const [head = ''] = await serviceContainers(stackName, 'master');
    const [worker = ''] = await serviceContainers(stackName, 'worker');
    const seen = await Promise.all([
      docker.run(['inspect', head, worker]),
      docker.run(['service', 'inspect', `${stackName}_master`, `${stackName}_worker`]),
      docker.run(['service', 'logs', '--raw', `${stackName}_master`]),
      docker.run(['exec', head, 'ps', '-eo', 'args']),
      docker.run([
        'exec',
        head,
        'sh',
        '-c',
        'cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n"',
      ]),
      docker.run([
        'exec',
        '--user',
        'analyst',
        head,
        'sh',
        '-c',
        'cat /run/srs/spark-connect.properties /run/secrets/connect_token 2>&1 || true',
      ]),
    ]);
    for (const output of seen) expect(`${output.stdout}\n${output.stderr}`).not.toContain(token);
    // The IDE user is refused both files that hold it.
    expect(seen[5]?.stdout).toMatch(/Permission denied[\s\S]*Permission denied/);
  });
});
