// Deploys a cluster with one worker, scales it to two, and prints Spark's view as JSON.
//   npx tsx examples/deploy-and-scale.ts
// Environment: SRS_STACK (default srs); host ports SRS_SPARK_UI_PORT (8080), SRS_SHINY_PORT
// (3838), SRS_JUPYTER_PORT (8888), SRS_RSTUDIO_PORT (8787), SRS_SPARK_HISTORY_PORT (18080),
// each "none" to leave it unpublished.
import { SparkCluster } from '@spark-rstudio-shiny/sdk';

const port = (name: string, fallback: number): number | null => {
  const value = process.env[name];
  return value === undefined ? fallback : value === 'none' ? null : Number(value);
};

// The SDK validates every option (a bad port is refused before anything runs).
const cluster = new SparkCluster({
  stackName: process.env.SRS_STACK ?? 'srs',
  workers: 1,
  ports: {
    sparkUi: port('SRS_SPARK_UI_PORT', 8080) ?? 8080,
    shiny: port('SRS_SHINY_PORT', 3838),
    jupyter: port('SRS_JUPYTER_PORT', 8888),
    rstudio: port('SRS_RSTUDIO_PORT', 8787),
    sparkHistory: port('SRS_SPARK_HISTORY_PORT', 18080),
  },
});

const deployed = await cluster.deploy({ timeoutMs: 5 * 60_000 });
console.error(`deployed: ${deployed.spark.aliveWorkers} worker(s) ALIVE`);

const scaled = await cluster.scaleWorkers(2, { timeoutMs: 3 * 60_000 });
console.log(
  JSON.stringify({ aliveWorkers: scaled.spark.aliveWorkers, sparkUi: scaled.urls.sparkUi }),
);
