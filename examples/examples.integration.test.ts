// Every example script, run as a user runs it (tsx, public SDK API only), against one real stack.
import { randomBytes, randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { SparkCluster } from '@spark-rstudio-shiny/sdk';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// A stack name and a door port of this test's own: it runs beside a stack `npm run up` made with
// the defaults. The default ports otherwise: the front door only.
const env = {
  SRS_STACK: `srs-ex-${randomBytes(3).toString('hex')}`,
  SRS_HTTPS_PORT: String(randomInt(30_000, 40_000)),
};

function example(
  name: string,
  ...args: string[]
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return execa(`${ROOT}node_modules/.bin/tsx`, [`${ROOT}examples/${name}.ts`, ...args], {
    env,
    reject: false,
    timeout: 600_000,
  }).then((result) => ({
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  }));
}

describe('the example scripts', () => {
  afterAll(async () => {
    // Everything the examples made, volumes and secrets included.
    await new SparkCluster({ stackName: env.SRS_STACK })
      .remove({ purge: true, timeoutMs: 120_000 })
      .catch(() => undefined);
  });

  it('deploy-and-scale should end with 2 ALIVE workers', async () => {
    const result = await example('deploy-and-scale');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      aliveWorkers: 2,
      // Behind the door: its status was read inside the head.
      sparkUi: `https://127.0.0.1:${env.SRS_HTTPS_PORT}/spark`,
    });
  });

  it('submit-spark-job should print an estimate of pi computed on the cluster', async () => {
    const result = await example('submit-spark-job');
    expect(result.exitCode).toBe(0);
    const { pi } = JSON.parse(result.stdout) as { pi: number };
    expect(pi).toBeGreaterThan(3.1);
    expect(pi).toBeLessThan(3.18);
  });

  it('tail-logs should follow the master log and stop by itself', async () => {
    const result = await example('tail-logs', '3');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^\S+ (spark-master|shiny-server|entrypoint|-): /m);
    expect(result.stderr).toMatch(/followed \d+ line\(s\) for 3s/);
  });

  it('autoscaler should scale into its bounds', async () => {
    const result = await example('autoscaler', '--min', '3', '--max', '3', '--rounds', '1');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ round: 0, from: 2, to: 3 });
    const refused = await example('autoscaler', '--min', '4', '--max', '2');
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('error: need whole numbers 0 <= --min <= --max');
  });
});
