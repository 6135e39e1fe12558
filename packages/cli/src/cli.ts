import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SparkCluster, SrsError } from '@spark-rstudio-shiny/sdk';
import { build } from './commands/build.js';
import { doctor } from './commands/doctor.js';
import { certificate } from './commands/certificate.js';
import { connectInfo } from './commands/connect-info.js';
import { credentials } from './commands/credentials.js';
import { down } from './commands/down.js';
import { logs } from './commands/logs.js';
import { scale } from './commands/scale.js';
import { status } from './commands/status.js';
import { up } from './commands/up.js';
import { describeUrls } from './commands/urls.js';
import { clusterFor, sdkOptionFlags, type ClusterFlags } from './commands/cluster-options.js';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { withFlagNames } from './flag-names.js';
import { Reporter, type OutputMode } from './reporter.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** A comma-separated flag value as its items. */
function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function positiveSeconds(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`must be a whole number of seconds ≥ 1, got "${value}"`);
  return Number(value);
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError(`must be a whole number ≥ 0, got "${value}"`);
  return Number(value);
}

const EXAMPLES = `
Examples:
  srs up                                  engine, image, stack "srs" with 2 workers; prints the URLs
  srs up --stack demo --workers 4 --worker-memory 4g --port-https 9443 --port-spark-ui 18080
  srs status --json                       Swarm's and Spark's view, for scripts
  srs scale 3                             returns when 3 workers are ALIVE
  srs logs master -f                      follow the head's log (Ctrl-C stops)
  srs credentials                         the JupyterLab / RStudio login
  srs down --purge                        remove the stack, its volumes and secrets`;

/** Runs the srs command line and returns the exit code (the caller exits with it). */
export async function runCli(argv: readonly string[]): Promise<number> {
  let exitCode: number = EXIT_CODES.ok;
  let reporter = new Reporter('human');
  const program = new Command('srs')
    .description(
      'A Spark + R cluster (Spark master, Shiny Server, JupyterLab, RStudio Server, Spark workers) on Docker Swarm',
    )
    .version(version, '-V, --version', 'print the version')
    .option('--stack <name>', 'stack name', 'srs')
    .option('--json', 'machine-readable output on stdout, no progress')
    .option('-q, --quiet', 'print only results and errors')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showSuggestionAfterError(true)
    .addHelpText('after', EXAMPLES)
    .hook('preAction', (command) => {
      const options = command.opts<{ json?: boolean; quiet?: boolean }>();
      const mode: OutputMode =
        options.json === true ? 'json' : options.quiet === true ? 'quiet' : 'human';
      reporter = new Reporter(mode);
    });
  const globals = (): { stack: string } => program.opts<{ stack: string }>();
  const timeout = (): Option =>
    new Option('--timeout <seconds>', 'give up after this many seconds')
      .argParser(positiveSeconds)
      .default(600);

  const upCommand = program
    .command('up')
    .description(
      'install/start what is missing, build the image, deploy, wait until the workers are ALIVE (a stack that runs keeps its options unless flags change them)',
    )
    .option('-w, --workers <n>', 'number of Spark workers', wholeNumber)
    .option('--image <tag>', 'image to deploy (built when it is the default one)')
    .option(
      '--distribute-to <engines>',
      'copy the image to the engines of the other nodes first (comma-separated, e.g. ssh://me@node2,ssh://me@node3)',
      (value: string) =>
        value
          .split(',')
          .map((engine) => engine.trim())
          .filter(Boolean),
    )
    .option(
      '--push <ref>',
      'build the image, push it to this registry reference and deploy it by digest (every node pulls it)',
    )
    .option(
      '--apt <packages>',
      'your Debian packages on head and workers, comma-separated (R: r-cran-NAME): builds and deploys an image with them',
      list,
    )
    .option(
      '--pip <requirements>',
      'your Python packages on head and workers, comma-separated name==version',
      list,
    )
    .addOption(timeout());
  for (const flag of sdkOptionFlags()) upCommand.addOption(flag);
  upCommand.action(
    async (
      options: Omit<ClusterFlags, 'stack'> & {
        timeout: number;
        distributeTo?: string[];
        push?: string;
        apt?: string[];
        pip?: string[];
      },
    ) => {
      // --no-demo makes commander default demo to true: only a flag given changes a deployed stack.
      if (upCommand.getOptionValueSource('demo') === 'default') delete options.demo;
      await up({ ...globals(), ...options }, reporter);
    },
  );
  program
    .command('down')
    .description('remove the stack (volumes and secrets are kept, so `up` again loses nothing)')
    .option(
      '--purge',
      "also delete the stack's volumes (Shiny apps, IDE homes, data, Spark work dirs) and secrets",
    )
    .addOption(timeout())
    .action(async (options: { timeout: number; purge?: boolean }) =>
      down({ ...globals(), ...options }, reporter),
    );
  program
    .command('status')
    .description("Swarm's and Spark's view of the cluster")
    .action(async () => {
      const current = await status(globals(), reporter);
      if (!current.ready) exitCode = EXIT_CODES.failure;
    });
  program
    .command('list')
    .description('the stacks deployed on this swarm, with their URLs')
    .action(async () => {
      const clusters = await SparkCluster.list();
      reporter.result(
        clusters.map((cluster) => ({
          stackName: cluster.config.stackName,
          workers: cluster.config.workers,
          urls: cluster.urls,
        })),
        clusters.length === 0
          ? 'No stacks deployed'
          : clusters
              .map(
                (cluster) =>
                  `${cluster.config.stackName}\n${describeUrls(cluster.urls).replace(/^/gm, '  ')}`,
              )
              .join('\n'),
      );
    });
  program
    .command('scale')
    .description('set the number of Spark workers and wait until they are ALIVE')
    .argument('<n>', 'number of workers')
    .addOption(timeout())
    // "scale -1" must reach the argument check (and say why -1 is wrong), not stop as an unknown
    // option.
    .allowUnknownOption()
    .action(async (count: string, options: { timeout: number }, command: Command) => {
      const extra = command.args.slice(1);
      if (extra.length > 0)
        throw new SrsError({
          code: 'INVALID_CONFIGURATION',
          message: `unknown option or argument ${extra.join(' ')}`,
          hint: 'usage: srs scale <n> [--timeout <seconds>]',
        });
      await scale(count, { ...globals(), ...options }, reporter);
    });
  program
    .command('logs')
    .description('print the log of a service (master or worker)')
    .argument('<service>', 'master or worker')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--since <when>', 'only lines since a duration (10m) or a timestamp')
    .option('--tail <n>', 'only the last n lines of each task', (value) =>
      String(wholeNumber(value)),
    )
    .action(async (service: string, options: { follow?: boolean; since?: string; tail?: string }) =>
      logs(service, { ...globals(), ...options }, reporter),
    );
  program
    .command('build')
    .description(
      'build the image (base image, verified Spark artifact and JupyterLab wheels, BuildKit build), and push it with --push',
    )
    .option('--image <tag>', 'image name')
    .option('--no-cache', "ignore Docker's layer cache")
    .option(
      '--push <ref>',
      'push to a registry, e.g. registry.example:5000/team/spark-rstudio-shiny (prints the reference by digest)',
    )
    .option(
      '--arch <list>',
      "architectures to build, e.g. amd64,arm64 (default: the engine's; another one runs under emulation)",
      list,
    )
    .option(
      '--insecure-registry',
      'the --push registry answers plain HTTP (for the manifest list of several architectures)',
    )
    .option(
      '--apt <packages>',
      'your Debian packages on head and workers, comma-separated (R: r-cran-NAME); names the image …-custom',
      list,
    )
    .option(
      '--pip <requirements>',
      'your Python packages on head and workers, comma-separated name==version',
      list,
    )
    .action(
      async (options: {
        image?: string;
        cache: boolean;
        push?: string;
        arch?: string[];
        insecureRegistry?: boolean;
        apt?: string[];
        pip?: string[];
      }) => {
        await build(
          {
            image: options.image,
            noCache: !options.cache,
            push: options.push,
            arch: options.arch,
            insecureRegistry: options.insecureRegistry,
            apt: options.apt,
            pip: options.pip,
          },
          reporter,
        );
      },
    );
  program
    .command('urls')
    .description('the URLs of the Spark UI, Shiny Server, JupyterLab and RStudio Server')
    .action(async () => {
      // Only a stack that runs has URLs: none deployed is an error, not the defaults.
      const urls = (await SparkCluster.attach(globals().stack)).urls;
      reporter.result(urls, describeUrls(urls));
    });
  program
    .command('credentials')
    .description(
      "the IDE login for JupyterLab and RStudio (user and the password kept as the stack's Docker secret)",
    )
    .action(async () => {
      await credentials(globals(), reporter);
    });
  program
    .command('connect-info')
    .description(
      "Spark Connect's connection string (sc://host:port/;token=…) for clients outside the cluster",
    )
    .action(async () => {
      await connectInfo(globals(), reporter);
    });
  program
    .command('certificate')
    .description(
      "the front door's certificate: your own in place of the one the stack's CA made (the stack must be down; used from the next up)",
    )
    .requiredOption('--cert <file>', 'PEM: the server certificate, then its intermediates')
    .requiredOption('--key <file>', 'PEM: its unencrypted private key')
    .option('--ca <file>', 'PEM: the CA clients should trust, for a private CA')
    .option('--host <name>', 'the host the stack is reached at (the certificate must name it)')
    .option('--orchestrator <name>', 'swarm (default) or compose')
    .action(
      async (options: {
        cert: string;
        key: string;
        ca?: string;
        host?: string;
        orchestrator?: string;
      }) => {
        await certificate({ ...globals(), ...options }, reporter);
      },
    );
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
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
        ? EXIT_CODES.ok
        : EXIT_CODES.usage;
    }
    reporter.error(withFlagNames(error));
    return exitCodeFor(error);
  }
}

export { EXIT_CODES, SrsError };
