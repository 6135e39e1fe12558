// `docker stack deploy`, tried again when it raced another deploy of the same stack.
import { SrsError, type DockerClient } from '@spark-rstudio-shiny/core';

/** What Swarm answers a deploy that raced another deploy of the same stack. */
const CONCURRENT_DEPLOY = /AlreadyExists|name conflicts with an existing object|update out of sequence/i;

const ATTEMPTS = 3;

/**
 * Runs `docker stack deploy` (`args`), again when another deploy of the same stack ran at the same
 * moment: both may try to create a service (AlreadyExists) or update it from the same version
 * (update out of sequence); the next attempt finds the service and updates it. Any other failure,
 * the third race, or an aborted signal ends it with the docker error.
 */
export async function stackDeploy(docker: DockerClient, args: readonly string[], options: { signal?: AbortSignal | undefined; pauseMs?: number } = {}): Promise<void> {
  const { signal, pauseMs = 500 } = options;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await docker.run(args, { timeoutMs: 120_000, ...(signal === undefined ? {} : { signal }) });
      return;
    } catch (error) {
      const raced = error instanceof SrsError && CONCURRENT_DEPLOY.test(`${error.message}\n${error.stderr ?? ''}`);
      if (!raced || attempt >= ATTEMPTS || signal?.aborted === true) throw error;
      await new Promise((resolve) => setTimeout(resolve, pauseMs * attempt));
    }
  }
}
