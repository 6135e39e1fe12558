// Spark Connect's Python client as a laptop has it: pyspark-client from PyPI, hash-pinned in
// connect-client.txt, in a venv made once per lock (cached beside the project's other tools),
// running connect-job.py against a connection string.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const LOCK = fileURLToPath(new URL('./connect-client.txt', import.meta.url));
const JOB = fileURLToPath(new URL('./connect-job.py', import.meta.url));

/** The venv's python, with the locked client installed. */
export async function connectClientPython(): Promise<string> {
  const lock = await readFile(LOCK);
  const digest = createHash('sha256').update(lock).digest('hex').slice(0, 12);
  const venv = join(homedir(), '.cache', 'spark-rstudio-shiny', 'tools', `connect-${digest}`);
  const python = join(venv, 'bin', 'python');
  if (existsSync(join(venv, '.complete'))) return python;
  await rm(venv, { recursive: true, force: true });
  await mkdir(join(venv, '..'), { recursive: true });
  await execa('python3', ['-m', 'venv', venv]);
  await execa(python, ['-m', 'pip', 'install', '-q', '--require-hashes', '-r', LOCK], {
    timeout: 600_000,
  });
  await execa('touch', [join(venv, '.complete')]);
  return python;
}

/** What connect-job.py printed: the job's total and the hosts that ran it, or the error. */
export interface ConnectJobResult {
  total?: number;
  hosts?: string[];
  error?: string;
  message?: string;
}

/**
 * Runs connect-job.py with `python` against `url` (with extra environment, e.g. a CA file), for
 * at most `timeoutMs` (an unreachable server is retried by the client for minutes).
 */
export async function runConnectJob(
  python: string,
  url: string,
  env: Record<string, string> = {},
  timeoutMs = 300_000,
): Promise<ConnectJobResult> {
  const run = await execa(python, [JOB, url], { timeout: timeoutMs, reject: false, env });
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(
    last === ''
      ? `{"error":"no output","message":${JSON.stringify(run.stderr.slice(-500))}}`
      : last,
  ) as ConnectJobResult;
}
