import { readinessOf, type ServiceStatus, type SparkView } from './cluster-status.js';

const service = (name: 'master' | 'worker', counts: Partial<Pick<ServiceStatus, 'running' | 'upToDate' | 'desired'>> = {}): ServiceStatus => {
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
const alive = (workers: number, status = 'ALIVE'): SparkView => ({
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
    expect(readinessOf([service('master', { running: 0 }), service('worker')], alive(2))).toEqual({ state: 'tasks-not-running', detail: 'Swarm runs 0/1 master task(s)' });
    expect(readinessOf([service('master'), service('worker')], { reachable: false, aliveWorkers: 0, error: 'ECONNREFUSED' })).toEqual({
      state: 'master-unreachable',
      detail: 'the Spark master does not answer: ECONNREFUSED',
    });
    expect(readinessOf([service('master'), service('worker')], alive(0, 'RECOVERING'))).toEqual({ state: 'master-not-alive', detail: 'the Spark master is RECOVERING' });
    expect(readinessOf([service('master'), service('worker')], alive(1)).state).toBe('workers-not-registered');
    expect(readinessOf([service('master'), service('worker')], alive(2))).toEqual({ state: 'ready', detail: '2 worker(s) ALIVE' });
  });

  it('should not call a cluster ready while an upgrade still has tasks on the old image', () => {
    // Right after a deploy of a rebuilt image every old task still runs and Spark counts its workers.
    const rolling = readinessOf([service('master', { upToDate: 0 }), service('worker', { upToDate: 1 })], alive(2));
    expect(rolling).toEqual({ state: 'tasks-not-running', detail: 'Swarm is rolling master (0/1 on the new image) and worker (1/2 on the new image)' });
  });
});
