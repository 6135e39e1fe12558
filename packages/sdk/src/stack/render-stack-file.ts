import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { ClusterConfig } from '../config/cluster-config.js';
import { memoryBytes } from '../config/cluster-config.js';
import { configLabelValue, CONFIG_LABEL } from '../cluster/deployed-config.js';
import { SrsError } from '../errors/srs-error.js';
import { stackSecretNames, type StackSecretKind } from '../secrets/stack-secrets.js';

/** The stack file shipped with the project. */
export const DEFAULT_STACK_FILE = fileURLToPath(new URL('../../../../stack/spark-rstudio-shiny.yml', import.meta.url));

/** The variables of the stack file, from validated options (and the secret names the stack uses). */
export function stackVariables(config: ClusterConfig, secretNames: Record<StackSecretKind, string> = stackSecretNames(config.stackName)): Record<string, string> {
  // Spark gets the container's memory minus 1 GiB for the worker daemon, as on a bare machine, but never under 512 MiB.
  const sparkMemoryMb = Math.max(512, Math.floor(memoryBytes(config.worker.memory) / 1024 ** 2) - 1024);
  return {
    SRS_IMAGE: config.image,
    SRS_WORKERS: String(config.workers),
    SRS_WORKER_CORES: String(config.worker.cores),
    SRS_WORKER_MEMORY: config.worker.memory,
    SRS_WORKER_SPARK_MEMORY: `${sparkMemoryMb}m`,
    SRS_EXECUTOR_MEMORY: `${Math.min(1024, sparkMemoryMb)}m`,
    SRS_MASTER_CPUS: String(config.master.cpus),
    SRS_MASTER_MEMORY: config.master.memory,
    SRS_SPARK_UI_PORT: String(config.ports.sparkUi),
    SRS_SHINY_PORT: String(config.ports.shiny ?? 0),
    SRS_JUPYTER_PORT: String(config.ports.jupyter ?? 0),
    SRS_RSTUDIO_PORT: String(config.ports.rstudio ?? 0),
    SRS_SPARK_AUTHENTICATE: String(config.security.sparkAuthentication),
    SRS_SPARK_NETWORK_CRYPTO: String(config.security.networkEncryption),
    SRS_IDE_USER: config.security.ideUser,
    SRS_SPARK_SECRET_NAME: secretNames.sparkAuth,
    SRS_IDE_SECRET_NAME: secretNames.idePassword,
  };
}

/**
 * Substitutes `${NAME}` and `${NAME:-default}` as `docker stack deploy` would, but from the
 * given variables only (never from this process's environment), and fails on a name it lacks.
 */
export function substituteVariables(template: string, variables: Record<string, string>): string {
  // Comments are left alone, as YAML (and so the CLI) never reads them.
  return template
    .split('\n')
    .map((line) => (/^\s*#/.test(line) ? line : substituteLine(line, variables)))
    .join('\n');
}

function substituteLine(line: string, variables: Record<string, string>): string {
  return line.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_match, name: string, fallback: string | undefined) => {
    const value = variables[name] ?? fallback;
    if (value === undefined) {
      throw new SrsError({ code: 'INVALID_CONFIGURATION', message: `the stack file uses \${${name}} and no value was given`, hint: 'give the value, or a default in the file as ${NAME:-default}' });
    }
    return value;
  });
}

interface ComposePort {
  target: number;
  published: string | number;
  protocol?: string;
  mode?: string;
}

interface ComposeSecretRef {
  source: string;
}

/**
 * Renders the stack file for `docker stack deploy`: variables substituted, then the ports the
 * options leave unpublished (null) removed. Returns YAML text.
 */
export async function renderStackFile(config: ClusterConfig, templatePath: string = DEFAULT_STACK_FILE, secretNames?: Record<StackSecretKind, string>): Promise<string> {
  const template = await readFile(templatePath, 'utf8');
  const document = parse(substituteVariables(template, stackVariables(config, secretNames))) as {
    services: Record<string, { ports?: ComposePort[]; secrets?: ComposeSecretRef[]; deploy?: { replicas?: string | number; labels?: Record<string, string> } }>;
    secrets?: Record<string, unknown>;
  };
  // Spark RPC only when asked (the file itself never publishes it: a by-hand deploy stays closed).
  if (config.ports.sparkMaster !== null) {
    document.services['master']?.ports?.push({ target: 7077, published: config.ports.sparkMaster, protocol: 'tcp', mode: 'host' });
  }
  // Without authentication no service gets (or needs) the Spark secret.
  if (!config.security.sparkAuthentication) {
    for (const service of Object.values(document.services)) service.secrets = service.secrets?.filter((secret) => secret.source !== 'spark_auth_secret');
    delete document.secrets?.['spark_auth_secret'];
  }
  // The options, so that any process can attach to the stack later (set in the parsed document:
  // nothing in a value can change the file's structure).
  for (const service of Object.values(document.services)) {
    service.deploy = { ...service.deploy, labels: { ...service.deploy?.labels, [CONFIG_LABEL]: configLabelValue(config) } };
  }
  // The file quotes substituted numbers so it parses before substitution; the CLI casts them back
  // only when it substituted them itself, so cast them here.
  for (const service of Object.values(document.services)) {
    if (service.deploy?.replicas !== undefined) service.deploy.replicas = Number(service.deploy.replicas);
    if (service.ports !== undefined) {
      service.ports = service.ports.map((port) => ({ ...port, published: Number(port.published) })).filter((port) => port.published !== 0);
    }
  }
  return `# Rendered by @spark-rstudio-shiny/sdk from ${templatePath}\n${stringify(document)}`;
}
