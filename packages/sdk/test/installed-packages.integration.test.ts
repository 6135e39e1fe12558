// The packages as users get them: every publishable package packed with pnpm, the tarballs
// installed with plain npm into a project outside the checkout, and from there the image built,
// a stack deployed, scaled, read with `npx srs status --json` and removed.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { docker, keepStackLogs, uniqueName } from '@spark-rstudio-shiny/test-support';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = ['core', 'image', 'stack', 'sdk', 'cli'].map(
  (name) => `@spark-rstudio-shiny/${name}`,
);

// What a user's program does with the SDK, run from the temporary project.
const USER_PROGRAM = `
import { buildImage, SparkCluster } from '@spark-rstudio-shiny/sdk';
const [tag, stackName, sparkUi] = process.argv.slice(2);
const where = {
  sdk: import.meta.resolve('@spark-rstudio-shiny/sdk'),
  image: import.meta.resolve('@spark-rstudio-shiny/image'),
  stack: import.meta.resolve('@spark-rstudio-shiny/stack'),
};
const built = await buildImage({ tag, onProgress: () => {} });
const cluster = new SparkCluster({ stackName, image: built.tag, workers: 1, demo: false, ports: { sparkUi: Number(sparkUi), https: null } });
const deployed = await cluster.deploy({ timeoutMs: 600_000 });
const scaled = await cluster.scaleWorkers(2, { timeoutMs: 600_000 });
console.log(JSON.stringify({ where, imageId: built.imageId, deployed: deployed.spark.aliveWorkers, scaled: scaled.spark.aliveWorkers }));
`;

const REMOVE_PROGRAM = `
import { SparkCluster } from '@spark-rstudio-shiny/sdk';
const cluster = await SparkCluster.attach(process.argv[2]);
await cluster.remove({ purge: true });
console.log('removed');
`;

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === 'object' && address !== null ? address.port : 0),
      );
    });
  });
}

describe('the packages, installed from their tarballs outside the checkout', () => {
  const stackName = uniqueName('srs-pkg');
  const tag = `${uniqueName('srs-packaged')}:test`;
  let work = '';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'srs-packaged-'));
  });

  afterAll(async () => {
    await keepStackLogs(stackName);
    const project = join(work, 'project');
    await execa('node', ['remove.mjs', stackName], { cwd: project, reject: false });
    await docker.run(['stack', 'rm', stackName]).catch(() => undefined);
    await docker.run(['image', 'rm', tag]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });

  it('should build, deploy, scale, report and remove a cluster through the installed SDK and srs', async () => {
    // Pack what the build made (the test command's release dry run packed from a clean dist
    // just before), naming workspace deps by version. Not prepack's clean rebuild: it deletes dist
    // for a while, under the other test files that run the CLI from the checkout meanwhile.
    const tarballs = join(work, 'tarballs');
    await mkdir(tarballs);
    for (const name of PACKAGES)
      await execa(
        'bash',
        [
          'scripts/pnpm.sh',
          '--filter',
          name,
          '--config.ignore-scripts=true',
          'pack',
          '--pack-destination',
          tarballs,
        ],
        { cwd: ROOT },
      );
    const files = (await readdir(tarballs)).sort();
    expect(files).toEqual([
      'spark-rstudio-shiny-cli-0.2.0.tgz',
      'spark-rstudio-shiny-core-0.2.0.tgz',
      'spark-rstudio-shiny-image-0.2.0.tgz',
      'spark-rstudio-shiny-sdk-0.2.0.tgz',
      'spark-rstudio-shiny-stack-0.2.0.tgz',
    ]);

    // Install with plain npm, as a user would, into a project that has nothing else.
    const project = join(work, 'project');
    await mkdir(project);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'user-project', private: true, type: 'module' }),
    );
    await execa(
      'npm',
      ['install', '--no-audit', '--no-fund', ...files.map((file) => join(tarballs, file))],
      { cwd: project },
    );
    await writeFile(join(project, 'main.mjs'), USER_PROGRAM);
    await writeFile(join(project, 'remove.mjs'), REMOVE_PROGRAM);

    const run = await execa('node', ['main.mjs', tag, stackName, String(await freePort())], {
      cwd: project,
      timeout: 1_500_000,
    });
    const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
      where: Record<string, string>;
      imageId: string;
      deployed: number;
      scaled: number;
    };
    // Every package came from the project's node_modules, none from the checkout.
    for (const url of Object.values(result.where))
      expect(fileURLToPath(url).startsWith(join(project, 'node_modules'))).toBe(true);
    expect(result.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result).toMatchObject({ deployed: 1, scaled: 2 });

    // The CLI of the installed package finds the stack by name, with the options it was deployed
    // with.
    const status = await execa(
      'npx',
      ['--no-install', 'srs', '--stack', stackName, 'status', '--json'],
      { cwd: project },
    );
    const parsed = JSON.parse(status.stdout) as {
      ready: boolean;
      spark: { aliveWorkers: number };
      services: { name: string; image: string; imageTag: string }[];
    };
    expect(parsed.ready).toBe(true);
    expect(parsed.spark.aliveWorkers).toBe(2);
    expect(
      parsed.services.map((service) => [service.name, service.image, service.imageTag]).sort(),
    ).toEqual([
      ['master', result.imageId, tag],
      ['worker', result.imageId, tag],
    ]);

    const removed = await execa('node', ['remove.mjs', stackName], { cwd: project });
    expect(removed.stdout).toBe('removed');
    expect(
      (
        await docker.run([
          'service',
          'ls',
          '-q',
          '--filter',
          `label=com.docker.stack.namespace=${stackName}`,
        ])
      ).stdout,
    ).toBe('');
  });
});
