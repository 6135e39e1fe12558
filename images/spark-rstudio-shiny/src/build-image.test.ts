import { SrsError } from '@spark-rstudio-shiny/core';
import { debianSuiteOf, mirrorFromAptSources } from './base-image.js';
import { buildImage, imageLabels, parseVersions, pinnedBaseImage } from './build-image.js';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordedDocker } from '@spark-rstudio-shiny/test-support';

const RECORDED_VERSIONS = `supervisor=4.2.5-3
java=21.0.13+9-1~deb13u2
python=3.13.5
r=4.5.0-3
shiny-server=1.5.20.1002-4
rstudio-server=absent
spark=4.2.1
spark-source=pypi
`;

describe('image labels', () => {
  it('should label every component with the version the build recorded', () => {
    const labels = imageLabels(parseVersions(RECORDED_VERSIONS));
    expect(labels).toMatchObject({
      'org.opencontainers.image.version': '4.2.1',
      'org.spark-rstudio-shiny.spark': '4.2.1',
      'org.spark-rstudio-shiny.spark-source': 'pypi',
      'org.spark-rstudio-shiny.java': '21.0.13+9-1~deb13u2',
      'org.spark-rstudio-shiny.r': '4.5.0-3',
      'org.spark-rstudio-shiny.shiny-server': '1.5.20.1002-4',
      'org.spark-rstudio-shiny.rstudio': 'absent',
    });
  });
});

describe('buildImage input validation', () => {
  const untouchable = new RecordedDocker([]);

  it.each([
    [{ tag: 'Bad Name:latest' }, /tag: must be an image reference/],
    [{ sparkVersion: '3.5.1' }, /sparkVersion: must be a Spark 4\.x release/],
    [{ sparkSources: [] }, /sparkSources/],
    [{ sparkSources: ['maven'] }, /sparkSources\.0/],
    [{ javaVersion: 11 }, /javaVersion/],
  ])(
    'should refuse %j with one INVALID_CONFIGURATION error and no docker call',
    async (input, message) => {
      const error = await buildImage({ ...(input as object), docker: untouchable }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(SrsError);
      expect((error as SrsError).code).toBe('INVALID_CONFIGURATION');
      expect((error as SrsError).message).toMatch(message);
      expect(untouchable.calls).toEqual([]);
    },
  );
});

describe('base image helpers', () => {
  it('should know which images debootstrap can make', () => {
    expect(debianSuiteOf('debian:trixie-slim')).toBe('trixie');
    expect(debianSuiteOf('docker.io/library/debian:bookworm')).toBe('bookworm');
    expect(debianSuiteOf('arm64v8/debian:trixie-slim')).toBe('trixie');
    expect(debianSuiteOf('ubuntu:24.04')).toBeUndefined();
  });

  it('should find the Debian mirror in deb822 and one-line apt sources', async () => {
    const root = await mkdtemp(join(tmpdir(), 'srs-apt-'));
    await mkdir(join(root, 'sources.list.d'));
    await writeFile(
      join(root, 'sources.list.d', 'debian.sources'),
      'Types: deb\nURIs: http://mirror.example/debian\nSuites: trixie\n',
    );
    await expect(mirrorFromAptSources(root)).resolves.toBe('http://mirror.example/debian');
    await writeFile(
      join(root, 'sources.list'),
      'deb [arch=amd64] http://other.example/debian bookworm main\n',
    );
    await expect(mirrorFromAptSources(root)).resolves.toBe('http://other.example/debian');
  });
});

describe('the base image a build starts FROM', () => {
  const ID = `sha256:${'e1'.repeat(32)}`;

  it('should take a pulled base image by its registry digest and label the image with it', async () => {
    const digest = `debian@sha256:${'7a'.repeat(32)}`;
    const docker = new RecordedDocker([
      { args: ['image', 'inspect'], stdout: `["${digest}"]|${ID}` },
    ]);
    await expect(pinnedBaseImage(docker, 'debian:trixie-slim')).resolves.toEqual({
      reference: digest,
      label: digest,
    });
  });

  it('should take a base image made here by its name, and label it with its image ID', async () => {
    const docker = new RecordedDocker([{ args: ['image', 'inspect'], stdout: `[]|${ID}` }]);
    await expect(pinnedBaseImage(docker, 'debian:trixie-slim')).resolves.toEqual({
      reference: 'debian:trixie-slim',
      label: `debian:trixie-slim (made here from the Debian mirror, image ${ID.slice(0, 19)})`,
    });
  });
});
