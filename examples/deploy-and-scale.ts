// Deploys a cluster with one worker, scales it to two, and prints Spark's view as JSON.
//   npx tsx examples/deploy-and-scale.ts
// Environment: SRS_STACK (default srs); host ports SRS_HTTPS_PORT (the front door, default 8443)
// and, off unless given, the plain ones: SRS_SPARK_UI_PORT, SRS_SHINY_PORT, SRS_JUPYTER_PORT,
// SRS_RSTUDIO_PORT, SRS_SPARK_HISTORY_PORT; "none" leaves one unpublished.
import { SparkCluster } from '@spark-rstudio-shiny/sdk';

const port = (name: string, fallback: number | null): number | null => {
  const value = process.env[name];
  return value === undefined ? fallback : value === 'none' ? null : Number(value);
};

// The SDK validates every option (a bad port is refused before anything runs).
const cluster = new SparkCluster({
  stackName: process.env.SRS_STACK ?? 'srs',
  workers: 1,
  ports: {
    https: port('SRS_HTTPS_PORT', 8443),
    sparkUi: port('SRS_SPARK_UI_PORT', null),
    shiny: port('SRS_SHINY_PORT', null),
    jupyter: port('SRS_JUPYTER_PORT', null),
    rstudio: port('SRS_RSTUDIO_PORT', null),
    sparkHistory: port('SRS_SPARK_HISTORY_PORT', null),
  },
});

const deployed = await cluster.deploy({ timeoutMs: 5 * 60_000 });
console.error(`deployed: ${deployed.spark.aliveWorkers} worker(s) ALIVE`);

const scaled = await cluster.scaleWorkers(2, { timeoutMs: 3 * 60_000 });
console.log(
  JSON.stringify({ aliveWorkers: scaled.spark.aliveWorkers, sparkUi: scaled.urls.sparkUi }),
);
