import { isSrsError, SrsError } from '@spark-rstudio-shiny/sdk';

/**
 * The flag (or argument) a user types for each option path of the SDK, so that a refusal names
 * what was typed: `--worker-memory must be …`, not `worker.memory: must be …`.
 */
export const FLAG_OF_PATH: Readonly<Record<string, string>> = {
  stackName: '--stack',
  'stack name': '--stack',
  orchestrator: '--orchestrator',
  image: '--image',
  workers: '--workers',
  count: '<n>',
  'worker.cores': '--worker-cores',
  'worker.memory': '--worker-memory',
  'master.cpus': '--master-cpus',
  'master.memory': '--master-memory',
  'ports.sparkUi': '--port-spark-ui',
  'ports.shiny': '--port-shiny',
  'ports.jupyter': '--port-jupyter',
  'ports.rstudio': '--port-rstudio',
  'ports.sparkHistory': '--port-spark-history',
  'ports.sparkMaster': '--port-spark-master',
  'ports.sparkConnect': '--port-spark-connect',
  'ports.https': '--port-https',
  host: '--host',
  'security.ideUser': '--ide-user',
  'security.networkEncryption': '--network-encryption',
  demo: '--no-demo',
  timeoutMs: '--timeout',
  service: '<service>',
  since: '--since',
  tail: '--tail',
  certificate: '--cert',
  key: '--key',
  ca: '--ca',
};

/**
 * A validation error's message in the CLI's words: each issue named by its flag, one line per
 * flag (the first issue of each: the others follow from it). Other errors are returned as they
 * are.
 */
export function withFlagNames(error: unknown): unknown {
  if (!isSrsError(error) || error.code !== 'INVALID_CONFIGURATION' || error.issues.length === 0)
    return error;
  // A value validated whole (a service name, a count) has no path: its error names it instead.
  const what = /^invalid ([^:]+):/.exec(error.message)?.[1] ?? 'value';
  const first = new Map<string, string>();
  for (const issue of error.issues) {
    const path = issue.path === '' ? what : issue.path;
    const name = FLAG_OF_PATH[path] ?? path;
    if (!first.has(name)) first.set(name, issue.message);
  }
  const message = [...first].map(([name, text]) => `${name} ${text}`).join('; ');
  return new SrsError({
    code: error.code,
    message: `invalid option: ${message}`,
    hint: error.hint,
    issues: error.issues,
    cause: error,
  });
}
