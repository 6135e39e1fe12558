// A small autoscaler: watches the Spark master and keeps enough workers for the cores the running
// and waiting applications want, within [min, max].
//   npx tsx examples/autoscaler.ts --min 1 --max 4 [--interval 10] [--rounds N]
// Environment: SRS_STACK (default srs).
import { parseArgs } from 'node:util';
import { SparkCluster, type ClusterStatus } from '@spark-rstudio-shiny/sdk';

const { values } = parseArgs({
  options: {
    min: { type: 'string', default: '1' },
    max: { type: 'string', default: '4' },
    interval: { type: 'string', default: '10' },
    rounds: { type: 'string' },
  },
});
const min = Number(values.min);
const max = Number(values.max);
if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
  console.error(
    `error: need whole numbers 0 <= --min <= --max, got --min ${values.min} --max ${values.max}`,
  );
  process.exit(2);
}

// The stack as it was deployed: its ports and host come from the stack itself.
const cluster = await SparkCluster.attach(process.env.SRS_STACK ?? 'srs');

/**
 * Workers wanted: one per core in use or asked for by waiting apps (1-core workers), within bounds.
 */
function target(status: ClusterStatus): number {
  if (!status.spark.reachable) return min;
  const waiting = status.spark.activeApps.filter((app) => app.state === 'WAITING').length;
  const wanted = status.spark.coresUsed + waiting;
  return Math.min(max, Math.max(min, wanted));
}

const rounds = values.rounds === undefined ? Number.POSITIVE_INFINITY : Number(values.rounds);
for (let round = 0; round < rounds; round += 1) {
  const status = await cluster.status();
  const want = target(status);
  const have = status.services.find((service) => service.name === 'worker')?.desired ?? 0;
  if (want !== have) {
    console.log(JSON.stringify({ round, from: have, to: want }));
    await cluster.scaleWorkers(want, { timeoutMs: 5 * 60_000 });
  } else {
    console.log(JSON.stringify({ round, steady: have }));
  }
  if (round + 1 < rounds)
    await new Promise((resolve) => setTimeout(resolve, Number(values.interval) * 1000));
}
