// Upgrades on a real swarm: a rebuilt image under the same name rolls the services onto it (the
// SDK deploys by image ID), nothing in the volumes or secrets is lost, and a broken image is
// rolled back by Swarm with ROLLBACK_HAPPENED while the previous image keeps serving.
import { randomInt } from 'node:crypto';
import { SparkCluster, SrsError } from '../src/index.js';
import {
  docker,
  ensureTestImage,
  keepStackLogs,
  serviceContainers,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';

/** Builds `tag` from the image under test with one more instruction; returns its ID. */
async function derive(base: string, tag: string, instruction: string): Promise<string> {
  await docker.run(['build', '-t', tag, '-'], { input: `FROM ${base}\n${instruction}\n` });
  return (await docker.run(['image', 'inspect', '--format', '{{.Id}}', tag])).stdout;
}

describe('upgrades of a deployed stack', () => {
  const stackName = uniqueName('srs-upg');
  const tag = `${uniqueName('srs-upgrade')}:test`;
  const basePort = randomInt(20_000, 40_000);
  let base = '';
  let cluster: SparkCluster;

  beforeAll(async () => {
    base = await ensureTestImage();
    cluster = new SparkCluster({
      stackName,
      image: tag,
      workers: 1,
      demo: false,
      ports: { sparkUi: basePort, https: null },
    });
  });

  afterAll(async () => {
    await keepStackLogs(stackName);
    await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
    await docker.run(['image', 'rm', tag]).catch(() => undefined);
    await docker
      .run([
        'image',
        'prune',
        '--force',
        '--filter',
        `label=org.spark-rstudio-shiny.test-upgrade=${stackName}`,
      ])
      .catch(() => undefined);
  });

  it('should roll every task onto a rebuilt image of the same name, keeping volumes and secrets, and roll a broken one back', async () => {
    const first = await derive(
      base,
      tag,
      `LABEL org.spark-rstudio-shiny.test-upgrade=${stackName} org.spark-rstudio-shiny.test-revision=1`,
    );
    const deployed = await cluster.deploy({ timeoutMs: 300_000 });
    expect(
      deployed.services.map((service) => [service.name, service.image, service.imageTag]),
    ).toEqual(
      expect.arrayContaining([
        ['master', first, tag],
        ['worker', first, tag],
      ]),
    );
    const [head = ''] = await serviceContainers(stackName, 'master');
    await docker.run(['exec', head, 'sh', '-c', 'echo kept > /data/upgrade-check']);
    const password = (await cluster.credentials()).ide.password;

    // The same name, a new image: a deploy rolls the tasks onto it.
    const second = await derive(
      base,
      tag,
      `LABEL org.spark-rstudio-shiny.test-upgrade=${stackName} org.spark-rstudio-shiny.test-revision=2`,
    );
    expect(second).not.toBe(first);
    const upgraded = await cluster.deploy({ timeoutMs: 300_000 });
    expect(upgraded.ready).toBe(true);
    const running = upgraded.tasks.filter((task) => task.desiredState === 'running');
    expect(running.map((task) => [task.service, task.image]).sort()).toEqual([
      ['master', second],
      ['worker', second],
    ]);
    expect(upgraded.spark.reachable && upgraded.spark.aliveWorkers).toBe(1);
    const [newHead = ''] = await serviceContainers(stackName, 'master');
    expect(newHead).not.toBe(head);
    expect((await docker.run(['exec', newHead, 'cat', '/data/upgrade-check'])).stdout).toBe('kept');
    expect((await cluster.credentials()).ide.password).toBe(password);

    // A new image that cannot start: Swarm rolls back, the SDK says so, the previous image serves.
    await derive(
      base,
      tag,
      `LABEL org.spark-rstudio-shiny.test-upgrade=${stackName} org.spark-rstudio-shiny.test-revision=3\nENTRYPOINT ["/bin/false"]`,
    );
    const error = await cluster.deploy({ timeoutMs: 420_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SrsError);
    expect(error).toMatchObject({ code: 'ROLLBACK_HAPPENED' });
    const restored = await cluster.waitUntilReady({ timeoutMs: 300_000 });
    expect(restored.services.map((service) => [service.name, service.image])).toEqual(
      expect.arrayContaining([
        ['master', second],
        ['worker', second],
      ]),
    );
    const [restoredHead = ''] = await serviceContainers(stackName, 'master');
    expect((await docker.run(['exec', restoredHead, 'cat', '/data/upgrade-check'])).stdout).toBe(
      'kept',
    );
  });
});
