// Every name and default the packages share, in one place: the image, its labels, the stack's
// services, secrets and node label. Change one here and every package follows.

/** The Spark release the image is made for. */
export const DEFAULT_SPARK_VERSION = '4.2.1';
/** The image's repository name. */
export const IMAGE_NAME = 'spark-rstudio-shiny';
/** The image name used when none is given. */
export const DEFAULT_IMAGE_TAG = `${IMAGE_NAME}:${DEFAULT_SPARK_VERSION}`;
/** The Dockerfile's default base. */
export const DEFAULT_BASE_IMAGE = 'debian:trixie-slim';
/** The stack name used when none is given. */
export const DEFAULT_STACK_NAME = 'srs';

/** Prefix of every label the project sets (image labels, service, secret and node labels). */
export const LABEL_PREFIX = 'org.spark-rstudio-shiny';
/** The service label that records the options a stack was deployed with. */
export const CONFIG_LABEL = `${LABEL_PREFIX}.config`;
/**
 * The label that ties a Docker secret to its stack (secrets outlive `docker stack rm`, on purpose).
 */
export const STACK_SECRET_LABEL = `${LABEL_PREFIX}.stack`;
/** The label Docker gives everything `docker stack deploy` creates. */
export const STACK_NAMESPACE_LABEL = 'com.docker.stack.namespace';

/** The two services of the stack. */
export const SERVICE_NAMES = ['master', 'worker'] as const;
/** A service of the stack. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** The Swarm name of a service of a stack. */
export function stackServiceName(stackName: string, service: ServiceName): string {
  return `${stackName}_${service}`;
}

/** The secrets a stack reads, by role. */
export type StackSecretKind =
  'sparkAuth' | 'idePassword' | 'connectToken' | 'tlsCert' | 'tlsKey' | 'tlsCa';

/** The front door's certificate, its key and the CA that signed it: made together, kept together. */
export const TLS_SECRET_KINDS = [
  'tlsCert',
  'tlsKey',
  'tlsCa',
] as const satisfies readonly StackSecretKind[];

/** The Docker secret names of a stack, as the stack file's `secrets:` name them. */
export function stackSecretNames(stackName: string): Record<StackSecretKind, string> {
  return {
    sparkAuth: `${stackName}_spark_auth_secret`,
    idePassword: `${stackName}_ide_password`,
    connectToken: `${stackName}_connect_token`,
    tlsCert: `${stackName}_tls_cert`,
    tlsKey: `${stackName}_tls_key`,
    tlsCa: `${stackName}_tls_ca`,
  };
}

/** The name the IDE password had before JupyterLab joined RStudio (kept when a stack has it). */
export function legacyIdePasswordName(stackName: string): string {
  return `${stackName}_rstudio_password`;
}

/** The node label that pins a stack's head (and so its volumes) to one node. */
export function headNodeLabel(stackName: string): string {
  return `${LABEL_PREFIX}.head.${stackName}`;
}

/** The service label that keeps the image name a stack deployed by image ID was asked for. */
export const IMAGE_TAG_LABEL = `${LABEL_PREFIX}.image-tag`;
