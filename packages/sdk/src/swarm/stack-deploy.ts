// `docker stack deploy`, tried again when it raced another deploy of the same stack.
import { retryRaced, type DockerClient } from '@spark-rstudio-shiny/core';

/**
 * Runs `docker stack deploy` (`args`), again when another deploy of the same stack ran at the same
 * moment: both may try to create a service (AlreadyExists) or update it from the same version
 * (update out of sequence); the next attempt finds the service and updates it. Any other failure,
 * the third race, or an aborted signal ends it.
 */
export function stackDeploy(
  docker: DockerClient,
  args: readonly string[],
  options: { signal?: AbortSignal | undefined; pauseMs?: number } = {},
): Promise<void> {
  const { signal, pauseMs = 500 } = options;
  return retryRaced(
    async () => {
      await docker.run(args, { timeoutMs: 120_000, ...(signal === undefined ? {} : { signal }) });
    },
    { signal, pauseMs },
  );
}
