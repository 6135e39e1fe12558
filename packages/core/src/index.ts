// Public API of @spark-rstudio-shiny/core: what every package of the project shares. Everything
// not listed here is internal.

export { SrsError, ChecksumMismatchError, isSrsError, isRetryable } from './errors/srs-error.js';
export type {
  SrsErrorCode,
  SrsErrorOptions,
  ChecksumMismatchOptions,
  ValidationIssue,
} from './errors/srs-error.js';
export { parseInput } from './errors/parse-input.js';

export { DockerCli, dockerFailureFromStderr, mapDockerFailure } from './docker/docker-cli.js';
export { engineGet, localEngineSocket } from './docker/engine-api.js';
export type { DockerClient, DockerResult, DockerRunOptions } from './docker/docker-cli.js';

export { waitUntil } from './wait/wait-until.js';
export type { WaitUntilOptions } from './wait/wait-until.js';
export { settleWithin } from './wait/settle-within.js';
export type { SettleWithinOptions } from './wait/settle-within.js';
export { httpGet } from './http/http-get.js';
export type { HttpAnswer, HttpGetOptions } from './http/http-get.js';
export { retryTransient } from './retry/retry-transient.js';
export { isSwarmRace, retryRaced } from './retry/retry-raced.js';

export { installOrStartDockerEngine, probeEngine, ENGINE_SCRIPT } from './engine/docker-engine.js';
export type { EngineProbe } from './engine/docker-engine.js';

export { imageReferenceSchema } from './validation/docker-reference.js';

export {
  CONFIG_LABEL,
  DEFAULT_BASE_IMAGE,
  DEFAULT_IMAGE_TAG,
  DEFAULT_SPARK_VERSION,
  DEFAULT_STACK_NAME,
  headNodeLabel,
  IMAGE_TAG_LABEL,
  IMAGE_NAME,
  LABEL_PREFIX,
  legacyIdePasswordName,
  SERVICE_NAMES,
  STACK_NAMESPACE_LABEL,
  STACK_SECRET_LABEL,
  stackSecretNames,
  TLS_SECRET_KINDS,
  stackServiceName,
} from './names.js';
export type { ServiceName, StackSecretKind } from './names.js';
