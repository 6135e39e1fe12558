// What the SDK does inside the head's container (the master task on this engine's node): run a
// PySpark job with spark-submit, and read the IDE password Docker holds as a secret (Docker
// never hands a secret's value back through its API).
import { SrsError, type DockerClient } from '@spark-rstudio-shiny/core';
import {
  masterUnreachable,
  parseSparkStatus,
  type SparkStatus,
} from '../spark/spark-master-status.js';

/**
 * The running master container of a stack on this engine's node, found by the labels its
 * orchestrator gives it (Swarm's service name, or Compose's project and service).
 */
export async function headContainer(
  docker: DockerClient,
  stackName: string,
  options: { labels: readonly string[]; signal?: AbortSignal | undefined },
): Promise<string> {
  const { labels } = options;
  const { stdout: ids } = await docker.run(
    [
      'ps',
      '-q',
      ...labels.flatMap((label) => ['--filter', `label=${label}`]),
      '--filter',
      'status=running',
    ],
    {
      timeoutMs: 30_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
  );
  const container = ids.split('\n').find((id) => id !== '');
  if (container === undefined) {
    throw new SrsError({
      code: 'STACK_NOT_FOUND',
      message: `no running head (master) container of stack ${stackName} on this engine's node`,
      hint: 'run this against the node that runs the master (DOCKER_HOST), or wait until the stack is ready',
    });
  }
  return container;
}

/**
 * Runs a PySpark script with spark-submit in the head container: the script goes to a private
 * file with an unpredictable name (mktemp, mode 0600), removed afterwards.
 */
export async function submitPythonIn(
  docker: DockerClient,
  container: string,
  script: string,
  options: { args?: readonly string[]; timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<{ stdout: string; stderr: string }> {
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  const { stdout: path } = await docker.run(
    [
      'exec',
      '-i',
      '--user',
      'spark',
      container,
      'sh',
      '-c',
      'umask 077; file=$(mktemp --suffix=.py /tmp/srs-job-XXXXXXXXXX) && cat > "$file" && echo "$file"',
    ],
    {
      ...signalOption,
      input: script,
    },
  );
  try {
    const result = await docker.run(
      ['exec', '--user', 'spark', container, 'spark-submit', path, ...(options.args ?? [])],
      { ...signalOption, timeoutMs: options.timeoutMs },
    );
    return { stdout: result.stdout, stderr: result.stderr };
  } finally {
    await docker
      .run(['exec', '--user', 'spark', container, 'rm', '-f', path], { timeoutMs: 30_000 })
      .catch(() => undefined);
  }
}

/**
 * A secret's value as the head reads it from /run/secrets (Docker never hands a secret's value
 * back through its API).
 */
export async function readHeadSecret(
  docker: DockerClient,
  container: string,
  name: 'ide_password' | 'connect_token' | 'tls_ca' | 'tls_cert',
  signal?: AbortSignal,
): Promise<string> {
  const { stdout } = await docker.run(['exec', container, 'cat', `/run/secrets/${name}`], {
    timeoutMs: 30_000,
    ...(signal === undefined ? {} : { signal }),
  });
  return stdout;
}

/**
 * The IDE password (the stack's secret, as the head reads it) and whether RStudio Server is
 * installed.
 */
export async function readIdeLogin(
  docker: DockerClient,
  container: string,
  signal?: AbortSignal,
): Promise<{ password: string; rstudioInstalled: boolean }> {
  const signalOption = signal === undefined ? {} : { signal };
  const password = await readHeadSecret(docker, container, 'ide_password', signal);
  const rstudioInstalled = await docker
    .run(['exec', container, 'test', '-x', '/usr/lib/rstudio-server/bin/rserver'], {
      timeoutMs: 30_000,
      ...signalOption,
    })
    .then(
      () => true,
      () => false,
    );
  return { password, rstudioInstalled };
}

/**
 * The Spark master's status read inside the head (its UI on the container's loopback), for
 * stacks that publish no plain Spark UI port.
 */
export async function readSparkStatusIn(
  docker: DockerClient,
  container: string,
  signal?: AbortSignal,
): Promise<SparkStatus> {
  const url = 'http://127.0.0.1:8080/json/';
  const { stdout } = await docker
    .run(['exec', container, 'curl', '-fsS', '--max-time', '4', url], {
      timeoutMs: 10_000,
      ...(signal === undefined ? {} : { signal }),
    })
    .catch((error: unknown) => {
      if (signal?.aborted === true) throw error;
      throw masterUnreachable(`${url} in the head`, 'does not answer', error);
    });
  return parseSparkStatus(stdout, `${url} in the head`);
}
