import { InvalidArgumentError, Option } from 'commander';
import {
  SparkCluster,
  isSrsError,
  type ClusterConfig,
  type ClusterConfigInput,
} from '@spark-rstudio-shiny/sdk';

/** Options every cluster command shares, and the SDK options `up` takes as flags. */
export interface ClusterFlags {
  stack: string;
  orchestrator?: string | undefined;
  image?: string | undefined;
  workers?: number | undefined;
  workerCores?: number | undefined;
  workerMemory?: string | undefined;
  masterCpus?: number | undefined;
  masterMemory?: string | undefined;
  portSparkUi?: PortFlag | undefined;
  portShiny?: PortFlag | undefined;
  portJupyter?: PortFlag | undefined;
  portRstudio?: PortFlag | undefined;
  portSparkHistory?: PortFlag | undefined;
  portSparkMaster?: PortFlag | undefined;
  portSparkConnect?: PortFlag | undefined;
  portHttps?: PortFlag | undefined;
  host?: string | undefined;
  ideUser?: string | undefined;
  networkEncryption?: boolean | undefined;
  demo?: boolean | undefined;
}

/**
 * A port flag's value: a number, or "none" (unpublished). Commander keeps a parser's null as the
 * raw text, so "none" stays a word until configFromFlags.
 */
export type PortFlag = number | 'none';

/** A port flag: a number, or "none" to leave the port unpublished. The SDK validates the range. */
function portValue(value: string): PortFlag {
  if (value === 'none') return 'none';
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError(`must be a port number or "none", got "${value}"`);
  return Number(value);
}

function positiveNumber(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value))
    throw new InvalidArgumentError(`must be a number, got "${value}"`);
  return Number(value);
}

/** The flags of `srs up` for every SDK option (validated by the SDK, which says what is wrong). */
export function sdkOptionFlags(): Option[] {
  return [
    new Option(
      '--orchestrator <name>',
      'what runs the stack: swarm (default; one or many nodes) or compose (Docker Compose on this host)',
    ),
    new Option('--worker-cores <n>', 'CPUs of each worker (whole cores)').argParser(positiveNumber),
    new Option(
      '--worker-memory <size>',
      'memory of each worker container, e.g. 2g (Spark gets it minus 1g)',
    ),
    new Option('--master-cpus <n>', 'CPUs of the head').argParser(positiveNumber),
    new Option('--master-memory <size>', 'memory of the head, e.g. 4g'),
    new Option(
      '--port-https <port|none>',
      'host port of the front door: everything over HTTPS behind the IDE login (default 8443)',
    ).argParser(portValue),
    new Option(
      '--port-spark-ui <port|none>',
      'publish the Spark UI in plain HTTP, no login (off by default)',
    ).argParser(portValue),
    new Option(
      '--port-shiny <port|none>',
      'publish Shiny Server in plain HTTP, its apps public (off by default)',
    ).argParser(portValue),
    new Option(
      '--port-jupyter <port|none>',
      'publish JupyterLab in plain HTTP, its password in clear (off by default)',
    ).argParser(portValue),
    new Option(
      '--port-rstudio <port|none>',
      'publish RStudio Server in plain HTTP (off by default)',
    ).argParser(portValue),
    new Option(
      '--port-spark-history <port|none>',
      "publish Spark's history server in plain HTTP, no login (off by default)",
    ).argParser(portValue),
    new Option(
      '--port-spark-master <port|none>',
      'host port of Spark RPC (7077), unpublished by default',
    ).argParser(portValue),
    new Option(
      '--port-spark-connect <port|none>',
      'run Spark Connect (with a token, see srs connect-info) on this host port; off by default',
    ).argParser(portValue),
    new Option('--host <name>', 'the host the published ports are reached at from here'),
    new Option('--ide-user <name>', 'the IDE login (JupyterLab, RStudio)'),
    new Option('--network-encryption', 'encrypt Spark RPC (AES)'),
    new Option('--no-demo', 'do not publish the bundled Spark demo app'),
  ];
}

/** The SDK options the flags set (only those given), over `base`. */
export function configFromFlags(
  flags: ClusterFlags,
  base: ClusterConfigInput = {},
): ClusterConfigInput {
  const config: ClusterConfigInput = { ...base, stackName: flags.stack };
  if (flags.orchestrator !== undefined)
    config.orchestrator = flags.orchestrator as ClusterConfigInput['orchestrator'];
  if (flags.image !== undefined) config.image = flags.image;
  if (flags.workers !== undefined) config.workers = flags.workers;
  if (flags.workerCores !== undefined || flags.workerMemory !== undefined) {
    config.worker = {
      ...base.worker,
      ...(flags.workerCores === undefined ? {} : { cores: flags.workerCores }),
      ...(flags.workerMemory === undefined ? {} : { memory: flags.workerMemory }),
    };
  }
  if (flags.masterCpus !== undefined || flags.masterMemory !== undefined) {
    config.master = {
      ...base.master,
      ...(flags.masterCpus === undefined ? {} : { cpus: flags.masterCpus }),
      ...(flags.masterMemory === undefined ? {} : { memory: flags.masterMemory }),
    };
  }
  const ports: Record<string, PortFlag | undefined> = {
    sparkUi: flags.portSparkUi,
    shiny: flags.portShiny,
    jupyter: flags.portJupyter,
    rstudio: flags.portRstudio,
    sparkHistory: flags.portSparkHistory,
    sparkMaster: flags.portSparkMaster,
    sparkConnect: flags.portSparkConnect,
    https: flags.portHttps,
  };
  const given = Object.fromEntries(
    Object.entries(ports).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, value === 'none' ? null : value]],
    ),
  );
  if (Object.keys(given).length > 0)
    config.ports = { ...base.ports, ...given } as ClusterConfigInput['ports'];
  if (flags.host !== undefined) config.host = flags.host;
  if (flags.demo !== undefined) config.demo = flags.demo;
  if (flags.ideUser !== undefined || flags.networkEncryption !== undefined) {
    config.security = {
      ...base.security,
      ...(flags.ideUser === undefined ? {} : { ideUser: flags.ideUser }),
      ...(flags.networkEncryption === undefined
        ? {}
        : { networkEncryption: flags.networkEncryption }),
    };
  }
  return config;
}

/**
 * The cluster for a command: the stack as it was deployed (its recorded options), with the flags
 * given on top; a stack that does not run yet gets the defaults and the flags.
 */
export async function clusterFor(flags: ClusterFlags): Promise<SparkCluster> {
  let deployed: ClusterConfig | undefined;
  try {
    deployed = await SparkCluster.deployedConfig(flags.stack);
  } catch (error) {
    // No such stack, or no engine or swarm yet (up makes them): the command itself says what is
    // wrong.
    if (!isSrsError(error) || isSrsError(error, 'INVALID_CONFIGURATION')) throw error;
  }
  return new SparkCluster(configFromFlags(flags, deployed));
}

/** An AbortSignal that fires on Ctrl-C, so every wait ends cleanly (the CLI then exits 130). */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  return controller.signal;
}
