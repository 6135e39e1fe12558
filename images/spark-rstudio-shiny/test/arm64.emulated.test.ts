// The arm64 image, built and run on this machine under QEMU emulation (npm run test:arm64): the
// build for another architecture (its base image bootstrapped for arm64, the lock's aarch64
// wheels, RStudio absent and said so), then a Spark master, one worker and a PySpark job with an
// exact result, every process an aarch64 one. Prints what each part took.
import { waitUntil } from '@spark-rstudio-shiny/core';
import {
  docker,
  makeTestSecrets,
  TestResources,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';
import { buildImage, type BuildImageResult } from '../src/index.js';

const TAG = 'spark-rstudio-shiny:4.2.1-arm64';
const seconds = (since: number): number => Number(((performance.now() - since) / 1000).toFixed(1));

describe('the arm64 image under emulation', () => {
  const resources = new TestResources();
  const timings: Record<string, number> = {};
  let built: BuildImageResult;
  const steps: string[] = [];

  beforeAll(async () => {
    const started = performance.now();
    built = await buildImage({
      tag: TAG,
      architectures: ['arm64'],
      onProgress: (event) => {
        if (event.kind === 'step') {
          steps.push(event.message);
          process.stderr.write(`[arm64] ${event.message}\n`);
        }
      },
    });
    timings['buildSeconds'] = seconds(started);
  }, 14_400_000);

  afterAll(async () => {
    await resources.cleanup();
    process.stderr.write(`ARM64 ${JSON.stringify(timings)}\n`);
  });

  it('should be an arm64 image, with the versions it installed and RStudio absent, said so', async () => {
    const { stdout } = await docker.run([
      'image',
      'inspect',
      '--format',
      '{{.Architecture}} {{index .Config.Labels "org.spark-rstudio-shiny.architecture"}}',
      TAG,
    ]);
    expect(stdout).toBe('arm64 arm64');
    expect(built.images.map((image) => image.architecture)).toEqual(['arm64']);
    expect(built.labels['org.spark-rstudio-shiny.spark']).toBe('4.2.1');
    expect(built.rstudio).toBe('absent');
    expect(
      steps.some((step) =>
        /RStudio Server: skipped, no sha256 known for rstudio-server-.*-arm64\.deb, so RStudio is absent on arm64/.test(
          step,
        ),
      ),
    ).toBe(true);
  });

  it('should run a master, a worker and a PySpark job with the exact result, all aarch64', async () => {
    const secrets = await makeTestSecrets();
    const network = await resources.network(uniqueName('srs-arm64'));
    const started = performance.now();
    const master = await resources.container(uniqueName('srs-arm64-master'), [
      '--platform',
      'linux/arm64',
      '--network',
      network,
      '--network-alias',
      'master',
      ...secrets.spark,
      ...secrets.ide,
      '-e',
      'SPARK_ROLE=master',
      TAG,
    ]);
    await resources.container(uniqueName('srs-arm64-worker'), [
      '--platform',
      'linux/arm64',
      '--network',
      network,
      ...secrets.spark,
      '-e',
      'SPARK_ROLE=worker',
      '-e',
      'SPARK_WORKER_CORES=2',
      '-e',
      'SPARK_MASTER_WAIT_SECONDS=1200',
      TAG,
    ]);
    await waitUntil(
      async () => {
        const state = await docker
          .run(['exec', master, 'curl', '-fsS', '--max-time', '5', 'http://127.0.0.1:8080/json/'])
          .catch(() => undefined);
        return state !== undefined && /"aliveworkers"\s*:\s*1/.test(state.stdout)
          ? true
          : undefined;
      },
      { description: 'the arm64 master with its worker', timeoutMs: 1_800_000, intervalMs: 5000 },
    );
    timings['masterAndWorkerAliveSeconds'] = seconds(started);
    const machine = (await docker.run(['exec', master, 'uname', '-m'])).stdout;
    expect(machine).toBe('aarch64');
    const job = [
      'from pyspark.sql import SparkSession',
      'spark = SparkSession.builder.appName("arm64").getOrCreate()',
      'print("RESULT", spark.range(0, 100000, numPartitions=4).selectExpr("sum(id)").first()[0])',
      'spark.stop()',
    ].join('\n');
    const jobStarted = performance.now();
    const { stdout } = await docker.run(
      [
        'exec',
        '-i',
        '--user',
        'analyst',
        master,
        'bash',
        '-c',
        'cat > /tmp/job.py && spark-submit /tmp/job.py 2>/dev/null',
      ],
      {
        input: job,
        timeoutMs: 3_600_000,
      },
    );
    timings['jobSeconds'] = seconds(jobStarted);
    // The sum of 0..99999, computed here.
    expect(stdout).toMatch(new RegExp(`^RESULT ${(99_999 * 100_000) / 2}$`, 'm'));
  });
});
