import { RecordedDocker } from '@spark-rstudio-shiny/test-support';
import { ensureSwarm } from './swarm.js';

describe('ensureSwarm', () => {
  it('should leave an existing manager alone', async () => {
    const docker = new RecordedDocker([
      {
        args: ['info'],
        stdout: '{"LocalNodeState":"active","ControlAvailable":true,"NodeID":"zgtx1"}',
      },
    ]);
    await expect(ensureSwarm(docker)).resolves.toBe('existing');
    expect(docker.calls).toHaveLength(1);
  });

  it('should initialize a single-node swarm when there is none', async () => {
    const docker = new RecordedDocker([
      {
        args: ['info'],
        stdout:
          '{"NodeID":"","NodeAddr":"","LocalNodeState":"inactive","ControlAvailable":false,"Error":"","RemoteManagers":null}',
      },
      {
        args: ['swarm', 'init'],
        stdout: 'Swarm initialized: current node (zgtx1) is now a manager.',
      },
    ]);
    await expect(ensureSwarm(docker)).resolves.toBe('initialized');
    // On loopback it listens on loopback too: the manager port is not published to the network.
    expect(docker.calls[1]).toEqual([
      'swarm',
      'init',
      '--advertise-addr',
      '127.0.0.1',
      '--listen-addr',
      '127.0.0.1:2377',
    ]);
  });

  it('should refuse a worker node with NOT_SWARM_MANAGER and a hint', async () => {
    const docker = new RecordedDocker([
      { args: ['info'], stdout: '{"LocalNodeState":"active","ControlAvailable":false}' },
    ]);
    await expect(ensureSwarm(docker)).rejects.toMatchObject({
      code: 'NOT_SWARM_MANAGER',
      hint: expect.stringContaining('manager'),
    });
  });
});
