// Building the image for real: labels from what was installed, the offline base-image path,
// and the in-build checksum check that stops a corrupted artifact.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { LABEL_PREFIX, SrsError } from '@spark-rstudio-shiny/core';
import { ensureBaseImage } from '../src/index.js';
import { findBuildx } from '../src/buildx.js';
import {
  docker,
  ensureTestImage,
  runToCompletion,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';

const CONTEXT_DIR = fileURLToPath(new URL('../', import.meta.url));

describe('the built image', () => {
  it('should carry labels with the versions of Spark, Java, R, Shiny Server, RStudio and the Spark source', async () => {
    const image = await ensureTestImage();
    const { stdout } = await docker.run([
      'image',
      'inspect',
      '--format',
      '{{json .Config.Labels}}',
      image,
    ]);
    const labels = JSON.parse(stdout) as Record<string, string>;
    expect(labels[`${LABEL_PREFIX}.spark`]).toMatch(/^4\.\d+\.\d+$/);
    expect(labels[`${LABEL_PREFIX}.spark-source`]).toMatch(/^(apache|pypi)$/);
    expect(labels[`${LABEL_PREFIX}.java`]).toMatch(/^21\./);
    expect(labels[`${LABEL_PREFIX}.r`]).toMatch(/^4\./);
    expect(labels[`${LABEL_PREFIX}.shiny-server`]).toMatch(/^1\.5\./);
    expect(labels[`${LABEL_PREFIX}.rstudio`]).toBeDefined();
    expect(labels[`${LABEL_PREFIX}.jupyterlab`]).toMatch(/^4\.\d+\.\d+$/);
    expect(labels[`${LABEL_PREFIX}.dbplyr`]).toMatch(/^2\./);
    expect(labels[`${LABEL_PREFIX}.architecture`]).toMatch(/^(amd64|arm64)$/);
    // What it was built FROM, pinned: a registry digest, or the image ID of the one made here.
    expect(labels[`${LABEL_PREFIX}.base-image`]).toMatch(
      /^debian(@sha256:[0-9a-f]{64}|:trixie-slim \(made here from the Debian mirror, image sha256:[0-9a-f]{12}\))$/,
    );

    // The label tells the truth about RStudio Server: absent means no binary in the image.
    const rserver = await runToCompletion([
      '--entrypoint',
      'test',
      image,
      '-x',
      '/usr/lib/rstudio-server/bin/rserver',
    ]);
    expect(rserver.exitCode).toBe(labels[`${LABEL_PREFIX}.rstudio`] === 'absent' ? 1 : 0);
  });

  it('should run Spark as the spark user and the same Spark version the label names', async () => {
    const image = await ensureTestImage();
    const result = await runToCompletion([
      '--entrypoint',
      'bash',
      image,
      '-c',
      'id -un spark; ls /opt/spark/jars | grep -o "spark-core_2.13-.*\\.jar"',
    ]);
    expect(result.exitCode).toBe(0);
    const { stdout } = await docker.run([
      'image',
      'inspect',
      '--format',
      `{{index .Config.Labels "${LABEL_PREFIX}.spark"}}`,
      image,
    ]);
    expect(result.stdout.split('\n')).toEqual(['spark', `spark-core_2.13-${stdout}.jar`]);
  });

  it('should leave no apt lists, caches or downloaded packages in any layer', async () => {
    const image = await ensureTestImage();
    const result = await runToCompletion([
      '--entrypoint',
      'bash',
      image,
      '-c',
      'find /var/cache/apt /var/lib/apt/lists -type f -size +0 | grep -v -e /lock$ -e /partial || true',
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('');
    // Each install step cleaned after itself, so no layer holds them either: every file of every
    // layer, listed from `docker save` (ignoring the zero blocks between the layers' tar files).
    const listing = await execa(
      'bash',
      ['-c', `docker save ${image} | tar -xO --wildcards '*/layer.tar' | tar -ti`],
      { maxBuffer: 512 * 1024 * 1024 },
    );
    const files = listing.stdout.split('\n');
    expect(files.length).toBeGreaterThan(10_000);
    expect(
      files.filter((file) =>
        /^var\/cache\/apt\/archives\/.+\.deb$|^var\/lib\/apt\/lists\/.+_Packages/.test(file),
      ),
    ).toEqual([]);
    expect(files).toContain('opt/spark/jars/srspark-jvm.jar');
  });
});

describe('installing RStudio Server from a .deb', () => {
  it('should stop before installing anything when a dependency is not in this Debian, naming it', async () => {
    const image = await ensureTestImage();
    // A .deb like Posit's, built here: it needs a real package and one no Debian has.
    const script = [
      'set -e',
      'mkdir -p /tmp/pkg/DEBIAN',
      'printf "Package: srs-fake-rstudio\\nVersion: 1.0\\nArchitecture: amd64\\nMaintainer: test <test@example.invalid>\\nDepends: libc6 (>= 2.17), no-such-package-srs (>= 1) | neither-this-one, psmisc\\nDescription: test\\n" > /tmp/pkg/DEBIAN/control',
      'dpkg-deb --build /tmp/pkg /tmp/fake.deb >/dev/null',
      'RSTUDIO_SHA256=$(sha256sum /tmp/fake.deb | cut -d" " -f1) bash /usr/local/lib/srs/install_rstudio_server.sh /tmp/fake.deb && exit 0 || status=$?',
      // runToCompletion keeps only stderr of a failed run.
      'dpkg -s srs-fake-rstudio >/dev/null 2>&1 && echo INSTALLED >&2 || echo NOT-INSTALLED >&2',
      'exit $status',
    ].join('\n');
    const result = await runToCompletion([
      '--user',
      'root',
      '--entrypoint',
      'bash',
      image,
      '-c',
      script,
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      "error: RStudio Server's fake.deb needs packages this Debian does not have:",
    );
    expect(result.stderr).toContain('no-such-package-srs (>= 1) | neither-this-one');
    expect(result.stderr).not.toMatch(/^\s+psmisc$/m);
    expect(result.stderr).toContain('NOT-INSTALLED');
  });
});

describe('the build stopping on a corrupted artifact', () => {
  it('should fail the stage that unpacks Spark, naming the file and both hashes', async () => {
    const context = await mkdtemp(join(tmpdir(), 'srs-context-'));
    try {
      for (const entry of ['Dockerfile', 'scripts', 'jvm'])
        await cp(join(CONTEXT_DIR, entry), join(context, entry), { recursive: true });
      await mkdir(join(context, 'artifacts', 'spark'), { recursive: true });
      await mkdir(join(context, 'artifacts', 'rstudio'), { recursive: true });
      await writeFile(
        join(context, 'artifacts', 'spark', 'pyspark-4.2.1.tar.gz'),
        'not what was published',
      );
      const expected = 'd79b7c8ee41e66a9202fe6f600ca90b931ca571ae9dbdf31c58d2672e5102da0';
      const buildx = await findBuildx({
        docker,
        baseImage: 'debian:trixie-slim',
        onProgress: () => undefined,
      });
      // BuildKit prints a step's output on stderr, each line after "#N <seconds>": read both
      // streams.
      const lines: string[] = [];
      const error = await buildx
        .run(
          [
            'build',
            '--progress=plain',
            '--target',
            'srspark-jvm',
            '--build-arg',
            'SPARK_VERSION=4.2.1',
            '--build-arg',
            'SPARK_ARTIFACT=pyspark-4.2.1.tar.gz',
            '--build-arg',
            `SPARK_ARTIFACT_CHECKSUM=sha256:${expected}`,
            '--build-arg',
            'SPARK_ARTIFACT_SOURCE=pypi',
            context,
          ],
          { onLine: (line) => lines.push(line.replace(/^#\d+ \d+(\.\d+)? /, '')) },
        )
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SrsError);
      const output = lines.join('\n');
      expect(output).toContain('error: checksum mismatch for pyspark-4.2.1.tar.gz');
      expect(output).toContain(`expected sha256: ${expected}`);
      expect(output).toMatch(/actual {3}sha256: [0-9a-f]{64}/);
      expect(output).not.toContain(`actual   sha256: ${expected}`);
    } finally {
      await rm(context, { recursive: true, force: true });
    }
  });
});

describe('the base image when no registry answers', () => {
  const image = 'debian:bookworm-slim';

  afterAll(async () => {
    await docker.run(['image', 'rm', image]).catch(() => undefined);
  });

  it('should bootstrap it from the Debian mirror under the same name and say so', async () => {
    await docker.run(['image', 'rm', image]).catch(() => undefined);
    const steps: string[] = [];
    const origin = await ensureBaseImage({
      image,
      pullTimeoutMs: 30_000,
      onProgress: (event) => event.kind === 'step' && steps.push(event.message),
    });
    // No registry answers on this machine (see shared/ENVIRONMENT.md), so the offline path runs.
    expect(origin).toBe('bootstrapped');
    expect(steps).toContain(`Base image ${image}: bootstrapped with debootstrap and imported`);
    expect(steps.some((step) => step.startsWith(`Base image ${image}: pull failed`))).toBe(true);
    const release = await runToCompletion([
      '--name',
      uniqueName('srs-base'),
      image,
      'cat',
      '/etc/debian_version',
    ]);
    expect(release.stdout).toMatch(/^12\.\d+$/);
    // Asked again, it is found locally and nothing is rebuilt.
    await expect(ensureBaseImage({ image, onProgress: () => undefined })).resolves.toBe('present');
    // Slim like Docker's official image: no apt lists or caches, apt and dpkg told to keep it so.
    const slim = await runToCompletion([
      image,
      'bash',
      '-c',
      'ls /var/lib/apt/lists | wc -l; ls /etc/apt/apt.conf.d/docker-clean /etc/dpkg/dpkg.cfg.d/docker-slim; du -sm /usr/share/doc | cut -f1',
    ]);
    const [lists, clean, dpkgConfig, docMb] = slim.stdout.split('\n');
    expect(Number(lists)).toBeLessThanOrEqual(2);
    expect([clean, dpkgConfig]).toEqual([
      '/etc/apt/apt.conf.d/docker-clean',
      '/etc/dpkg/dpkg.cfg.d/docker-slim',
    ]);
    expect(Number(docMb)).toBeLessThan(5);
  });
});
