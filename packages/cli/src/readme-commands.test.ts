// Every command the README shows must exist: the npm scripts, the srs subcommands and each flag
// given to them, and the image name `docker run` is shown with. A renamed flag or script fails
// here instead of on a user's first screen.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_IMAGE_TAG } from '@spark-rstudio-shiny/sdk';
import { runCli } from './cli.js';

const ROOT = new URL('../../../', import.meta.url);
const readme = readFileSync(fileURLToPath(new URL('README.md', ROOT)), 'utf8');
const scripts = Object.keys(
  (
    JSON.parse(readFileSync(fileURLToPath(new URL('package.json', ROOT)), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts,
);

/**
 * Every command line the README shows: lines of its sh blocks, and inline code that starts like
 * one.
 */
export function commandsIn(markdown: string): string[] {
  const commands: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of (block[1] ?? '').split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command !== '') commands.push(command);
    }
  }
  for (const inline of markdown.matchAll(/`((?:npm|docker) [^`]+)`/g))
    commands.push((inline[1] ?? '').trim());
  return commands;
}

/** What `srs ARGS --help` prints. */
async function helpOf(args: string[]): Promise<string> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await runCli([...args, '--help']);
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

describe("the README's commands", () => {
  const commands = commandsIn(readme);

  it('should show the two commands of the Quickstart and more', () => {
    expect(commands).toEqual(expect.arrayContaining(['npm run up', 'npm test']));
    expect(commands.length).toBeGreaterThan(10);
  });

  it('should name only npm scripts that exist', () => {
    const named = commands.flatMap((command) => {
      const match = /^npm (?:run(?: -s)? )?([a-z:-]+)/.exec(command);
      return match?.[1] === undefined || match[1] === 'install' ? [] : [match[1]];
    });
    expect(named.length).toBeGreaterThan(5);
    for (const script of named) expect(scripts).toContain(script);
  });

  it('should give srs only subcommands and flags it has', async () => {
    const srsCalls = commands.flatMap((command) => {
      const match = /^npm run srs -- (.*)$/.exec(command);
      return match?.[1] === undefined ? [] : [match[1].split(/\s+/)];
    });
    expect(srsCalls.length).toBeGreaterThanOrEqual(6);
    const topHelp = await helpOf([]);
    for (const [subcommand = '', ...rest] of srsCalls) {
      expect(topHelp).toMatch(new RegExp(`^\\s+${subcommand}\\b`, 'm'));
      const help = await helpOf([subcommand]);
      for (const flag of rest.filter((word) => word.startsWith('--'))) expect(help).toContain(flag);
    }
  });

  it('should run the image under the name the build gives it', () => {
    const runs = commands.filter((command) => command.startsWith('docker run'));
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) expect(run.split(/\s+/)).toContain(DEFAULT_IMAGE_TAG);
  });
});
