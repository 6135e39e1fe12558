// Image build benchmark: prints one JSON object.
//   pnpm bench            warm builds (layer cache and artifact cache hot) and cold builds
// (--no-cache)
//   pnpm bench -- --warm  warm builds only
// Each build is done twice: through the SDK (base image check, artifact verification, build,
// labels) and with plain buildx on the same staged context, so the SDK's overhead is a ratio.
import { link, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { DEFAULT_IMAGE_TAG, DockerCli } from '@spark-rstudio-shiny/core';
import {
  buildImage,
  DEFAULT_CONTEXT_DIR,
  fetchPythonWheels,
  fetchSparkArtifact,
  findBuildx,
  formatChecksum,
} from '../src/index.js';

const docker = new DockerCli();
const quiet = (): void => undefined;

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: Math.round(performance.now() - started), value };
}

/**
 * The same build with buildx alone (no SDK: no base image check, no verification, no labels), on a
 * context staged the same way.
 */
async function plainDockerBuild(noCache: boolean): Promise<number> {
  const spark = await fetchSparkArtifact({ version: '4.2.1', onProgress: quiet });
  const staged = join(DEFAULT_CONTEXT_DIR, 'artifacts');
  await rm(staged, { recursive: true, force: true });
  await mkdir(join(staged, 'spark'), { recursive: true });
  await mkdir(join(staged, 'rstudio'), { recursive: true });
  await mkdir(join(staged, 'python-wheels'), { recursive: true });
  await link(spark.path, join(staged, 'spark', spark.fileName));
  const wheels = await fetchPythonWheels({
    lockFile: join(DEFAULT_CONTEXT_DIR, 'python', 'jupyterlab.lock'),
    onProgress: quiet,
  });
  for (const file of wheels.files)
    await link(join(wheels.dir, file), join(staged, 'python-wheels', file));
  const buildx = await findBuildx({ docker, baseImage: 'debian:trixie-slim', onProgress: quiet });
  try {
    const { ms } = await timed(() =>
      buildx.run([
        'build',
        ...(noCache ? ['--no-cache'] : []),
        '--load',
        '-t',
        'spark-rstudio-shiny:bench-plain',
        '--build-arg',
        `SPARK_VERSION=${spark.version}`,
        '--build-arg',
        `SPARK_ARTIFACT=${spark.fileName}`,
        '--build-arg',
        `SPARK_ARTIFACT_CHECKSUM=${formatChecksum(spark.checksum)}`,
        '--build-arg',
        `SPARK_ARTIFACT_SOURCE=${spark.source}`,
        DEFAULT_CONTEXT_DIR,
      ]),
    );
    return ms;
  } finally {
    await rm(staged, { recursive: true, force: true });
  }
}

// What each part of the image weighs: its layers, by the Dockerfile step that made them (the
// base image's own layers are the ones made before the Dockerfile's SHELL line).
const COMPONENTS: [string, RegExp][] = [
  ['supervisor', /install_supervisor\.sh/],
  ['java', /install_java\.sh/],
  ['python', /install_python\.sh/],
  ['r', /install_r\.sh/],
  ['shinyServer', /install_shiny_server\.sh/],
  ['rstudioServer', /install_rstudio_server\.sh/],
  ['srspark', /install_srspark\.sh|srspark-jvm\.jar| \/tmp\/r\/| \/usr\/local\/share\/srs\/apps/],
  ['spark', /install_spark\.sh/],
  ['jupyterlab', /install_jupyterlab\.sh|jupyterlab\.lock/],
];

async function componentSizes(
  tag: string,
  baseImage = 'debian:trixie-slim',
): Promise<Record<string, number>> {
  const history = async (image: string): Promise<string[]> =>
    (
      await docker.run([
        'history',
        '--no-trunc',
        '--human=false',
        '--format',
        '{{.Size}}\t{{.CreatedBy}}',
        image,
      ])
    ).stdout
      .split('\n')
      .filter(Boolean)
      .reverse();
  // The oldest entries are the base image's own; the Dockerfile's steps follow.
  const base = (await history(baseImage)).length;
  const sizes: Record<string, number> = { base: 0 };
  for (const [index, line] of (await history(tag)).entries()) {
    const [size, createdBy = ''] = line.split('\t');
    const name =
      index < base
        ? 'base'
        : (COMPONENTS.find(([, pattern]) => pattern.test(createdBy))?.[0] ?? 'other');
    sizes[name] = (sizes[name] ?? 0) + Number(size);
  }
  return sizes;
}

const warmOnly = process.argv.includes('--warm');
await buildImage({ onProgress: quiet }); // make sure everything is cached before measuring "warm"
const sdkWarm = await timed(() => buildImage({ onProgress: quiet }));
const plainWarm = await plainDockerBuild(false);
const result: Record<string, unknown> = {
  image: DEFAULT_IMAGE_TAG,
  imageSizeBytes: Number(
    (await docker.run(['image', 'inspect', '--format', '{{.Size}}', DEFAULT_IMAGE_TAG])).stdout,
  ),
  componentSizeBytes: await componentSizes(DEFAULT_IMAGE_TAG),
  sparkSource: sdkWarm.value.spark.source,
  warm: {
    sdkMs: sdkWarm.ms,
    plainDockerMs: plainWarm,
    ratio: Number((sdkWarm.ms / plainWarm).toFixed(2)),
  },
};
if (!warmOnly) {
  const sdkCold = await timed(() => buildImage({ noCache: true, onProgress: quiet }));
  const plainCold = await plainDockerBuild(true);
  result.cold = {
    sdkMs: sdkCold.ms,
    plainDockerMs: plainCold,
    ratio: Number((sdkCold.ms / plainCold).toFixed(2)),
  };
}
await docker.run(['image', 'rm', 'spark-rstudio-shiny:bench-plain']).catch(() => undefined);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
