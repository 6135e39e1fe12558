// Removing a stack so that an immediate redeploy works: services, containers and network gone
// before returning. Volumes and secrets stay unless purged, so a redeploy loses nothing.
import {
  SrsError,
  STACK_NAMESPACE_LABEL,
  waitUntil,
  type DockerClient,
} from '@spark-rstudio-shiny/core';
import { stackNotFound, type RemoveStackOptions } from '../cluster/stack-not-found.js';
import { releaseHeadNode } from './head-node.js';
import { removeStackSecrets } from './swarm-secrets.js';

export async function removeStack(
  docker: DockerClient,
  stackName: string,
  options: RemoveStackOptions = {},
): Promise<void> {
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  let result: { stdout: string; stderr: string };
  try {
    result = await docker.run(['stack', 'rm', stackName], { timeoutMs: 60_000, ...signalOption });
  } catch (error) {
    // The CLI tries to delete the network while the tasks still stop, and fails with "network …
    // is in use by task …": the services are gone all the same, and the wait below removes the
    // network once the containers are.
    if (!(
      error instanceof SrsError &&
      /is in use by task|failed to remove some resources/i.test(
        `${error.message}\n${error.stderr ?? ''}`,
      )
    ))
      throw error;
    result = { stdout: '', stderr: '' };
  }
  // The CLI exits 0 for a stack that does not exist.
  const missing = /Nothing found in stack/i.test(`${result.stdout}\n${result.stderr}`);
  if (missing && options.purge !== true) throw stackNotFound(stackName);
  if (options.wait === false) return;
  const label = `label=${STACK_NAMESPACE_LABEL}=${stackName}`;
  await waitUntil(
    async (signal) => {
      const [services, containers, networks] = await Promise.all([
        docker.run(['service', 'ls', '-q', '--filter', label], { signal }),
        docker.run(['ps', '-aq', '--filter', label], { signal }),
        docker.run(['network', 'ls', '-q', '--filter', label], { signal }),
      ]);
      if (`${services.stdout}${containers.stdout}` !== '') return undefined;
      if (networks.stdout === '') return true;
      await docker
        .run(['network', 'rm', ...networks.stdout.split('\n')], { signal })
        .catch(() => undefined);
      return undefined;
    },
    {
      description: `stack ${stackName} to be gone (services, containers, network)`,
      timeoutMs: options.timeoutMs ?? 120_000,
      intervalMs: 500,
      signal: options.signal,
    },
  );
  if (options.purge !== true) return;
  const volumes = (await docker.run(['volume', 'ls', '-q', '--filter', label], signalOption))
    .stdout;
  if (volumes !== '') await docker.run(['volume', 'rm', ...volumes.split('\n')], signalOption);
  const secrets = await removeStackSecrets(docker, stackName, signalOption);
  await releaseHeadNode(docker, stackName, options.signal);
  if (missing && volumes === '' && secrets.length === 0) throw stackNotFound(stackName);
}
