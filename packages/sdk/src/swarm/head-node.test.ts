import { headNodeLabel, SrsError } from '@spark-rstudio-shiny/core';
import { RecordedDocker } from '@spark-rstudio-shiny/test-support';
import { ensureHeadNode } from './head-node.js';

const LABEL = headNodeLabel('demo');
const LIST = ['node', 'ls', '--filter', `node.label=${LABEL}=true`];
const NODE_LINE = JSON.stringify({
  ID: 'n1',
  Hostname: 'box',
  Status: 'Ready',
  Availability: 'Active',
  ManagerStatus: 'Leader',
});

describe('ensureHeadNode', () => {
  it("should label the engine's own node on a first deploy", async () => {
    const docker = new RecordedDocker([
      { args: LIST, stdout: '' },
      { args: ['info'], stdout: 'n1' },
      { args: ['node', 'update', '--label-add', `${LABEL}=true`, 'n1'], stdout: 'n1' },
    ]);
    await expect(ensureHeadNode(docker, 'demo')).resolves.toBe('n1');
  });

  it('should keep the node that carries the label', async () => {
    const docker = new RecordedDocker([{ args: LIST, stdout: NODE_LINE }]);
    await expect(ensureHeadNode(docker, 'demo')).resolves.toBe('n1');
    expect(docker.calls).toHaveLength(1);
  });

  it('should read the labels again when another deploy updated the node at the same moment (update out of sequence)', async () => {
    const raced = new SrsError({
      code: 'DOCKER_COMMAND_FAILED',
      message: 'docker node update failed',
      stderr: 'Error response from daemon: rpc error: code = Unknown desc = update out of sequence',
      exitCode: 1,
    });
    const docker = new RecordedDocker([
      { args: LIST, stdout: '', once: true },
      { args: ['info'], stdout: 'n1' },
      { args: ['node', 'update'], error: raced },
      // The other deploy (of the same stack) labelled the node first.
      { args: LIST, stdout: NODE_LINE },
    ]);
    await expect(ensureHeadNode(docker, 'demo')).resolves.toBe('n1');
    expect(docker.calls.map((call) => call.slice(0, 2).join(' '))).toEqual([
      'node ls',
      'info --format',
      'node update',
      'node ls',
    ]);
  });
});
