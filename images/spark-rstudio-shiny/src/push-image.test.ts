import { SrsError } from '@spark-rstudio-shiny/core';
import { RecordedDocker } from '@spark-rstudio-shiny/test-support';
import { pushImage, pushManifestList, repositoryOf, withTag } from './push-image.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
// The last lines of `docker push` on Docker 20.10 (recorded).
const PUSHED = `The push refers to repository [10.1.2.3:5000/team/srs]\n5f70bf18a086: Pushed\n4.2.1: digest: ${DIGEST} size: 4921`;

describe('references', () => {
  it('should tell a registry port from a tag', () => {
    expect(repositoryOf('registry.example:5000/team/srs:4.2.1')).toBe(
      'registry.example:5000/team/srs',
    );
    expect(repositoryOf('registry.example:5000/team/srs')).toBe('registry.example:5000/team/srs');
    expect(withTag('registry.example:5000/team/srs', 'spark-rstudio-shiny:4.2.1')).toBe(
      'registry.example:5000/team/srs:4.2.1',
    );
    expect(withTag('registry.example:5000/team/srs:edge', 'spark-rstudio-shiny:4.2.1')).toBe(
      'registry.example:5000/team/srs:edge',
    );
  });
});

describe('pushImage', () => {
  it('should tag, push and return the reference by digest the registry gave', async () => {
    const docker = new RecordedDocker([{ args: ['tag'] }, { args: ['push'], stdout: PUSHED }]);
    const pushed = await pushImage({
      image: 'spark-rstudio-shiny:4.2.1',
      to: '10.1.2.3:5000/team/srs',
      docker,
      onProgress: () => undefined,
    });
    expect(pushed).toEqual({
      reference: '10.1.2.3:5000/team/srs:4.2.1',
      digest: DIGEST,
      pinned: `10.1.2.3:5000/team/srs@${DIGEST}`,
    });
    expect(docker.calls).toEqual([
      ['tag', 'spark-rstudio-shiny:4.2.1', '10.1.2.3:5000/team/srs:4.2.1'],
      ['push', '10.1.2.3:5000/team/srs:4.2.1'],
    ]);
  });

  it.each([
    ['team/srs', /must start with the registry host/],
    [`registry.example:5000/team/srs@${DIGEST}`, /must not name a digest/],
    ['registry.example:5000/Team Srs', /must be an image reference/],
  ])('should refuse to push to %s before calling docker', async (to, message) => {
    const docker = new RecordedDocker([]);
    await expect(pushImage({ image: 'spark-rstudio-shiny:4.2.1', to, docker })).rejects.toThrow(
      message,
    );
    expect(docker.calls).toEqual([]);
  });

  it('should say which certificate to install when the engine does not trust the registry', async () => {
    const untrusted = new SrsError({
      code: 'DOCKER_COMMAND_FAILED',
      message: 'docker push … failed',
      stderr: 'Get "https://10.1.2.3:5000/v2/": x509: certificate signed by unknown authority',
    });
    const docker = new RecordedDocker([{ args: ['tag'] }, { args: ['push'], error: untrusted }]);
    await expect(
      pushImage({
        image: 'spark-rstudio-shiny:4.2.1',
        to: '10.1.2.3:5000/team/srs',
        docker,
        onProgress: () => undefined,
      }),
    ).rejects.toMatchObject({
      hint: expect.stringMatching(/certs\.d\/10\.1\.2\.3:5000\/ca\.crt/) as unknown,
    });
  });
});

describe('pushManifestList', () => {
  it('should make one reference over the architectures and return its digest', async () => {
    const docker = new RecordedDocker([
      { args: ['manifest', 'create'] },
      { args: ['manifest', 'push'], stdout: DIGEST },
    ]);
    const images = ['amd64', 'arm64'].map((arch, index) => ({
      reference: `r.example:5000/srs:1-${arch}`,
      digest: `sha256:${String(index).repeat(64)}`,
      pinned: `r.example:5000/srs@sha256:${String(index).repeat(64)}`,
    }));
    const list = await pushManifestList({
      reference: 'r.example:5000/srs:1',
      images,
      insecure: true,
      docker,
      onProgress: () => undefined,
    });
    expect(list).toEqual({
      reference: 'r.example:5000/srs:1',
      digest: DIGEST,
      pinned: `r.example:5000/srs@${DIGEST}`,
    });
    expect(docker.calls[0]).toEqual([
      'manifest',
      'create',
      '--insecure',
      '--amend',
      'r.example:5000/srs:1',
      images[0]?.pinned,
      images[1]?.pinned,
    ]);
  });
});
