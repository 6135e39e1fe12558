// The same stack for Docker Compose on one host (Compose file format 2.4, which every Compose
// release reads and which keeps container limits and a replica count outside Swarm's `deploy`):
// rendered from the same template and options, with Swarm's notions mapped to Compose's.
import { CONFIG_LABEL, SrsError, type StackSecretKind } from '@spark-rstudio-shiny/core';
import type { ClusterConfig } from './cluster-config.js';
import { configLabelValue } from './config-label.js';
import { stringifyForEveryReader } from './yaml-output.js';
import {
  DEFAULT_STACK_FILE,
  substitutedTemplate,
  type ComposeService,
} from './render-stack-file.js';

/** What a Compose deploy knows that the options alone do not say. */
export interface ComposeFacts {
  /**
   * Host files holding the secrets (Compose has no secret store): mounted read-only where Swarm
   * mounts its secrets.
   */
  secretFiles: Partial<Record<StackSecretKind, string>>;
  /** The image reference the services run (an image ID), and labels for the containers. */
  image?: { reference: string; labels: Record<string, string> } | undefined;
}

const SECRET_KIND: Record<string, StackSecretKind> = {
  spark_auth_secret: 'sparkAuth',
  ide_password: 'idePassword',
  connect_token: 'connectToken',
  tls_cert: 'tlsCert',
  tls_key: 'tlsKey',
  tls_ca: 'tlsCa',
};

/**
 * Renders the stack as a Compose file: Swarm's `deploy` becomes container limits (`cpus`,
 * `mem_limit`), a restart policy and the worker count (`scale`); secrets become read-only bind
 * mounts of the given files at /run/secrets; the overlay network a bridge network; ports the short
 * syntax. The options are recorded in a container label, as on Swarm's services.
 */
export async function renderComposeFile(
  config: ClusterConfig,
  facts: ComposeFacts,
  templatePath: string = DEFAULT_STACK_FILE,
): Promise<string> {
  const template = await substitutedTemplate(config, templatePath);
  const services: Record<string, Record<string, unknown>> = {};
  for (const [name, service] of Object.entries(template.services))
    services[name] = composeService(name, service, config, facts);
  const document = {
    version: '2.4',
    services,
    networks: { spark: { driver: 'bridge' } },
    volumes: template.volumes ?? {},
  };
  return `# Rendered by @spark-rstudio-shiny/stack for Docker Compose from ${templatePath}\n${stringifyForEveryReader(document)}`;
}

function composeService(
  name: string,
  service: ComposeService,
  config: ClusterConfig,
  facts: ComposeFacts,
): Record<string, unknown> {
  const { deploy, secrets, ports, labels, image, ...rest } = service;
  const secretMounts = (secrets ?? []).flatMap((secret) => {
    const kind = SECRET_KIND[secret.source];
    const file = kind === undefined ? undefined : facts.secretFiles[kind];
    if (kind === 'sparkAuth' && !config.security.sparkAuthentication) return [];
    if (file === undefined)
      throw new SrsError({
        code: 'INVALID_CONFIGURATION',
        message: `no file holds the secret ${secret.source} the ${name} service reads`,
        hint: 'give renderComposeFile a secretFiles entry for it',
      });
    // Compose expands $ in values: a $ of the path is written $$.
    return [`${file.replaceAll('$', '$$$$')}:/run/secrets/${secret.source}:ro`];
  });
  const published = (ports ?? [])
    .map((port) => ({ target: port.target, published: Number(port.published) }))
    .filter((port) => port.published !== 0);
  if (name === 'master' && config.ports.sparkMaster !== null)
    published.push({ target: 7077, published: config.ports.sparkMaster });
  const limits = deploy?.resources?.limits;
  return {
    ...rest,
    image: facts.image?.reference ?? image,
    volumes: [...(service.volumes ?? []), ...secretMounts],
    ...(published.length === 0
      ? {}
      : { ports: published.map((port) => `${port.published}:${port.target}`) }),
    ...(limits?.cpus === undefined ? {} : { cpus: Number(limits.cpus) }),
    ...(limits?.memory === undefined ? {} : { mem_limit: limits.memory }),
    ...(name === 'worker' ? { scale: Number(deploy?.replicas ?? config.workers) } : {}),
    restart: 'unless-stopped',
    labels: { ...labels, ...facts.image?.labels, [CONFIG_LABEL]: configLabelValue(config) },
  };
}
