// The stack on one host with Docker Compose: the same image and template, rendered by the stack
// package for Compose, brought up and down through the docker-compose package. Secrets are files
// only their owner reads (Compose has no secret store).
import type { DockerClient, ServiceName, StackSecretKind } from '@spark-rstudio-shiny/core';
import { renderComposeFile, type ClusterConfig } from '@spark-rstudio-shiny/stack';
import { resolveDeployImage } from '../cluster/deploy-image.js';
import { headContainer } from '../cluster/head-exec.js';
import type { Orchestrator } from '../cluster/orchestrator.js';
import { findPortConflicts, portInUseError } from '../cluster/port-conflicts.js';
import { stackNotFound, type RemoveStackOptions } from '../cluster/stack-not-found.js';
import type { ReadServiceLogsOptions } from '../cluster/log-options.js';
import type { ServiceLogLine } from '../cluster/service-log-line.js';
import type { StackReader } from '../cluster/stack-state.js';
import { composeDown, composeScale, composeUp } from './compose-cli.js';
import { readComposeLogs } from './compose-logs.js';
import {
  ensureSecretFiles,
  removeSecretFiles,
  replaceSecretFiles,
  secretFilePaths,
} from './compose-secrets.js';
import {
  COMPOSE_PROJECT_LABEL,
  COMPOSE_SERVICE_LABEL,
  ComposeStackReader,
  projectContainers,
} from './compose-state.js';
import { stackSecretKinds } from '../cluster/secret-values.js';

export class ComposeOrchestrator implements Orchestrator {
  readonly reader: StackReader;
  readonly #docker: DockerClient;
  readonly #host: string | undefined;
  readonly #localEngine: boolean;

  constructor(docker: DockerClient, options: { host?: string | undefined; localEngine: boolean }) {
    this.#docker = docker;
    this.reader = new ComposeStackReader(docker);
    this.#host = options.host;
    this.#localEngine = options.localEngine;
  }

  async #file(config: ClusterConfig, signal: AbortSignal | undefined): Promise<string> {
    const secretFiles = await ensureSecretFiles(config, stackSecretKinds(config));
    const image = await resolveDeployImage(this.#docker, config.image, signal);
    return renderComposeFile(config, {
      secretFiles,
      image: { reference: image.reference, labels: image.labels },
    });
  }

  async apply(config: ClusterConfig, signal?: AbortSignal): Promise<void> {
    const conflicts = await findPortConflicts(this.#docker, config, {
      localEngine: this.#localEngine,
      signal,
    });
    if (conflicts.length > 0) throw portInUseError(conflicts);
    await composeUp({
      project: config.stackName,
      file: await this.#file(config, signal),
      host: this.#host,
      signal,
    });
  }

  async scaleWorkers(config: ClusterConfig, workers: number, signal?: AbortSignal): Promise<void> {
    await composeScale(
      {
        project: config.stackName,
        file: await this.#file({ ...config, workers }, signal),
        host: this.#host,
        signal,
      },
      workers,
    );
  }

  async remove(config: ClusterConfig, options: RemoveStackOptions): Promise<void> {
    const present =
      (await projectContainers(this.#docker, config.stackName, undefined, options.signal)).length >
      0;
    if (!present && options.purge !== true) throw stackNotFound(config.stackName);
    // Taking the project down needs its file only for the names in it: no image resolution, no new
    // secrets.
    const file = await renderComposeFile(config, {
      secretFiles: secretFilePaths(config.stackName),
    });
    await composeDown(
      { project: config.stackName, file, host: this.#host, signal: options.signal },
      options.purge === true,
    );
    if (options.purge === true) await removeSecretFiles(config.stackName);
  }

  logs(
    config: ClusterConfig,
    service: ServiceName,
    options: ReadServiceLogsOptions,
  ): AsyncIterable<ServiceLogLine> {
    return readComposeLogs(this.#docker, config.stackName, service, options);
  }

  replaceSecrets(
    config: ClusterConfig,
    values: Partial<Record<StackSecretKind, string>>,
  ): Promise<void> {
    return replaceSecretFiles(config.stackName, values);
  }

  headContainer(stackName: string, signal?: AbortSignal): Promise<string> {
    return headContainer(this.#docker, stackName, {
      labels: [`${COMPOSE_PROJECT_LABEL}=${stackName}`, `${COMPOSE_SERVICE_LABEL}=master`],
      signal,
    });
  }
}
