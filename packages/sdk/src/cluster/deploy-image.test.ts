import { SrsError } from '@spark-rstudio-shiny/core';
import { RecordedDocker } from '@spark-rstudio-shiny/test-support';
import { resolveDeployImage } from './deploy-image.js';

const ID = `sha256:${'c3'.repeat(32)}`;

describe('resolveDeployImage', () => {
  it('should deploy a local image by its ID, so that a rebuilt tag is a new service spec', async () => {
    const docker = new RecordedDocker([
      {
        args: ['image', 'inspect', '--format', '{{.Id}}', 'spark-rstudio-shiny:4.2.1'],
        stdout: ID,
      },
    ]);
    await expect(resolveDeployImage(docker, 'spark-rstudio-shiny:4.2.1')).resolves.toEqual({
      reference: ID,
      tag: 'spark-rstudio-shiny:4.2.1',
      resolve: 'never',
      labels: { 'org.spark-rstudio-shiny.image-tag': 'spark-rstudio-shiny:4.2.1' },
    });
  });

  it('should deploy an image this engine lacks by name, resolved through its registry', async () => {
    // What Docker 20.10's CLI says for an image it does not hold.
    const missing = new SrsError({
      code: 'DOCKER_COMMAND_FAILED',
      message: 'docker image inspect … failed: Error: No such image: registry.example/srs:2',
      stderr: 'Error: No such image: registry.example/srs:2',
    });
    const docker = new RecordedDocker([{ args: ['image', 'inspect'], error: missing }]);
    await expect(resolveDeployImage(docker, 'registry.example/srs:2')).resolves.toMatchObject({
      reference: 'registry.example/srs:2',
      resolve: 'always',
    });
  });

  it('should deploy a registry reference by digest as it is, even when this engine holds a copy', async () => {
    const pinned = `registry.example:5000/team/srs@sha256:${'d4'.repeat(32)}`;
    const docker = new RecordedDocker([{ args: ['image', 'inspect'], stdout: ID }]);
    await expect(resolveDeployImage(docker, pinned)).resolves.toEqual({
      reference: pinned,
      tag: pinned,
      resolve: 'never',
      labels: { 'org.spark-rstudio-shiny.image-tag': pinned },
    });
    expect(docker.calls).toEqual([]);
  });

  it('should not hide an engine that does not answer', async () => {
    const down = new SrsError({
      code: 'DOCKER_DAEMON_UNREACHABLE',
      message: 'no Docker engine answers',
    });
    const docker = new RecordedDocker([{ args: ['image', 'inspect'], error: down }]);
    await expect(resolveDeployImage(docker, 'spark-rstudio-shiny:4.2.1')).rejects.toBe(down);
  });
});
