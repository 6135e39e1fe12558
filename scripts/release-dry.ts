// npm run release:dry [-- --node PATH ...]: what `npm publish` would publish, checked, without
// publishing. Packs the five packages (each builds from a clean dist first), checks every
// tarball (LICENSE, README, the metadata npm shows, no workspace: ranges, source maps that carry
// their sources, every import declared, no file without its source), installs the tarballs into
// an empty project with pnpm's strict layout (no hoisting: an undeclared import fails there as it
// would for a user), runs the installed `srs` and imports the SDK with each Node given, and prints
// one JSON object. Exits 1 when a check fails.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PACKAGES: Record<string, string> = {
  '@spark-rstudio-shiny/core': 'packages/core',
  '@spark-rstudio-shiny/image': 'images/spark-rstudio-shiny',
  '@spark-rstudio-shiny/stack': 'stack',
  '@spark-rstudio-shiny/sdk': 'packages/sdk',
  '@spark-rstudio-shiny/cli': 'packages/cli',
};
const MAX_BUFFER = 64 * 1024 * 1024;

interface PackageReport {
  name: string;
  version: string;
  tarball: string;
  files: number;
  bytes: number;
  unpackedBytes: number;
  problems: string[];
}

/** Every bare module an ES module imports, statically or dynamically. */
export function importedModules(source: string): string[] {
  const found = new Set<string>();
  for (const match of source.matchAll(
    /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm,
  )) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier !== undefined) found.add(specifier);
  }
  return [...found];
}

/** The package a bare specifier names: "@scope/name/sub" → "@scope/name", "name/sub" → "name". */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

async function checkTarball(name: string, tarball: string, work: string): Promise<PackageReport> {
  const problems: string[] = [];
  const unpacked = await mkdtemp(join(work, 'unpacked-'));
  await run('tar', ['-xzf', tarball, '-C', unpacked]);
  const dir = join(unpacked, 'package');
  const files = await filesUnder(dir);
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const license = await readFile(join(dir, 'LICENSE'), 'utf8').catch(() => undefined);
  if (license === undefined) problems.push('no LICENSE');
  else if (license !== (await readFile(join(ROOT, 'LICENSE'), 'utf8')))
    problems.push('LICENSE differs from the repository LICENSE');
  if (!files.includes('README.md')) problems.push('no README.md');
  for (const field of [
    'license',
    'repository',
    'homepage',
    'bugs',
    'keywords',
    'engines',
    'description',
  ]) {
    if (
      manifest[field] === undefined ||
      (Array.isArray(manifest[field]) && manifest[field].length === 0)
    )
      problems.push(`package.json has no ${field}`);
  }
  const dependencies = { ...(manifest['dependencies'] as Record<string, string> | undefined) };
  for (const [dependency, range] of Object.entries(dependencies))
    if (range.startsWith('workspace:')) problems.push(`${dependency} is still ${range}`);
  const builtins = new Set([
    ...builtinModules,
    ...builtinModules.map((module) => `node:${module}`),
  ]);
  for (const file of files) {
    if (file.endsWith('.js.map')) {
      const map = JSON.parse(await readFile(join(dir, file), 'utf8')) as {
        sources?: string[];
        sourcesContent?: (string | null)[];
      };
      const sources = map.sources ?? [];
      if (
        (map.sourcesContent ?? []).filter((content) => typeof content === 'string').length !==
        sources.length
      ) {
        problems.push(`${file} points at sources it does not carry`);
      }
    }
    if (file.startsWith('dist/') && file.endsWith('.js')) {
      if (!files.includes(`${file}.map`)) problems.push(`${file} has no source map`);
      if (/\.test\.js$/.test(file)) problems.push(`${file} is a test`);
      for (const specifier of importedModules(await readFile(join(dir, file), 'utf8'))) {
        if (specifier.startsWith('.') || builtins.has(specifier) || specifier.startsWith('node:'))
          continue;
        const dependency = packageOf(specifier);
        if (dependency !== name && dependencies[dependency] === undefined)
          problems.push(`${file} imports ${dependency}, which package.json does not declare`);
      }
    }
  }
  // A compiled file without its source in the checkout is left over from an older build.
  const sourceDir = join(ROOT, PACKAGES[name] ?? '', 'src');
  for (const file of files.filter(
    (candidate) => candidate.startsWith('dist/') && candidate.endsWith('.js'),
  )) {
    const source = join(sourceDir, file.slice('dist/'.length).replace(/\.js$/, '.ts'));
    if (
      !(await readFile(source).then(
        () => true,
        () => false,
      ))
    )
      problems.push(`${file} has no source (${relative(ROOT, source)}): a stale build`);
  }
  const published = JSON.parse(
    (await run('npm', ['publish', '--dry-run', '--json', tarball], { maxBuffer: MAX_BUFFER }))
      .stdout,
  ) as Record<string, { version: string; size: number; unpackedSize: number; files: unknown[] }>;
  const report = published[name];
  if (report === undefined) problems.push('npm publish --dry-run did not report it');
  return {
    name,
    version: report?.version ?? String(manifest['version']),
    tarball: relative(work, tarball),
    files: report?.files.length ?? files.length,
    bytes: report?.size ?? 0,
    unpackedBytes: report?.unpackedSize ?? 0,
    problems,
  };
}

/** Installs the tarballs with pnpm's strict layout and runs what a user runs, with one Node. */
async function tryInstalled(
  project: string,
  node: string,
): Promise<{ node: string; version: string; problems: string[] }> {
  const problems: string[] = [];
  const version = (await run(node, ['--version'])).stdout.trim();
  const srs = join(project, 'node_modules', '@spark-rstudio-shiny', 'cli', 'dist', 'bin', 'srs.js');
  const expected = JSON.parse(await readFile(join(ROOT, 'packages/cli/package.json'), 'utf8')) as {
    version: string;
  };
  const cliVersion = await run(node, [srs, '--version'], { cwd: project }).then(
    (result) => result.stdout.trim(),
    (error: Error & { stderr?: string }) =>
      `failed: ${(error.stderr ?? error.message).trim().split('\n').slice(-3).join(' ')}`,
  );
  if (cliVersion !== expected.version) problems.push(`srs --version printed "${cliVersion}"`);
  await run(node, [srs, '--help'], { cwd: project }).catch((error: Error) =>
    problems.push(`srs --help failed: ${error.message.split('\n')[0] ?? ''}`),
  );
  const program = [
    "const sdk = await import('@spark-rstudio-shiny/sdk');",
    "const cli = await import('@spark-rstudio-shiny/cli');",
    "const missing = ['SparkCluster', 'buildImage', 'SrsError', 'probeEngine', 'renderStackFile'].filter((name) => typeof sdk[name] !== 'function');",
    "if (typeof cli.runCli !== 'function') missing.push('cli.runCli');",
    'const cluster = new sdk.SparkCluster({ workers: 1 });',
    "if (typeof cluster[Symbol.asyncDispose] !== 'function') missing.push('SparkCluster[Symbol.asyncDispose]');",
    'console.log(JSON.stringify(missing));',
  ].join('\n');
  await writeFile(join(project, 'check.mjs'), program);
  const imported = await run(node, ['check.mjs'], { cwd: project }).then(
    (result) => JSON.parse(result.stdout.trim()) as string[],
    (error: Error) => [
      `importing the packages failed: ${error.message.split('\n').slice(0, 3).join(' ')}`,
    ],
  );
  problems.push(...imported.map((what) => (what.includes(' ') ? what : `${what} is not exported`)));
  return { node: version, version: cliVersion, problems };
}

async function main(): Promise<void> {
  const nodes = [process.execPath];
  const args = process.argv.slice(2);
  for (let index = 0; index < args.length; index += 1)
    if (args[index] === '--node' && args[index + 1] !== undefined)
      nodes.push(args[(index += 1)] as string);
  const work = await mkdtemp(join(tmpdir(), 'srs-release-'));
  try {
    const tarballs = join(work, 'tarballs');
    await mkdir(tarballs);
    const pnpm = ['bash', join(ROOT, 'scripts', 'pnpm.sh')];
    const packed: Record<string, string> = {};
    for (const name of Object.keys(PACKAGES)) {
      const before = new Set(await readdir(tarballs));
      await run(
        pnpm[0] as string,
        [...pnpm.slice(1), '--filter', name, 'pack', '--pack-destination', tarballs],
        { cwd: ROOT, maxBuffer: MAX_BUFFER },
      );
      const made = (await readdir(tarballs)).find((file) => !before.has(file));
      if (made === undefined) throw new Error(`pnpm pack made no tarball for ${name}`);
      packed[name] = join(tarballs, made);
    }
    const packages: PackageReport[] = [];
    for (const [name, tarball] of Object.entries(packed))
      packages.push(await checkTarball(name, tarball, work));

    // A user's project: the CLI and the SDK from the tarballs, their own dependencies from the
    // registry, laid out strictly (a package sees only what it declares).
    const project = join(work, 'project');
    await mkdir(project);
    const overrides = Object.fromEntries(
      Object.entries(packed).map(([name, tarball]) => [name, `file:${tarball}`]),
    );
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'user-project',
        private: true,
        type: 'module',
        dependencies: {
          '@spark-rstudio-shiny/cli': `file:${packed['@spark-rstudio-shiny/cli'] ?? ''}`,
          '@spark-rstudio-shiny/sdk': `file:${packed['@spark-rstudio-shiny/sdk'] ?? ''}`,
        },
        pnpm: { overrides },
      }),
    );
    await writeFile(
      join(project, '.npmrc'),
      'node-linker=isolated\nhoist=false\npublic-hoist-pattern[]=\nstrict-peer-dependencies=true\n',
    );
    // pnpm.sh runs in the checkout: the project's install runs the same pinned pnpm in the project.
    const { packageManager } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      packageManager: string;
    };
    const install = await run('npx', ['--yes', packageManager, 'install', '--reporter=silent'], {
      cwd: project,
      maxBuffer: MAX_BUFFER,
    }).then(
      () => [],
      (error: Error & { stderr?: string }) => [
        `strict install failed: ${(error.stderr ?? error.message).split('\n').slice(-5).join(' ')}`,
      ],
    );
    const installed =
      install.length > 0 ? [] : await Promise.all(nodes.map((node) => tryInstalled(project, node)));
    const ok =
      packages.every((report) => report.problems.length === 0) &&
      install.length === 0 &&
      installed.every((result) => result.problems.length === 0);
    console.log(
      JSON.stringify(
        {
          ok,
          packages,
          install: { layout: 'pnpm isolated, no hoisting', problems: install },
          installed,
        },
        null,
        2,
      ),
    );
    process.exitCode = ok ? 0 : 1;
  } finally {
    if (process.env.SRS_KEEP_RELEASE_DIR === undefined)
      await rm(work, { recursive: true, force: true });
    else console.error(`kept ${work}`);
  }
}

await main();
