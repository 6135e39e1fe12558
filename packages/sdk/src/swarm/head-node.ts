import { headNodeLabel, retryRaced, type DockerClient } from '@spark-rstudio-shiny/core';
import { nodeLsLineSchema, parseJsonLines } from '../cluster/docker-output.js';

/**
 * The node the stack's head runs on: the one that already carries the stack's head label, or
 * (first deploy) the node of the engine the SDK talks to, which gets the label. The head's
 * volumes (apps, homes, the master's recovery state) are local to a node, so the head must not
 * move to another node, where they would look empty. A label written at the same moment by another
 * deploy (of this stack or another) makes Swarm refuse one of the two node updates (update out of
 * sequence): then it reads the labels again and, when still needed, labels again.
 */
export function ensureHeadNode(
  docker: DockerClient,
  stackName: string,
  signal?: AbortSignal,
): Promise<string> {
  return retryRaced(() => labelHeadNode(docker, stackName, signal), { signal });
}

async function labelHeadNode(
  docker: DockerClient,
  stackName: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  const signalOption = signal === undefined ? {} : { signal };
  const label = headNodeLabel(stackName);
  const { stdout } = await docker.run(
    ['node', 'ls', '--filter', `node.label=${label}=true`, '--format', '{{json .}}'],
    { timeoutMs: 30_000, ...signalOption },
  );
  const [labelled] = parseJsonLines(stdout, nodeLsLineSchema, 'docker node ls');
  if (labelled !== undefined) return labelled.ID;
  const self = (
    await docker.run(['info', '--format', '{{.Swarm.NodeID}}'], {
      timeoutMs: 30_000,
      ...signalOption,
    })
  ).stdout;
  await docker.run(['node', 'update', '--label-add', `${label}=true`, self], {
    timeoutMs: 30_000,
    ...signalOption,
  });
  return self;
}

/** Takes the stack's head label off its node (a purge: the volumes are gone too). */
export async function releaseHeadNode(
  docker: DockerClient,
  stackName: string,
  signal?: AbortSignal,
): Promise<void> {
  const signalOption = signal === undefined ? {} : { signal };
  const label = headNodeLabel(stackName);
  const { stdout } = await docker.run(
    ['node', 'ls', '-q', '--filter', `node.label=${label}=true`],
    { timeoutMs: 30_000, ...signalOption },
  );
  for (const id of stdout.split('\n').filter(Boolean)) {
    await retryRaced(
      () =>
        docker.run(['node', 'update', '--label-rm', label, id], {
          timeoutMs: 30_000,
          ...signalOption,
        }),
      { signal },
    );
  }
}
