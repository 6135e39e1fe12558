import { readFileSync } from 'node:fs';
import { RecordedDocker, type RecordedCall } from '@spark-rstudio-shiny/test-support';
import { CONFIG_LABEL, SrsError, type DockerClient } from '@spark-rstudio-shiny/core';
import { clusterConfigSchema, configLabelValue } from '@spark-rstudio-shiny/stack';
import type { SparkStatus } from './spark/spark-master-status.js';
import { SparkCluster } from './spark-cluster.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url), 'utf8');

/** Recorded from `docker stack deploy` of the stack named "srs" with 2 workers on Docker 20.10. */
function recordedSrsStack(): RecordedDocker {
  const services = JSON.parse(fixture('service-inspect.json')) as unknown[];
  const master = {
    ...(services[0] as object),
    ID: 'ux8jlbjkdtlqasksdy4shcmjr',
    Spec: {
      ...(services[0] as { Spec: object }).Spec,
      Name: 'srs_master',
      Mode: { Replicated: { Replicas: 1 } },
    },
  };
  return new RecordedDocker([
    { args: ['service', 'ls', '-q'], stdout: 'ux8jlbjkdtlq\nvp4p949ib8og' },
    { args: ['service', 'inspect'], stdout: JSON.stringify([master, services[0]]) },
    {
      args: ['service', 'ps', '-q'],
      stdout: fixture('service-ps.jsonl')
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { ID: string }).ID)
        .join('\n'),
    },
    { args: ['inspect', '--type', 'task'], stdout: fixture('task-inspect.json') },
    { args: ['node', 'ls'], stdout: fixture('node-ls.jsonl') },
  ]);
}

const sparkWith = (alive: number, dead = 0): SparkStatus => ({
  status: 'ALIVE',
  masterUrl: 'spark://10.0.1.2:7077',
  aliveWorkers: alive,
  workers: [
    ...Array.from({ length: alive }, (_, index) => ({
      id: `w${index}`,
      host: `10.0.1.${10 + index}`,
      state: 'ALIVE',
      cores: 1,
      coresUsed: 0,
      memoryMb: 1024,
      memoryUsedMb: 0,
    })),
    ...Array.from({ length: dead }, (_, index) => ({
      id: `d${index}`,
      host: `10.0.1.${50 + index}`,
      state: 'DEAD',
      cores: 1,
      coresUsed: 0,
      memoryMb: 1024,
      memoryUsedMb: 0,
    })),
  ],
  activeApps: [],
  cores: alive,
  coresUsed: 0,
});

describe('SparkCluster input validation', () => {
  it.each([
    [{ workers: -1 }, /workers: must not be negative/],
    [{ workers: 1.5 }, /workers: must be a whole number/],
    [{ stackName: 'my stack' }, /stackName: must be 1–30 lower-case/],
    [{ stackName: 'srs;rm -rf /' }, /stackName/],
    [{ worker: { memory: 'lots' } }, /worker\.memory: must be a size like 512m or 2g/],
    [
      { worker: { memory: '512m' } },
      /worker\.memory: must be at least 1g \(the worker daemon needs memory besides the executors\)/,
    ],
    [{ worker: { cores: 0.5 } }, /worker\.cores: must be a whole number of cores/],
    [{ worker: { cores: 1.5 } }, /worker\.cores: must be a whole number of cores/],
    [{ image: 'spark:1\n    command: ["sh"]' }, /image: must be an image reference/],
    [{ host: 'a b' }, /host: must be a host name/],
    [{ worker: { memory: '100m' } }, /worker\.memory: must be at least 512m/],
    [{ ports: { sparkUi: 70000 } }, /ports\.sparkUi: must be 1–65535/],
    [{ colour: 'blue' }, /Unrecognized key/],
    [
      { ports: { sparkMaster: 7077 }, security: { sparkAuthentication: false } },
      /ports\.sparkMaster: publishing the Spark master with authentication off .*dangerouslyPublishUnauthenticatedMaster/,
    ],
    [
      { security: { sparkAuthentication: false, networkEncryption: true } },
      /security\.networkEncryption: needs security\.sparkAuthentication/,
    ],
    [{ security: { ideUser: 'root' } }, /security\.ideUser: must not be an account of the image/],
    [
      { security: { ideUser: 'www-data' } },
      /security\.ideUser: must not be an account of the image/,
    ],
    [{ security: { ideUser: 'Bad User' } }, /security\.ideUser: must be a Linux user name/],
  ])('should refuse %j with one INVALID_CONFIGURATION error', (input, message) => {
    const error = (() => {
      try {
        return new SparkCluster(input as never, { docker: new RecordedDocker([]) });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(SrsError);
    expect((error as SrsError).code).toBe('INVALID_CONFIGURATION');
    expect((error as SrsError).message).toMatch(message);
  });

  it.each([[-1], [2.5], [Number.NaN], [1000]])(
    'should refuse scaleWorkers(%p) before calling docker',
    async (count) => {
      const docker = new RecordedDocker([]);
      const cluster = new SparkCluster({}, { docker });
      await expect(cluster.scaleWorkers(count)).rejects.toMatchObject({
        code: 'INVALID_CONFIGURATION',
      });
      expect(docker.calls).toEqual([]);
    },
  );

  it('should refuse an unknown service in logs before calling docker', async () => {
    const docker = new RecordedDocker([]);
    const cluster = new SparkCluster({}, { docker });
    const iterate = async (): Promise<void> => {
      for await (const line of cluster.logs('nosuch' as never)) void line;
    };
    await expect(iterate()).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
      message: expect.stringMatching(/service.*must be "master" or "worker"/),
    });
    expect(docker.calls).toEqual([]);
  });
});

describe('SparkCluster status', () => {
  // A worker of the master's /json/ as Spark 4.2 writes it (the fields the SDK reads, and some it
  // passes by).
  const worker = (id: string, host: string, state: string): Record<string, unknown> => ({
    id,
    host,
    port: 7078,
    webuiaddress: `http://${host}:8081`,
    cores: 1,
    coresused: 0,
    coresfree: 1,
    memory: 1024,
    memoryused: 0,
    memoryfree: 1024,
    state,
    lastheartbeat: 1,
  });
  const masterJson = {
    url: 'spark://10.0.1.2:7077',
    workers: [worker('worker-1', '10.0.1.5', 'ALIVE'), worker('worker-0', '10.0.1.4', 'DEAD')],
    aliveworkers: 1,
    cores: 1,
    coresused: 0,
    memory: 1024,
    memoryused: 0,
    resources: [],
    resourcesused: [],
    activeapps: [],
    completedapps: [],
    activedrivers: [],
    completeddrivers: [],
    status: 'ALIVE',
  };
  /** The recorded srs stack, with the head container c0ffee answering `exec … curl` so. */
  const withHead = (
    curl: Omit<RecordedCall, 'args'>,
  ): { docker: DockerClient; head: RecordedDocker } => {
    const swarm = recordedSrsStack();
    const head = new RecordedDocker([
      {
        args: ['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=srs_master'],
        stdout: 'c0ffee',
      },
      { args: ['exec', 'c0ffee', 'curl'], ...curl },
    ]);
    return {
      head,
      docker: {
        run: (args, options) =>
          (args[0] === 'ps' || args[0] === 'exec' ? head : swarm).run(args, options),
        stream: (args) => swarm.stream(args),
      },
    };
  };

  it("should read Spark's status inside the head when no Spark UI port is published (the default)", async () => {
    const { docker, head } = withHead({ stdout: JSON.stringify(masterJson) });
    const status = await new SparkCluster({ stackName: 'srs' }, { docker }).status();
    expect(status.spark).toMatchObject({ reachable: true, aliveWorkers: 1, status: 'ALIVE' });
    expect(head.calls).toContainEqual([
      'exec',
      'c0ffee',
      'curl',
      '-fsS',
      '--max-time',
      '4',
      'http://127.0.0.1:8080/json/',
    ]);
  });

  it('should say the master is unreachable when the read inside the head fails, or gives no status document', async () => {
    for (const answer of [
      {
        error: new SrsError({
          code: 'DOCKER_COMMAND_FAILED',
          message: 'curl: (7) Failed to connect',
        }),
      },
      { stdout: '<html>starting</html>' },
    ]) {
      const { docker } = withHead(answer);
      const { spark } = await new SparkCluster({ stackName: 'srs' }, { docker }).status();
      expect(spark).toMatchObject({
        reachable: false,
        error: expect.stringMatching(
          /the Spark master's UI at http:\/\/127\.0\.0\.1:8080\/json\/ in the head/,
        ),
      });
    }
  });

  it('should merge recorded Swarm output with Spark, counting only ALIVE workers', async () => {
    const cluster = new SparkCluster(
      { stackName: 'srs' },
      { docker: recordedSrsStack(), readSpark: () => Promise.resolve(sparkWith(1, 2)) },
    );
    const status = await cluster.status();
    expect(status.services).toEqual([
      {
        name: 'master',
        fullName: 'srs_master',
        image: 'spark-rstudio-shiny:4.2.1',
        running: 1,
        upToDate: 1,
        desired: 1,
        updateState: undefined,
      },
      {
        name: 'worker',
        fullName: 'srs_worker',
        image: 'spark-rstudio-shiny:4.2.1',
        running: 2,
        upToDate: 2,
        desired: 2,
        updateState: undefined,
      },
    ]);
    expect(status.tasks[0]).toMatchObject({
      id: 'm1vq11aqacb55eurc8mhxcu7h',
      service: 'master',
      slot: 1,
      state: 'running',
      desiredState: 'running',
      error: undefined,
    });
    expect(status.spark.aliveWorkers).toBe(1);
    expect(status.nodes).toEqual([
      {
        id: expect.stringMatching(/^[a-z0-9]{25}$/),
        hostname: 'node-1',
        state: 'Ready',
        availability: 'Active',
        managerStatus: 'Leader',
      },
    ]);
    expect(status.ready).toBe(false);
    // Every task runs; Spark is what is behind.
    expect(status.readiness).toEqual({
      state: 'workers-not-registered',
      detail: 'every worker task runs, and 1 of 2 worker(s) are registered ALIVE with the master',
    });
    // By default every UI is reached through the front door.
    expect(status.urls).toEqual({
      sparkUi: 'https://127.0.0.1:8443/spark',
      shiny: 'https://127.0.0.1:8443/shiny',
      jupyter: 'https://127.0.0.1:8443',
      rstudio: 'https://127.0.0.1:8443/rstudio',
      sparkHistory: 'https://127.0.0.1:8443/history',
      sparkConnect: null,
      frontDoor: 'https://127.0.0.1:8443/',
    });
  });

  it('should say the master is unreachable instead of failing', async () => {
    const cluster = new SparkCluster(
      { stackName: 'srs' },
      {
        docker: recordedSrsStack(),
        readSpark: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8080')),
      },
    );
    const status = await cluster.status();
    expect(status.spark).toEqual({
      reachable: false,
      aliveWorkers: 0,
      error: 'connect ECONNREFUSED 127.0.0.1:8080',
    });
    expect(status.readiness.state).toBe('master-unreachable');
  });

  it('should report STACK_NOT_FOUND when no service carries the stack label, without waiting for a master that does not answer', async () => {
    // A master port that accepts and never answers (another stack's head still starting): the
    // read ends only when status() drops it, and this test's 5 s limit is its own deadline.
    let sparkSignal: AbortSignal | undefined;
    const hangingSpark = (signal?: AbortSignal): Promise<SparkStatus> => {
      sparkSignal = signal;
      return new Promise((_resolve, reject) =>
        signal?.addEventListener('abort', () => reject(new Error('dropped'))),
      );
    };
    const cluster = new SparkCluster(
      { stackName: 'nosuch' },
      {
        docker: new RecordedDocker([{ args: ['service', 'ls', '-q'], stdout: '' }]),
        readSpark: hangingSpark,
      },
    );
    await expect(cluster.status()).rejects.toMatchObject({
      code: 'STACK_NOT_FOUND',
      hint: expect.stringContaining('srs up'),
    });
    expect(sparkSignal?.aborted).toBe(true);
  });
});

describe('SparkCluster remove', () => {
  it('should map the CLI\'s exit-0 "Nothing found in stack" to STACK_NOT_FOUND', async () => {
    const docker = new RecordedDocker([
      { args: ['stack', 'rm', 'nosuchstack'], stderr: 'Nothing found in stack: nosuchstack' },
    ]);
    await expect(
      new SparkCluster({ stackName: 'nosuchstack' }, { docker }).remove(),
    ).rejects.toMatchObject({ code: 'STACK_NOT_FOUND' });
  });

  it('should refuse purge without wait before calling docker', async () => {
    const docker = new RecordedDocker([]);
    await expect(
      new SparkCluster({}, { docker }).remove({ purge: true, wait: false }),
    ).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
      message: expect.stringMatching(/purge needs wait/),
    });
    expect(docker.calls).toEqual([]);
  });

  it('should go on when the CLI could not delete the network yet (tasks still stopping), and delete it itself', async () => {
    // Recorded from a real run on Docker 20.10: `docker stack rm` exits 1 while the services are
    // removed.
    const docker = new RecordedDocker([
      {
        args: ['stack', 'rm', 'srs'],
        error: new SrsError({
          code: 'DOCKER_COMMAND_FAILED',
          message:
            'docker stack rm srs failed: Failed to remove network pg4k0vfbrytfiuoojdhpc11bn: Error response from daemon: rpc error: code = FailedPrecondition desc = network pg4k0vfbrytfiuoojdhpc11bn is in use by task q555sdkriscu1lliscecol30lfailed to remove some resources from stack: srs',
        }),
      },
      { args: ['service', 'ls', '-q'], stdout: '' },
      { args: ['ps', '-aq'], stdout: 'c0ffee', once: true },
      { args: ['ps', '-aq'], stdout: '' },
      { args: ['network', 'ls', '-q'], stdout: 'pg4k0vfbrytf', once: true },
      { args: ['network', 'ls', '-q'], stdout: 'pg4k0vfbrytf', once: true },
      { args: ['network', 'rm', 'pg4k0vfbrytf'], stdout: 'pg4k0vfbrytf' },
      { args: ['network', 'ls', '-q'], stdout: '' },
    ]);
    await new SparkCluster({}, { docker }).remove({ timeoutMs: 10_000 });
    expect(docker.calls).toContainEqual(['network', 'rm', 'pg4k0vfbrytf']);
  });
});

describe('SparkCluster readiness', () => {
  it('should fail fast with TASK_FAILED and the task error when tasks keep being rejected', async () => {
    const now = new Date().toISOString();
    const task = (id: string): object => ({
      ID: id,
      ServiceID: 'svc-worker',
      Slot: 1,
      DesiredState: 'shutdown',
      Status: { Timestamp: now, State: 'rejected', Err: 'No such image: srs-no-such-image:0.0.0' },
    });
    const docker = new RecordedDocker([
      { args: ['service', 'ls', '-q'], stdout: 'svc-worker' },
      {
        args: ['service', 'inspect'],
        stdout: JSON.stringify([
          {
            ID: 'svc-worker',
            Spec: {
              Name: 'srs_worker',
              Mode: { Replicated: { Replicas: 1 } },
              TaskTemplate: { ContainerSpec: { Image: 'srs-no-such-image:0.0.0' } },
            },
          },
        ]),
      },
      { args: ['service', 'ps', '-q'], stdout: 't1\nt2\nt3' },
      {
        args: ['inspect', '--type', 'task'],
        stdout: JSON.stringify([task('t1'), task('t2'), task('t3')]),
      },
      { args: ['node', 'ls'], stdout: fixture('node-ls.jsonl') },
    ]);
    const cluster = new SparkCluster(
      { stackName: 'srs', workers: 1 },
      { docker, readSpark: () => Promise.resolve(sparkWith(0)) },
    );
    const error = await cluster
      .waitUntilReady({ timeoutMs: 10_000 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SrsError);
    expect(error).toMatchObject({
      code: 'TASK_FAILED',
      message: 'srs_worker tasks keep failing (3 rejected): No such image: srs-no-such-image:0.0.0',
    });
    expect((error as SrsError).hint).toMatch(/build the image/);
  });

  it.each([
    [
      'no suitable node (host-mode port already in use on 1 node)',
      'PORT_IN_USE',
      /the stack publishes 8443 \(ports\.https\)/,
    ],
    [
      'no suitable node (insufficient resources on 1 node)',
      'NO_SUITABLE_NODE',
      /cannot be placed: Swarm says "no suitable node \(insufficient resources on 1 node\)"/,
    ],
  ])(
    'should end the wait at once when a task stays pending with "%s"',
    async (swarmError, code, message) => {
      // Recorded from Docker 20.10: the scheduler keeps such a task pending with this error.
      const task = {
        ID: 'tp',
        ServiceID: 'svc-master',
        Slot: 1,
        DesiredState: 'running',
        Status: { Timestamp: new Date().toISOString(), State: 'pending', Err: swarmError },
      };
      const docker = new RecordedDocker([
        { args: ['service', 'ls', '-q'], stdout: 'svc-master' },
        {
          args: ['service', 'inspect'],
          stdout: JSON.stringify([
            {
              ID: 'svc-master',
              Spec: {
                Name: 'srs_master',
                Mode: { Replicated: { Replicas: 1 } },
                TaskTemplate: { ContainerSpec: { Image: 'spark-rstudio-shiny:4.2.1' } },
              },
            },
          ]),
        },
        { args: ['service', 'ps', '-q'], stdout: 'tp' },
        { args: ['inspect', '--type', 'task'], stdout: JSON.stringify([task]) },
        { args: ['node', 'ls'], stdout: fixture('node-ls.jsonl') },
      ]);
      const cluster = new SparkCluster(
        { stackName: 'srs', workers: 0 },
        {
          docker,
          readSpark: () => Promise.reject(new Error('connect ECONNREFUSED')),
          unplaceableGraceMs: 1500,
        },
      );
      const started = Date.now();
      const error = await cluster
        .waitUntilReady({ timeoutMs: 30_000 })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
      expect(Date.now() - started).toBeLessThan(10_000);
    },
  );

  it('should time out with CONVERGENCE_TIMEOUT describing both views', async () => {
    const cluster = new SparkCluster(
      { stackName: 'srs' },
      { docker: recordedSrsStack(), readSpark: () => Promise.resolve(sparkWith(1, 1)) },
    );
    const error = await cluster
      .waitUntilReady({ workers: 2, timeoutMs: 1500 })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'CONVERGENCE_TIMEOUT' });
    expect((error as SrsError).message).toMatch(
      /did not reach 2 ALIVE worker\(s\) in 1500 ms: swarm: master 1\/1, worker 2\/2; spark: 1 ALIVE/,
    );
  });
});

describe('SparkCluster.list', () => {
  const service = (name: string, label: string): object => ({
    ID: name,
    Spec: {
      Name: name,
      Labels: { [CONFIG_LABEL]: label },
      Mode: { Replicated: { Replicas: 1 } },
      TaskTemplate: { ContainerSpec: { Image: 'spark-rstudio-shiny:4.2.1' } },
    },
  });

  it('should list the stacks it can read and leave out one whose recorded options it cannot', async () => {
    const known = configLabelValue(clusterConfigSchema.parse({ stackName: 'known' }));
    // Options a newer SDK recorded: a key this one does not know.
    const newer = JSON.stringify({ ...JSON.parse(known), stackName: 'newer', futureOption: 1 });
    const docker = new RecordedDocker([
      { args: ['service', 'ls', '-q'], stdout: 'known_master\nnewer_master' },
      {
        args: ['service', 'inspect'],
        stdout: JSON.stringify([service('known_master', known), service('newer_master', newer)]),
      },
      { args: ['ps', '-aq'], stdout: '' },
    ]);
    const clusters = await SparkCluster.list({ docker });
    expect(clusters.map((cluster) => cluster.config.stackName)).toEqual(['known']);
  });
});
