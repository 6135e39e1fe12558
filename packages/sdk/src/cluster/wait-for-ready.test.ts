import { clusterConfigSchema } from '@spark-rstudio-shiny/stack';
import type { ClusterStatus } from './cluster-status.js';
import { updateMarks, waitForReady, type ReadinessProbe } from './wait-for-ready.js';
import type { SwarmService } from './docker-output.js';

const config = clusterConfigSchema.parse({ stackName: 'srs', workers: 1 });

function status(ready: boolean): ClusterStatus {
  return {
    stackName: 'srs',
    services: [
      {
        name: 'master',
        fullName: 'srs_master',
        image: 'sha256:a',
        imageTag: 't',
        running: 1,
        upToDate: 1,
        desired: 1,
        updateState: undefined,
      },
      {
        name: 'worker',
        fullName: 'srs_worker',
        image: 'sha256:a',
        imageTag: 't',
        running: 1,
        upToDate: 1,
        desired: 1,
        updateState: undefined,
      },
    ],
    tasks: [],
    nodes: [],
    spark: {
      reachable: true,
      status: 'ALIVE',
      masterUrl: 'spark://master:7077',
      aliveWorkers: ready ? 1 : 0,
      workers: [],
      activeApps: [],
      cores: 1,
      coresUsed: 0,
    },
    urls: {
      sparkUi: 'http://127.0.0.1:8080',
      shiny: null,
      jupyter: null,
      rstudio: null,
      sparkHistory: null,
      sparkConnect: null,
      frontDoor: null,
    },
    ready,
    readiness: ready
      ? { state: 'ready', detail: '1 worker(s) ALIVE' }
      : { state: 'workers-not-registered', detail: '0/1' },
  };
}

function service(state: string, startedAt: string): SwarmService {
  return {
    ID: 'svc1',
    Spec: { Name: 'srs_master', Labels: {} },
    UpdateStatus: { State: state, StartedAt: startedAt },
  } as unknown as SwarmService;
}

/** A probe that answers with the given reads in turn (the last one again when they run out). */
function probeOf(reads: { ready: boolean; services: SwarmService[] }[]): ReadinessProbe {
  let next = 0;
  const current = () =>
    reads[Math.min(next, reads.length - 1)] as { ready: boolean; services: SwarmService[] };
  return {
    config,
    observe: async () => {
      const read = current();
      next += 1;
      return { status: status(read.ready), services: read.services };
    },
    services: async () => current().services,
    unplaceableGraceMs: 8000,
    intervalMs: 1,
  };
}

describe('waitForReady and rollbacks', () => {
  it('should end with ROLLBACK_HAPPENED when a rollback starts after the wait began', async () => {
    const probe = probeOf([
      { ready: false, services: [service('completed', '2026-11-25T10:00:00Z')] },
      { ready: false, services: [service('rollback_started', '2026-11-25T10:05:00Z')] },
    ]);
    const marks = await updateMarks(probe, undefined);
    await expect(
      waitForReady(probe, 1, { timeoutMs: 5000, updateMarks: marks }),
    ).rejects.toMatchObject({ code: 'ROLLBACK_HAPPENED' });
  });

  it('should wait through the end of a rollback that was under way when it began, and return when ready', async () => {
    const probe = probeOf([
      { ready: false, services: [service('rollback_started', '2026-11-25T10:05:00Z')] },
      { ready: false, services: [service('rollback_completed', '2026-11-25T10:05:00Z')] },
      { ready: true, services: [service('rollback_completed', '2026-11-25T10:05:00Z')] },
    ]);
    const marks = await updateMarks(probe, undefined);
    await expect(
      waitForReady(probe, 1, { timeoutMs: 5000, updateMarks: marks }),
    ).resolves.toMatchObject({ ready: true });
  });
});
