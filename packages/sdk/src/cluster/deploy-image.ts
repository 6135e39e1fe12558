// Which image a deploy gives its services. A local image is deployed by its ID (sha256:…), so a
// rebuilt image under the same tag is a new service spec and Swarm rolls the tasks onto it
// (`docker stack deploy --resolve-image never` alone would leave them on the old one). The tag
// is kept in a service label for status() and people. An image this engine does not hold is
// deployed by name and resolved through its registry, which pins its digest the same way; one
// named by digest is deployed as it is.
import { IMAGE_TAG_LABEL, isSrsError, type DockerClient } from '@spark-rstudio-shiny/core';

/** What the stack's services run. */
export interface DeployImage {
  /** What the service spec says: an image ID, or the name as given. */
  reference: string;
  /** The name it was asked for. */
  tag: string;
  /** How `docker stack deploy` resolves it: never for an ID, always for a registry name. */
  resolve: 'never' | 'always';
  /** Labels for the services. */
  labels: Record<string, string>;
}

export async function resolveDeployImage(
  docker: DockerClient,
  image: string,
  signal?: AbortSignal,
): Promise<DeployImage> {
  // A registry reference by digest is pinned already: every node pulls those very bytes, even
  // where this engine holds a copy under another ID (build once, push, deploy anywhere).
  if (/@sha256:[0-9a-f]{64}$/.test(image))
    return { reference: image, tag: image, resolve: 'never', labels: { [IMAGE_TAG_LABEL]: image } };
  try {
    const { stdout } = await docker.run(['image', 'inspect', '--format', '{{.Id}}', image], {
      timeoutMs: 30_000,
      ...(signal === undefined ? {} : { signal }),
    });
    return {
      reference: stdout,
      tag: image,
      resolve: 'never',
      labels: { [IMAGE_TAG_LABEL]: image },
    };
  } catch (error) {
    if (
      !isSrsError(error, 'DOCKER_COMMAND_FAILED') ||
      !/No such image/i.test(`${error.message}\n${error.stderr ?? ''}`)
    )
      throw error;
    return {
      reference: image,
      tag: image,
      resolve: 'always',
      labels: { [IMAGE_TAG_LABEL]: image },
    };
  }
}
