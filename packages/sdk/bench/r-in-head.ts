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

/**
 * What the benchmarks that compare two ways in turns share, in R (put it at the top of their
 * script): progress() logs a line with the time; apps() counts the applications the master runs;
 * wait_for() polls a condition up to a deadline; in_turns() runs two measurements `runs` times
 * each, the order reversed every other run, so neither always runs right after the other (on a
 * machine it warmed or loaded). Each measurement returns its seconds, or a named vector or list
 * whose "seconds" they are; in_turns() returns list(first, second) of what they returned.
 */
export const R_IN_TURNS = String.raw`
progress <- function(...) message(format(Sys.time(), "%H:%M:%S "), ...)
apps <- function() length(srspark:::master_state(timeout = 5)$activeapps)
wait_for <- function(condition, what, seconds = 180) {
  deadline <- Sys.time() + seconds
  while (!condition()) {
    if (Sys.time() > deadline) stop("timed out waiting for ", what)
    Sys.sleep(1)
  }
}
seconds_of <- function(result) if (is.null(names(result))) result else result[["seconds"]]
in_turns <- function(runs, first, second, labels) {
  turns <- list(first = list(), second = list())
  for (run in seq_len(runs)) {
    if (run %% 2 == 1) {
      turns$first[[run]] <- first()
      turns$second[[run]] <- second()
    } else {
      turns$second[[run]] <- second()
      turns$first[[run]] <- first()
    }
    progress(
      "run ", run, ": ", labels[[1]], " ", seconds_of(turns$first[[run]]), " s, ",
      labels[[2]], " ", seconds_of(turns$second[[run]]), " s"
    )
  }
  turns
}
`;

/** The --runs argument of a benchmark that compares in turns (1 to 10), or exits with its usage. */
export function runsArgument(bench: string, fallback: number): number {
  const at = process.argv.indexOf('--runs');
  const runs = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(runs) || runs < 1 || runs > 10) {
    process.stderr.write(`usage: ${bench} [--runs ${fallback}]   (runs from 1 to 10)\n`);
    process.exit(2);
  }
  return runs;
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
