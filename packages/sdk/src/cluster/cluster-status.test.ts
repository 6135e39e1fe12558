import { clusterConfigSchema } from '@spark-rstudio-shiny/stack';
import {
  clusterStatus,
  imageOf,
  readinessOf,
  type ServiceStatus,
  type SparkView,
} from './cluster-status.js';
import type { SwarmTask } from './docker-output.js';

const service = (
  name: 'master' | 'worker',
  counts: Partial<Pick<ServiceStatus, 'running' | 'upToDate' | 'desired'>> = {},
): ServiceStatus => {
  const desired = counts.desired ?? (name === 'master' ? 1 : 2);
  return {
    name,
    fullName: `srs_${name}`,
    image: 'sha256:new',
    imageTag: 'spark-rstudio-shiny:4.2.1',
    running: counts.running ?? desired,
    upToDate: counts.upToDate ?? counts.running ?? desired,
    desired,
    updateState: undefined,
  };
};
const alive = (workers: number, status = 'ALIVE'): Extract<SparkView, { reachable: true }> => ({
  reachable: true,
  status,
  masterUrl: 'spark://srs-master:7077',
  aliveWorkers: workers,
  workers: [],
  activeApps: [],
  cores: workers,
  coresUsed: 0,
});

describe('readinessOf', () => {
  it('should say what the cluster waits for, in the order it gets there', () => {
    expect(readinessOf([service('master', { running: 0 }), service('worker')], alive(2))).toEqual({
      state: 'tasks-not-running',
      detail: 'Swarm runs 0/1 master task(s)',
    });
    expect(
      readinessOf([service('master'), service('worker')], {
        reachable: false,
        aliveWorkers: 0,
        error: 'ECONNREFUSED',
      }),
    ).toEqual({
      state: 'master-unreachable',
      detail: 'the Spark master does not answer: ECONNREFUSED',
    });
    expect(readinessOf([service('master'), service('worker')], alive(0, 'RECOVERING'))).toEqual({
      state: 'master-not-alive',
      detail: 'the Spark master is RECOVERING',
    });
    expect(readinessOf([service('master'), service('worker')], alive(1)).state).toBe(
      'workers-not-registered',
    );
    expect(readinessOf([service('master'), service('worker')], alive(2))).toEqual({
      state: 'ready',
      detail: '2 worker(s) ALIVE',
    });
  });

  it('should not call a cluster ready while an upgrade still has tasks on the old image', () => {
    // Right after a deploy of a rebuilt image every old task still runs and Spark counts its
    // workers.
    const rolling = readinessOf(
      [service('master', { upToDate: 0 }), service('worker', { upToDate: 1 })],
      alive(2),
    );
    expect(rolling).toEqual({
      state: 'tasks-not-running',
      detail: 'Swarm is rolling master (0/1 on the new image) and worker (1/2 on the new image)',
    });
  });
});

describe('clusterStatus', () => {
  const config = clusterConfigSchema.parse({ stackName: 'demo' });
  const services = (['master', 'worker'] as const).map((name) => ({
    ID: name,
    Spec: {
      Name: `demo_${name}`,
      Mode: { Replicated: { Replicas: name === 'master' ? 1 : 2 } },
      TaskTemplate: { ContainerSpec: { Image: 'sha256:new' } },
    },
  }));
  const task = (id: string, service: string, state: string, address: string): SwarmTask => ({
    ID: id,
    ServiceID: service,
    DesiredState: 'running',
    Status: { Timestamp: '2026-11-25T21:00:00Z', State: state },
    Spec: { ContainerSpec: { Image: 'sha256:new' } },
    NetworksAttachments: [{ Addresses: [`${address}/24`] }],
  });
  const spark = (hosts: [string, string][]): SparkView => ({
    ...alive(hosts.filter(([, state]) => state === 'ALIVE').length),
    workers: hosts.map(([host, state], index) => ({
      id: `worker-${index}`,
      host,
      state,
      cores: 1,
      coresUsed: 0,
      memoryMb: 1024,
      memoryUsedMb: 0,
    })),
  });

  /**
   * A master and a running worker at 10.0.1.2 and .3, a second worker task Swarm still
   * health-checks at `starting`, and Spark's workers by address.
   */
  const statusWith = (
    starting: string,
    workers: Record<string, string>,
  ): ReturnType<typeof clusterStatus> => {
    const tasks = [
      task('m', 'master', 'running', '10.0.1.2'),
      task('w1', 'worker', 'running', '10.0.1.3'),
      task('w2', 'worker', 'starting', starting),
    ];
    return clusterStatus(config, { services, tasks, nodes: [] }, spark(Object.entries(workers)));
  };
  const runningWorkers = (status: ReturnType<typeof clusterStatus>): number | undefined =>
    status.services.find((service) => service.name === 'worker')?.running;

  it('should count a worker task still health-checked by Swarm once Spark lists it ALIVE at its address', () => {
    const status = statusWith('10.0.1.4', { '10.0.1.3': 'ALIVE', '10.0.1.4': 'ALIVE' });
    expect(runningWorkers(status)).toBe(2);
    expect(status.ready).toBe(true);
    expect(status.tasks.map((entry) => entry.addresses)).toEqual([
      ['10.0.1.2'],
      ['10.0.1.3'],
      ['10.0.1.4'],
    ]);
  });

  it('should not count a starting task when the ALIVE worker Spark lists is at another address (a worker just gone)', () => {
    const status = statusWith('10.0.1.5', { '10.0.1.3': 'ALIVE', '10.0.1.4': 'ALIVE' });
    expect(runningWorkers(status)).toBe(1);
    expect(status.readiness).toEqual({
      state: 'tasks-not-running',
      detail: 'Swarm runs 1/2 worker task(s)',
    });
  });

  it('should not count a starting task whose worker Spark lists DEAD', () => {
    expect(statusWith('10.0.1.4', { '10.0.1.3': 'ALIVE', '10.0.1.4': 'DEAD' }).ready).toBe(false);
  });
});

describe('imageOf', () => {
  it('should show a tag Swarm pinned to a digest as the tag', () => {
    expect(imageOf(`registry:5000/team/srs:4.2.1@sha256:${'a'.repeat(64)}`)).toBe(
      'registry:5000/team/srs:4.2.1',
    );
  });

  it('should keep a reference by digest alone, and an image ID, whole', () => {
    const byDigest = `registry:5000/team/srs@sha256:${'b'.repeat(64)}`;
    expect(imageOf(byDigest)).toBe(byDigest);
    expect(imageOf(`sha256:${'c'.repeat(64)}`)).toBe(`sha256:${'c'.repeat(64)}`);
    expect(imageOf('spark-rstudio-shiny:4.2.1')).toBe('spark-rstudio-shiny:4.2.1');
  });
});
