// What the R benchmarks share: a stack of 2 workers (1 core each) made for the run, one R script
// run with Rscript in its head as the IDE user (the session warm inside the script), the JSON
// object the script printed last, and the stack removed with its volumes and secrets.
import { execa } from 'execa';
import { DEFAULT_IMAGE_TAG, SparkCluster } from '../src/index.js';

export interface RBenchmarkRun {
  stackName: string;
  sparkUiPort: number;
  /** The R script, given on stdin; it prints one JSON object at the end. */
  script: string;
  /** Environment variables of the R process. */
  env?: Record<string, string>;
  timeoutMs: number;
  /** Show the R process's stderr (progress) while it runs. */
  showProgress?: boolean;
}

/** Runs `script` in the head of a fresh 2-worker stack; returns the JSON object it printed. */
export async function runRBenchmark(run: RBenchmarkRun): Promise<Record<string, unknown>> {
  const image = process.env.SRS_IMAGE ?? DEFAULT_IMAGE_TAG;
  const ports = { sparkUi: run.sparkUiPort, https: null };
  const cluster = new SparkCluster({
    stackName: run.stackName,
    image,
    workers: 2,
    worker: { cores: 1, memory: '2g' },
    ports,
    // No demo: the head would start it, registered beside the script; these figures are the
    // script's alone.
    demo: false,
  });
  await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
  await cluster.deploy({ timeoutMs: 300_000 });
  try {
    const master = (
      await execa('docker', [
        'ps',
        '-q',
        '--filter',
        `label=com.docker.swarm.service.name=${run.stackName}_master`,
      ])
    ).stdout.split('\n')[0] as string;
    const env = Object.entries(run.env ?? {}).flatMap(([name, value]) => [
      '--env',
      `${name}=${value}`,
    ]);
    const { stdout } = await execa(
      'docker',
      [
        'exec',
        '-i',
        '--user',
        'analyst',
        '--workdir',
        '/home/analyst',
        ...env,
        master,
        'Rscript',
        '-',
      ],
      {
        input: run.script,
        timeout: run.timeoutMs,
        ...(run.showProgress === true ? { stderr: 'inherit' as const } : {}),
      },
    );
    return JSON.parse(stdout.slice(stdout.indexOf('{'))) as Record<string, unknown>;
  } finally {
    await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
  }
}
