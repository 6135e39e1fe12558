import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  CONFIG_LABEL,
  headNodeLabel,
  SrsError,
  stackSecretNames,
  type StackSecretKind,
} from '@spark-rstudio-shiny/core';
import { memoryBytes, type ClusterConfig } from './cluster-config.js';
import { configLabelValue } from './config-label.js';
import { stringifyForEveryReader } from './yaml-output.js';

/** The stack file this package ships. */
export const DEFAULT_STACK_FILE = fileURLToPath(
  new URL('../spark-rstudio-shiny.yml', import.meta.url),
);

/**
 * The variables of the stack file, from validated options (and the secret names the stack uses).
 */
export function stackVariables(
  config: ClusterConfig,
  secretNames: Record<StackSecretKind, string> = stackSecretNames(config.stackName),
): Record<string, string> {
  // Spark gets the container's memory minus 1 GiB for the worker daemon, as on a bare machine, but
  // never under 512 MiB.
  const sparkMemoryMb = Math.max(
    512,
    Math.floor(memoryBytes(config.worker.memory) / 1024 ** 2) - 1024,
  );
  return {
    SRS_IMAGE: config.image,
    SRS_WORKERS: String(config.workers),
    SRS_WORKER_CORES: String(config.worker.cores),
    SRS_WORKER_MEMORY: config.worker.memory,
    SRS_WORKER_SPARK_MEMORY: `${sparkMemoryMb}m`,
    SRS_EXECUTOR_MEMORY: `${Math.min(1024, sparkMemoryMb)}m`,
    SRS_MASTER_CPUS: String(config.master.cpus),
    SRS_MASTER_MEMORY: config.master.memory,
    SRS_SPARK_UI_PORT: String(config.ports.sparkUi ?? 0),
    SRS_SHINY_PORT: String(config.ports.shiny ?? 0),
    SRS_JUPYTER_PORT: String(config.ports.jupyter ?? 0),
    SRS_RSTUDIO_PORT: String(config.ports.rstudio ?? 0),
    SRS_SPARK_HISTORY_PORT: String(config.ports.sparkHistory ?? 0),
    // Where the master UI links its history server: through the front door when it is on, else
    // its own port (nothing when it is not published).
    SRS_SPARK_HISTORY_URL:
      config.ports.https !== null
        ? `https://${config.host}:${config.ports.https}/history`
        : config.ports.sparkHistory === null
          ? ''
          : `http://${config.host}:${config.ports.sparkHistory}`,
    SRS_SPARK_AUTHENTICATE: String(config.security.sparkAuthentication),
    SRS_SPARK_NETWORK_CRYPTO: String(config.security.networkEncryption),
    SRS_IDE_USER: config.security.ideUser,
    SRS_SHINY_DEMO: String(config.demo),
    SRS_SPARK_SECRET_NAME: secretNames.sparkAuth,
    SRS_IDE_SECRET_NAME: secretNames.idePassword,
  };
}

const PLACEHOLDER = /\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g;

/**
 * Substitutes `${NAME}` and `${NAME:-default}` as `docker stack deploy` would, but from the
 * given variables only (never from this process's environment), and fails on a name it lacks.
 * A value's `$` is written `$$`, which the CLI reads back as one `$` instead of expanding it.
 * Works on one string value of the parsed file: a value can never add keys or lines.
 */
export function substituteVariables(text: string, variables: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
    const value = variables[name] ?? fallback;
    if (value === undefined) {
      throw new SrsError({
        code: 'INVALID_CONFIGURATION',
        message: `the stack file uses \${${name}} and no value was given`,
        hint: 'give the value, or a default in the file as ${NAME:-default}',
      });
    }
    return value.replaceAll('$', '$$$$');
  });
}

/** The parsed file with every string value substituted (keys are left alone). */
function substituteDocument(node: unknown, variables: Record<string, string>): unknown {
  if (typeof node === 'string') return substituteVariables(node, variables);
  if (Array.isArray(node)) return node.map((item) => substituteDocument(item, variables));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key, substituteDocument(value, variables)]),
    );
  }
  return node;
}

export interface ComposePort {
  target: number;
  published: string | number;
  protocol?: string;
  mode?: string;
}

export interface ComposeSecretRef {
  source: string;
  target?: string;
  mode?: number;
}

/** What a deploy knows about the swarm that the options alone do not say. */
export interface SwarmFacts {
  /** Nodes in the swarm ("auto" overlay encryption is on above one). */
  nodes: number;
  /**
   * The image reference the services run when it is not the configured name (an image ID, so
   * that a rebuilt tag rolls the services), with labels for the services (the name it was).
   */
  image?: { reference: string; labels: Record<string, string> } | undefined;
}

/** The template's document as the renderers change it. */
export interface StackDocument {
  version?: string;
  services: Record<string, ComposeService>;
  secrets?: Record<string, unknown>;
  networks?: Record<
    string,
    { driver?: string; attachable?: boolean; driver_opts?: Record<string, string> }
  >;
  volumes?: Record<string, unknown>;
}

/** One service of the template (the keys the renderers touch; the rest passes through). */
export interface ComposeService {
  image?: string;
  ports?: ComposePort[];
  secrets?: ComposeSecretRef[];
  volumes?: string[];
  labels?: Record<string, string>;
  deploy?: {
    replicas?: string | number;
    labels?: Record<string, string>;
    placement?: { constraints?: string[] };
    resources?: { limits?: { cpus?: string; memory?: string } };
  };
  [key: string]: unknown;
}

/**
 * Whether the stack's overlay network is encrypted (IPsec): as configured, and with `auto` as
 * soon as the swarm has more than one node, since between nodes the overlay carries Spark's
 * traffic over networks the swarm does not own.
 */
export function encryptsOverlay(config: ClusterConfig, nodes: number): boolean {
  return config.security.encryptOverlay === 'auto' ? nodes > 1 : config.security.encryptOverlay;
}

/** The template parsed, then its variables substituted value by value (never in its text). */
export async function substitutedTemplate(
  config: ClusterConfig,
  templatePath: string = DEFAULT_STACK_FILE,
  secretNames?: Record<StackSecretKind, string>,
): Promise<StackDocument> {
  const template = parse(await readFile(templatePath, 'utf8')) as unknown;
  const names = secretNames ?? stackSecretNames(config.stackName);
  const document = substituteDocument(template, stackVariables(config, names)) as StackDocument;
  addSparkConnect(document, config, names);
  addFrontDoor(document, config, names);
  return document;
}

/** The port the front door listens on inside the head. */
export const FRONT_DOOR_PORT = 8443;

/** The port the front door serves Spark Connect on (gRPC over TLS) inside the head. */
export const FRONT_DOOR_CONNECT_PORT = 15443;

/** Where the front door serves the Spark master UI (and so every UI it proxies). */
const SPARK_UI_PATH = '/spark';

/**
 * The front door when a port is given for it: the head runs nginx there (FRONT_DOOR_PORT) with
 * the stack's certificate and key, and publishes it; every Spark process writes its UI links
 * under /spark, where the door serves the master UI. Spark Connect, when it runs, is published
 * through the door's TLS too (FRONT_DOOR_CONNECT_PORT). Nothing of it otherwise.
 */
function addFrontDoor(
  document: StackDocument,
  config: ClusterConfig,
  secretNames: Record<StackSecretKind, string>,
): void {
  const head = document.services['master'];
  if (config.ports.https === null || head === undefined) return;
  for (const service of Object.values(document.services)) {
    service['environment'] = {
      ...(service['environment'] as Record<string, string> | undefined),
      SPARK_UI_PROXY_PATH: SPARK_UI_PATH,
    };
  }
  head['environment'] = {
    ...(head['environment'] as Record<string, string> | undefined),
    FRONT_DOOR_PORT: String(FRONT_DOOR_PORT),
    ...(config.ports.sparkConnect === null
      ? {}
      : { FRONT_DOOR_CONNECT_PORT: String(FRONT_DOOR_CONNECT_PORT) }),
  };
  // The key is root's only (nginx's master reads it before it drops to www-data); the
  // certificates are public.
  head.secrets = [
    ...(head.secrets ?? []),
    { source: 'tls_cert', target: 'tls_cert', mode: 0o444 },
    { source: 'tls_key', target: 'tls_key', mode: 0o400 },
    { source: 'tls_ca', target: 'tls_ca', mode: 0o444 },
  ];
  head.ports = [
    ...(head.ports ?? []),
    { target: FRONT_DOOR_PORT, published: config.ports.https, protocol: 'tcp', mode: 'host' },
  ];
  document.secrets = {
    ...document.secrets,
    tls_cert: { external: true, name: secretNames.tlsCert },
    tls_key: { external: true, name: secretNames.tlsKey },
    tls_ca: { external: true, name: secretNames.tlsCa },
  };
}

/** The port Spark Connect listens on inside the head. */
export const SPARK_CONNECT_PORT = 15002;

/**
 * Spark Connect when a port is given for it: the head runs it (SPARK_CONNECT_PORT), reads its
 * token from the stack's secret, and publishes it. Nothing of it otherwise: the file itself never
 * starts it, so a by-hand deploy stays closed.
 */
function addSparkConnect(
  document: StackDocument,
  config: ClusterConfig,
  secretNames: Record<StackSecretKind, string>,
): void {
  const head = document.services['master'];
  if (config.ports.sparkConnect === null || head === undefined) return;
  head['environment'] = {
    ...(head['environment'] as Record<string, string> | undefined),
    SPARK_CONNECT_PORT: String(SPARK_CONNECT_PORT),
  };
  head.secrets = [
    ...(head.secrets ?? []),
    { source: 'connect_token', target: 'connect_token', mode: 256 },
  ];
  head.ports = [
    ...(head.ports ?? []),
    {
      // Behind the front door's TLS when it is on.
      target: config.ports.https === null ? SPARK_CONNECT_PORT : FRONT_DOOR_CONNECT_PORT,
      published: config.ports.sparkConnect,
      protocol: 'tcp',
      mode: 'host',
    },
  ];
  document.secrets = {
    ...document.secrets,
    connect_token: { external: true, name: secretNames.connectToken },
  };
}

/**
 * Renders the stack file for `docker stack deploy`: variables substituted in the parsed file,
 * then what the options decide (ports left unpublished removed, Spark's secret, the head's node,
 * overlay encryption, the options label). Returns YAML text.
 */
export async function renderStackFile(
  config: ClusterConfig,
  templatePath: string = DEFAULT_STACK_FILE,
  secretNames?: Record<StackSecretKind, string>,
  swarm: SwarmFacts = { nodes: 1 },
): Promise<string> {
  const document = await substitutedTemplate(config, templatePath, secretNames);
  // Spark RPC only when asked (the file itself never publishes it: a by-hand deploy stays closed).
  if (config.ports.sparkMaster !== null) {
    document.services['master']?.ports?.push({
      target: 7077,
      published: config.ports.sparkMaster,
      protocol: 'tcp',
      mode: 'host',
    });
  }
  // Without authentication no service gets (or needs) the Spark secret.
  if (!config.security.sparkAuthentication) {
    for (const service of Object.values(document.services))
      service.secrets = service.secrets?.filter((secret) => secret.source !== 'spark_auth_secret');
    delete document.secrets?.['spark_auth_secret'];
  }
  // The head stays on the node that holds its volumes (ensureHeadNode labels it).
  const head = document.services['master'];
  if (head?.deploy !== undefined) {
    head.deploy.placement = {
      ...head.deploy.placement,
      constraints: [
        ...(head.deploy.placement?.constraints ?? []),
        `node.labels.${headNodeLabel(config.stackName)} == true`,
      ],
    };
  }
  const network = document.networks?.['spark'];
  if (encryptsOverlay(config, swarm.nodes) && network !== undefined)
    network.driver_opts = { ...network.driver_opts, encrypted: 'true' };
  // The options, so that any process can attach to the stack later (set in the parsed document:
  // nothing in a value can change the file's structure).
  for (const service of Object.values(document.services)) {
    service.deploy = {
      ...service.deploy,
      labels: {
        ...service.deploy?.labels,
        ...swarm.image?.labels,
        [CONFIG_LABEL]: configLabelValue(config),
      },
    };
    if (swarm.image !== undefined) service.image = swarm.image.reference;
  }
  // The file quotes substituted numbers so it parses before substitution; the CLI casts them back
  // only when it substituted them itself, so cast them here.
  for (const service of Object.values(document.services)) {
    if (service.deploy?.replicas !== undefined)
      service.deploy.replicas = Number(service.deploy.replicas);
    if (service.ports !== undefined) {
      service.ports = service.ports
        .map((port) => ({ ...port, published: Number(port.published) }))
        .filter((port) => port.published !== 0);
    }
  }
  return `# Rendered by @spark-rstudio-shiny/stack from ${templatePath}\n${stringifyForEveryReader(document)}`;
}
