import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SrsError } from '@spark-rstudio-shiny/sdk';
import { build } from './commands/build.js';
import { doctor } from './commands/doctor.js';
import { credentials } from './commands/credentials.js';
import { down } from './commands/down.js';
import { logs } from './commands/logs.js';
import { scale } from './commands/scale.js';
import { status } from './commands/status.js';
import { up } from './commands/up.js';
import { describeUrls } from './commands/urls.js';
import { clusterFor } from './commands/cluster-options.js';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { Reporter, type OutputMode } from './reporter.js';

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`must be a whole number ≥ 0, got "${value}"`);
  return Number(value);
}

/** Runs the srs command line and returns the exit code (the caller exits with it). */
export async function runCli(argv: readonly string[]): Promise<number> {
  let exitCode: number = EXIT_CODES.ok;
  let reporter = new Reporter('human');
  const program = new Command('srs')
    .description('A Spark + R cluster (Spark master, Shiny Server, RStudio Server, Spark workers) on Docker Swarm')
    .option('--stack <name>', 'stack name', 'srs')
    .option('--json', 'machine-readable output on stdout, no progress')
    .option('-q, --quiet', 'print only results and errors')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showSuggestionAfterError(true)
    .hook('preAction', (command) => {
      const options = command.opts<{ json?: boolean; quiet?: boolean }>();
      const mode: OutputMode = options.json === true ? 'json' : options.quiet === true ? 'quiet' : 'human';
      reporter = new Reporter(mode);
    });
  const globals = (): { stack: string } => program.opts<{ stack: string }>();
  const timeout = new Option('--timeout <seconds>', 'give up after this many seconds').argParser(wholeNumber).default(600);

  program
    .command('up')
    .description('install/start what is missing, build the image, deploy, wait until the workers are ALIVE')
    .option('-w, --workers <n>', 'number of Spark workers', wholeNumber, 2)
    .option('--image <tag>', 'image to deploy (built when it is the default one)')
    .addOption(timeout)
    .action(async (options: { workers: number; image?: string; timeout: number }) => {
      await up({ ...globals(), ...options }, reporter);
    });
  program
    .command('down')
    .description('remove the stack (volumes and secrets are kept, so `up` again loses nothing)')
    .option('--purge', "also delete the stack's volumes (Shiny apps, RStudio homes, Spark work dirs) and secrets")
    .addOption(timeout)
    .action(async (options: { timeout: number; purge?: boolean }) => down({ ...globals(), ...options }, reporter));
  program
    .command('status')
    .description("Swarm's and Spark's view of the cluster")
    .action(async () => {
      const current = await status(globals(), reporter);
      if (!current.ready) exitCode = EXIT_CODES.failure;
    });
  program
    .command('scale')
    .description('set the number of Spark workers and wait until they are ALIVE')
    .argument('<n>', 'number of workers')
    .addOption(timeout)
    .allowUnknownOption()
    .action(async (count: string, options: { timeout: number }) => scale(count, { ...globals(), ...options }, reporter));
  program
    .command('logs')
    .description('print the log of a service (master or worker)')
    .argument('<service>', 'master or worker')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--since <when>', 'only lines since a duration (10m) or a timestamp')
    .option('--tail <n>', 'only the last n lines of each task', (value) => String(wholeNumber(value)))
    .action(async (service: string, options: { follow?: boolean; since?: string; tail?: string }) => logs(service, { ...globals(), ...options }, reporter));
  program
    .command('build')
    .description('build the image (base image, verified Spark artifact, docker build)')
    .option('--image <tag>', 'image name')
    .option('--no-cache', "ignore Docker's layer cache")
    .action(async (options: { image?: string; cache: boolean }) => {
      await build({ ...(options.image === undefined ? {} : { image: options.image }), noCache: !options.cache }, reporter);
    });
  program
    .command('urls')
    .description('the URLs of the Spark UI, Shiny Server and RStudio Server')
    .action(() => {
      const urls = clusterFor(globals()).urls;
      reporter.result(urls, describeUrls(urls));
    });
  program
    .command('credentials')
    .description("the RStudio login (user and the password kept as the stack's Docker secret)")
    .action(async () => {
      await credentials(globals(), reporter);
    });
  program
    .command('doctor')
    .description('check every precondition, with a fix for each failure')
    .action(async () => {
      const checks = await doctor(reporter);
      if (checks.some((check) => check.status === 'fail')) exitCode = EXIT_CODES.failure;
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; everything else commander refuses is a usage error.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    reporter.error(error);
    return exitCodeFor(error);
  }
}

export { EXIT_CODES, SrsError };
