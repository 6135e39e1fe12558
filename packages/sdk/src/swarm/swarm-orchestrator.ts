// The stack on Docker Swarm: `docker stack deploy` of the rendered stack file, the secrets in
// Swarm's store, the head pinned to its node, services read from the Engine API.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  retryRaced,
  stackServiceName,
  type DockerClient,
  type ServiceName,
  type StackSecretKind,
} from '@spark-rstudio-shiny/core';
import { encryptsOverlay, renderStackFile, type ClusterConfig } from '@spark-rstudio-shiny/stack';
import { resolveDeployImage } from '../cluster/deploy-image.js';
import { headContainer } from '../cluster/head-exec.js';
import { ensureHeadNode } from './head-node.js';
import type { Orchestrator } from '../cluster/orchestrator.js';
import { findPortConflicts, portInUseError } from '../cluster/port-conflicts.js';
import type { RemoveStackOptions } from '../cluster/stack-not-found.js';
import { removeStack } from './remove-stack.js';
import type { ReadServiceLogsOptions } from '../cluster/log-options.js';
import { readServiceLogs } from './swarm-logs.js';
import type { ServiceLogLine } from '../cluster/service-log-line.js';
import {
  ensureStackSecrets,
  replaceStackSecrets,
  resolveStackSecretNames,
} from './swarm-secrets.js';
import { ensureOverlayEncryption } from './overlay-encryption.js';
import { stackDeploy } from './stack-deploy.js';
import type { StackReader } from '../cluster/stack-state.js';
import { ensureSwarm, swarmInfo } from './swarm.js';
import { stackSecretKinds } from '../cluster/secret-values.js';

export class SwarmOrchestrator implements Orchestrator {
  readonly reader: StackReader;
  readonly #docker: DockerClient;
  readonly #localEngine: boolean;

  constructor(docker: DockerClient, reader: StackReader, options: { localEngine: boolean }) {
    this.#docker = docker;
    this.reader = reader;
    this.#localEngine = options.localEngine;
  }

  async apply(config: ClusterConfig, signal?: AbortSignal): Promise<void> {
    const signalOption = signal === undefined ? {} : { signal };
    await ensureSwarm(this.#docker, signalOption);
    // A taken host port would leave the master pending for ever: refuse before deploying.
    const swarm = await swarmInfo(this.#docker, signal);
    const conflicts = await findPortConflicts(this.#docker, config, {
      localEngine: (swarm.Nodes ?? 1) === 1 && this.#localEngine,
      signal,
    });
    if (conflicts.length > 0) throw portInUseError(conflicts);
    // Secrets first: the stack file names them as external, and existing ones are kept.
    await ensureStackSecrets(this.#docker, config, stackSecretKinds(config), signalOption);
    const secretNames = await resolveStackSecretNames(this.#docker, config.stackName, signalOption);
    await ensureHeadNode(this.#docker, config.stackName, signal);
    // The overlay follows the encryption setting as the swarm grows (Docker keeps a network's
    // options).
    await ensureOverlayEncryption(
      this.#docker,
      config.stackName,
      encryptsOverlay(config, swarm.Nodes ?? 1),
      signal,
    );
    const image = await resolveDeployImage(this.#docker, config.image, signal);
    // A file of this call's own: two deploys at once must not read each other's half-written file.
    const dir = await mkdtemp(join(tmpdir(), 'srs-stack-'));
    const file = join(dir, `${config.stackName}.yml`);
    try {
      await writeFile(
        file,
        await renderStackFile(config, undefined, secretNames, {
          nodes: swarm.Nodes ?? 1,
          image: { reference: image.reference, labels: image.labels },
        }),
        {
          mode: 0o600,
        },
      );
      await stackDeploy(
        this.#docker,
        [
          'stack',
          'deploy',
          '--resolve-image',
          image.resolve,
          '--prune',
          '-c',
          file,
          config.stackName,
        ],
        { signal },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async scaleWorkers(config: ClusterConfig, workers: number, signal?: AbortSignal): Promise<void> {
    // Setting a replica count twice is harmless, so a scale that raced a deploy is tried again.
    await retryRaced(
      () =>
        this.#docker.run(
          [
            'service',
            'scale',
            '--detach',
            `${stackServiceName(config.stackName, 'worker')}=${workers}`,
          ],
          {
            timeoutMs: 60_000,
            ...(signal === undefined ? {} : { signal }),
          },
        ),
      { signal },
    );
  }

  remove(config: ClusterConfig, options: RemoveStackOptions): Promise<void> {
    return removeStack(this.#docker, config.stackName, options);
  }

  logs(
    config: ClusterConfig,
    service: ServiceName,
    options: ReadServiceLogsOptions,
  ): AsyncIterable<ServiceLogLine> {
    return readServiceLogs(
      this.#docker,
      stackServiceName(config.stackName, service),
      service,
      options,
    );
  }

  replaceSecrets(
    config: ClusterConfig,
    values: Partial<Record<StackSecretKind, string>>,
    signal?: AbortSignal,
  ): Promise<void> {
    return replaceStackSecrets(this.#docker, config.stackName, values, { signal });
  }

  headContainer(stackName: string, signal?: AbortSignal): Promise<string> {
    return headContainer(this.#docker, stackName, {
      labels: [`com.docker.swarm.service.name=${stackServiceName(stackName, 'master')}`],
      signal,
    });
  }
}
