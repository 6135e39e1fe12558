// Your own packages, the cluster way: an image derived from ours with a Debian package (an R
// package) and a Python wheel, deployed as any upgrade, and both there on the head and the
// workers: importable in the notebooks, and in a UDF that runs on a worker.
import { randomInt } from 'node:crypto';
import { buildImage, SparkCluster, waitUntil, type BuildImageResult } from '../src/index.js';
import {
  docker,
  ensureTestImage,
  JupyterSession,
  keepStackLogs,
  serviceContainers,
  uniqueName,
  type Kernel,
} from '@spark-rstudio-shiny/test-support';

describe('extra packages on head and workers', () => {
  const stackName = uniqueName('srs-extra');
  const tag = `${uniqueName('srs-extra')}:test`;
  const ports = {
    sparkUi: randomInt(46_000, 48_000),
    jupyter: randomInt(48_000, 50_000),
    https: null,
  };
  let built: BuildImageResult;
  let cluster: SparkCluster;
  let jupyter: JupyterSession;

  beforeAll(async () => {
    // The plain image first (shared with the other tests), then ours on top of it.
    await ensureTestImage();
    built = await buildImage({
      tag,
      extra: { apt: ['r-cran-zoo'], pip: ['tabulate==0.9.0'] },
      onProgress: () => undefined,
    });
    cluster = new SparkCluster({ stackName, image: built.tag, workers: 1, demo: false, ports });
    await cluster.deploy({ timeoutMs: 600_000 });
    const login = (await cluster.credentials()).ide;
    jupyter = await waitUntil(() => JupyterSession.login(login.jupyter as string, login.password), {
      description: 'JupyterLab to take the login',
      timeoutMs: 120_000,
      intervalMs: 2000,
    });
  }, 1_200_000);

  afterAll(async () => {
    await keepStackLogs(stackName);
    await cluster?.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
    await docker.run(['image', 'rm', tag]).catch(() => undefined);
  });

  it('should name the packages in the image it built, on top of the plain one', async () => {
    expect(built.tag).toBe(tag);
    const { stdout } = await docker.run([
      'image',
      'inspect',
      '--format',
      '{{index .Config.Labels "org.spark-rstudio-shiny.extra-apt"}}|{{index .Config.Labels "org.spark-rstudio-shiny.extra-pip"}}',
      tag,
    ]);
    expect(stdout).toBe('r-cran-zoo|tabulate==0.9.0');
  });

  it('should import the Python package in a notebook and in a UDF on the worker', async () => {
    const kernel: Kernel = await jupyter.startKernel('python3');
    try {
      const run = await kernel.execute(
        [
          'import json, socket, tabulate',
          'from pyspark.sql import SparkSession',
          'from pyspark.sql.functions import udf',
          'spark = SparkSession.builder.getOrCreate()',
          '@udf("string")',
          'def where(_):',
          '    import tabulate, socket',
          '    return tabulate.__version__ + "@" + socket.gethostname()',
          'rows = spark.range(0, 4, numPartitions=2).select(where("id").alias("w")).distinct().collect()',
          'print(json.dumps({"head": tabulate.__version__, "driver": socket.gethostname(), "executors": sorted(r["w"] for r in rows)}))',
        ].join('\n'),
      );
      expect(run.error).toBeUndefined();
      const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
        head: string;
        driver: string;
        executors: string[];
      };
      expect(result.head).toBe('0.9.0');
      expect(result.executors.length).toBeGreaterThan(0);
      for (const executor of result.executors) {
        const [version, host] = executor.split('@');
        expect(version).toBe('0.9.0');
        // The UDF ran in a worker's container, not in the head.
        expect(host).not.toBe(result.driver);
      }
    } finally {
      await kernel.close();
    }
  });

  it('should load the R package in a notebook and on the worker', async () => {
    const kernel: Kernel = await jupyter.startKernel('ir');
    try {
      const run = await kernel.execute('library(zoo); cat(as.character(packageVersion("zoo")))');
      expect(run.error).toBeUndefined();
      expect(run.stdout).toMatch(/^1\.8/);
    } finally {
      await kernel.close();
    }
    const [worker] = await serviceContainers(stackName, 'worker');
    const { stdout } = await docker.run([
      'exec',
      worker as string,
      'Rscript',
      '-e',
      'library(zoo); cat(as.character(packageVersion("zoo")))',
    ]);
    expect(stdout).toMatch(/^1\.8/);
  });
});
