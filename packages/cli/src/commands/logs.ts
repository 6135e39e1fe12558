import type { Reporter } from '../reporter.js';
import { clusterFor, interruptSignal, type ClusterFlags } from './cluster-options.js';

/** srs logs SERVICE: one line per log line (JSON Lines with --json); -f follows until Ctrl-C. */
export async function logs(
  service: string,
  flags: ClusterFlags & { follow?: boolean; since?: string; tail?: string },
  reporter: Reporter,
): Promise<void> {
  const tail = flags.tail === undefined ? undefined : Number(flags.tail);
  const lines = (await clusterFor(flags)).logs(service as 'master', {
    follow: flags.follow,
    since: flags.since,
    tail,
    signal: interruptSignal(),
  });
  for await (const line of lines) {
    if (reporter.mode === 'json') process.stdout.write(`${JSON.stringify(line)}\n`);
    else
      process.stdout.write(
        `${line.timestamp.toISOString()} ${line.service}.${line.slot ?? '?'} ${line.process === undefined ? '' : `[${line.process}] `}${line.message}\n`,
      );
  }
}
