// What runs a stack: Docker Swarm, or Docker Compose on one host. SparkCluster does the same
// things through either (readiness, waiting, status, credentials are shared); each orchestrator
// says how its stack is created, scaled, read, logged and removed.
import type { ServiceName, StackSecretKind } from '@spark-rstudio-shiny/core';
import type { ClusterConfig } from '@spark-rstudio-shiny/stack';
import type { ReadServiceLogsOptions } from './log-options.js';
import type { ServiceLogLine } from './service-log-line.js';
import type { StackReader } from './stack-state.js';
import type { RemoveStackOptions } from './stack-not-found.js';

export interface Orchestrator {
  /** Reads the stack's services and their tasks (Compose: containers) at once. */
  readonly reader: StackReader;
  /** Creates the stack, or updates it to these options (and the image its name now points to). */
  apply(config: ClusterConfig, signal?: AbortSignal): Promise<void>;
  /** Sets the number of worker tasks (the wait for Spark is the caller's). */
  scaleWorkers(config: ClusterConfig, workers: number, signal?: AbortSignal): Promise<void>;
  /** Removes the stack; purge drops its volumes and secrets too. */
  remove(config: ClusterConfig, options: RemoveStackOptions): Promise<void>;
  /** One service's log lines. */
  logs(
    config: ClusterConfig,
    service: ServiceName,
    options: ReadServiceLogsOptions,
  ): AsyncIterable<ServiceLogLine>;
  /** Sets secrets of a stack that is not running, keeping the others. */
  replaceSecrets(
    config: ClusterConfig,
    values: Partial<Record<StackSecretKind, string>>,
    signal?: AbortSignal,
  ): Promise<void>;
  /** The running head container on this engine. */
  headContainer(stackName: string, signal?: AbortSignal): Promise<string>;
}
