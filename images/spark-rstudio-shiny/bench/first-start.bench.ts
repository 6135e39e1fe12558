// First-start benchmark: prints one JSON object.
//   npm run bench:first-start [-- --keep]
// What a new user's first `npm run up` costs, on a fresh machine: a container of Debian 12 (as the
// CI machine is) with Python, git and the host's Node.js and npm, and nothing of the project's,
// no Docker engine, no caches; Docker-in-Docker flags let `npm run up` install and start its own
// engine in there, bootstrap its base image and build. Measured: the fresh `npm run up` (from a
// clean clone to the workers ALIVE), the images and build cache on disk after it, a second
// `npm run up` on the now warm machine with the stack running, and `down` then `up` (a redeploy
// from the built image). The same machine then builds the image again with `--no-cache` through
// the SDK and with plain buildx (no SDK, the artifacts staged the same way): a ratio.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { DockerCli } from '@spark-rstudio-shiny/core';
import { ensureBaseImage } from '../src/index.js';

const docker = new DockerCli();
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MACHINE_IMAGE = 'srs-bench-fresh-machine:bookworm';
const MACHINE_CONTEXT = fileURLToPath(new URL('./fresh-machine/', import.meta.url));
// What an engine in a container needs here (see shared/ENVIRONMENT.md).
const DIND_FLAGS = [
  '--cap-add',
  'ALL',
  '--cap-drop',
  'SYS_MODULE',
  '--cap-drop',
  'SYS_RESOURCE',
  '--security-opt',
  'seccomp=unconfined',
  '--security-opt',
  'apparmor=unconfined',
  '--security-opt',
  'systempaths=unconfined',
  '--tmpfs',
  '/run',
  '-v',
  '/sys/fs/cgroup:/sys/fs/cgroup:rw',
];

const log = (message: string): void => void process.stderr.write(`[first-start] ${message}\n`);

async function inMachine(
  container: string,
  script: string,
): Promise<{ seconds: number; output: string }> {
  const started = performance.now();
  const result = await execa('docker', ['exec', container, 'bash', '-lc', script], {
    all: true,
    timeout: 3_600_000,
    reject: false,
  });
  const seconds = Number(((performance.now() - started) / 1000).toFixed(1));
  if (result.exitCode !== 0)
    throw new Error(
      `in the fresh machine, "${script}" failed after ${seconds} s:\n${String(result.all).split('\n').slice(-30).join('\n')}`,
    );
  return { seconds, output: String(result.all) };
}

/** `docker system df` inside the machine, in bytes per kind. */
async function diskUse(
  container: string,
): Promise<Record<string, { bytes: number; reclaimableBytes: number }>> {
  const { output } = await inMachine(container, "docker system df --format '{{json .}}'");
  const units: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };
  const bytes = (text: string): number => {
    const match = /([\d.]+)\s*([kKMGT]?B)/.exec(text);
    return match === null ? 0 : Math.round(Number(match[1]) * (units[match[2] ?? 'B'] ?? 1));
  };
  const use: Record<string, { bytes: number; reclaimableBytes: number }> = {};
  for (const line of output.split('\n').filter((candidate) => candidate.startsWith('{'))) {
    const row = JSON.parse(line) as { Type: string; Size: string; Reclaimable: string };
    use[row.Type] = { bytes: bytes(row.Size), reclaimableBytes: bytes(row.Reclaimable) };
  }
  return use;
}

const keep = process.argv.includes('--keep');
log('the fresh machine: a Debian 12 image made here, without a registry');
await ensureBaseImage({
  image: 'debian:bookworm-slim',
  docker,
  onProgress: (event) => event.kind === 'step' && log(event.message),
});
await docker.run(['build', '--force-rm', '-q', '-t', MACHINE_IMAGE, MACHINE_CONTEXT], {
  timeoutMs: 900_000,
});
// npm as this machine has it: <prefix>/lib/node_modules/npm, whose bin/npm-cli.js `npm` links to.
const npmRoot = dirname(
  dirname((await execa('readlink', ['-f', join(dirname(process.execPath), 'npm')])).stdout),
);
const clone = await mkdtemp(join(tmpdir(), 'srs-first-start-'));
await execa('git', ['clone', '--quiet', ROOT, join(clone, 'srs')]);
const container = `srs-first-start-${process.pid}`;
const volume = `${container}-docker`;
try {
  await docker.run([
    'run',
    '-d',
    '--name',
    container,
    ...DIND_FLAGS,
    '-v',
    `${volume}:/var/lib/docker`,
    '-v',
    `${process.execPath}:/usr/local/bin/node:ro`,
    '-v',
    `${npmRoot}:/usr/local/lib/node_modules/npm:ro`,
    '-v',
    `${join(clone, 'srs')}:/src:ro`,
    // This machine reaches PyPI and the npm registry through its own certificates and pip settings.
    '-v',
    '/etc/ssl/certs:/etc/ssl/certs:ro',
    ...(await execa('test', ['-f', '/etc/pip.conf']).then(
      () => ['-v', '/etc/pip.conf:/etc/pip.conf:ro'],
      () => [],
    )),
    '-e',
    'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
    MACHINE_IMAGE,
  ]);
  await inMachine(container, 'git clone --quiet /src /root/srs');
  log('fresh `npm run up` (engine, swarm, base image, artifacts, build, deploy, 2 workers ALIVE)…');
  const fresh = await inMachine(container, 'cd /root/srs && npm run up');
  log(`fresh: ${fresh.seconds} s`);
  const disk = await diskUse(container);
  const imagesListed = (
    await inMachine(container, "docker image ls -a --format '{{.Repository}}:{{.Tag}} {{.Size}}'")
  ).output
    .split('\n')
    .filter(Boolean);
  log('second `npm run up` with the stack running…');
  const warm = await inMachine(container, 'cd /root/srs && npm run up');
  log('`npm run srs -- down`, then `npm run up` (a redeploy from the built image)…');
  await inMachine(container, 'cd /root/srs && npm run srs -- down');
  const redeploy = await inMachine(container, 'cd /root/srs && npm run up');
  log(
    '`npm run srs -- build --no-cache` (the SDK), then plain buildx, no SDK, --no-cache, on the same machine…',
  );
  const sdkBuild = await inMachine(container, 'cd /root/srs && npm run srs -- build --no-cache');
  const staged = await inMachine(
    container,
    [
      'set -e; cd /root/srs/images/spark-rstudio-shiny',
      'rm -rf artifacts; mkdir -p artifacts/spark artifacts/rstudio artifacts/python-wheels',
      'cp ~/.cache/spark-rstudio-shiny/artifacts/spark/pyspark-4.2.1.tar.gz artifacts/spark/',
      'cp ~/.cache/spark-rstudio-shiny/artifacts/python-wheels/*.whl artifacts/python-wheels/',
      'echo "$(cut -d: -f2 ~/.cache/spark-rstudio-shiny/artifacts/spark/pyspark-4.2.1.tar.gz.checksum)"',
    ].join('; '),
  );
  const sha = staged.output.trim().split('\n').pop() ?? '';
  const plain = await inMachine(
    container,
    [
      'cd /root/srs/images/spark-rstudio-shiny',
      `~/.cache/spark-rstudio-shiny/tools/docker-buildx-linux-amd64 build --no-cache --load -t plain:test --build-arg SPARK_VERSION=4.2.1 --build-arg SPARK_ARTIFACT=pyspark-4.2.1.tar.gz --build-arg SPARK_ARTIFACT_CHECKSUM=sha256:${sha} --build-arg SPARK_ARTIFACT_SOURCE=pypi . >/dev/null 2>&1`,
    ].join('; '),
  );
  const buildLine = /Building spark-rstudio-shiny[^\n]*\n[\s\S]*?Built spark-rstudio-shiny/.exec(
    fresh.output,
  );
  process.stdout.write(
    `${JSON.stringify(
      {
        machine: 'Debian 12 container, no engine, no caches (Docker-in-Docker); the host Node.js',
        node: (await execa(process.execPath, ['--version'])).stdout,
        freshUpSeconds: fresh.seconds,
        diskAfterFreshUp: disk,
        imagesAfterFreshUp: imagesListed,
        secondUpSeconds: warm.seconds,
        downThenUpSeconds: redeploy.seconds,
        build: {
          sdkNoCacheSeconds: sdkBuild.seconds,
          plainBuildxNoCacheSeconds: plain.seconds,
          ratio: Number((sdkBuild.seconds / plain.seconds).toFixed(2)),
        },
        buildOutputSeen: buildLine !== null,
        targets: { freshUpSeconds: 180, imagesBytes: 2.2e9, secondUpSeconds: 20 },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  if (!keep) {
    await docker.run(['rm', '-f', container]).catch(() => undefined);
    await docker.run(['volume', 'rm', volume]).catch(() => undefined);
  } else {
    log(`kept ${container}`);
  }
  await rm(clone, { recursive: true, force: true });
}
