// Follows the master's log for a while, printing each line with the process that wrote it.
//   npx tsx examples/tail-logs.ts [seconds]
// Environment: SRS_STACK (default srs).
import { SparkCluster } from '@spark-rstudio-shiny/sdk';

const seconds = Number(process.argv[2] ?? 10);
const cluster = await SparkCluster.attach(process.env.SRS_STACK ?? 'srs');

// The follow ends cleanly when the signal aborts: after `seconds`, or on Ctrl-C.
const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(seconds * 1000)]);

let count = 0;
for await (const line of cluster.logs('master', { follow: true, tail: 20, signal })) {
  count += 1;
  console.log(`${line.timestamp.toISOString()} ${line.process ?? '-'}: ${line.message}`);
}
console.error(`followed ${count} line(s) for ${seconds}s`);
