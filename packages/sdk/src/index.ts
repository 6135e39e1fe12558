// Public API of @spark-rstudio-shiny/sdk: the cluster (deploy, scale, status, logs, remove), and
// again what a user of the SDK needs from the packages under it (errors and the docker runner
// from core, the image build from image, the options schema and renderer from stack), so that
// one dependency is enough. Everything not listed here is internal.

// core
export {
  CONFIG_LABEL,
  DEFAULT_IMAGE_TAG,
  DEFAULT_SPARK_VERSION,
  DEFAULT_STACK_NAME,
  DockerCli,
  installOrStartDockerEngine,
  probeEngine,
  IMAGE_TAG_LABEL,
  isRetryable,
  isSrsError,
  LABEL_PREFIX,
  SrsError,
  ChecksumMismatchError,
  STACK_SECRET_LABEL,
  stackSecretNames,
  waitUntil,
} from '@spark-rstudio-shiny/core';
export type {
  ChecksumMismatchOptions,
  DockerClient,
  DockerResult,
  DockerRunOptions,
  EngineProbe,
  ServiceName,
  SrsErrorCode,
  SrsErrorOptions,
  StackSecretKind,
  ValidationIssue,
  WaitUntilOptions,
} from '@spark-rstudio-shiny/core';

// image
export {
  buildImage,
  buildImageOptionsSchema,
  defaultCacheDir,
  DEFAULT_RSTUDIO_VERSION,
  DEFAULT_SPARK_SOURCES,
  distributeImage,
  ensureBaseImage,
  fetchRStudioDeb,
  fetchSparkArtifact,
  findBuildx,
  IMAGE_ARCHITECTURES,
  pushImage,
  pushManifestList,
} from '@spark-rstudio-shiny/image';
export type {
  BaseImageOrigin,
  BuildImageOptions,
  BuildImageResult,
  Buildx,
  BuiltImage,
  Checksum,
  ChecksumAlgorithm,
  DistributedImage,
  DistributeImageOptions,
  EnsureBaseImageOptions,
  FetchRStudioOptions,
  FetchSparkArtifactOptions,
  FindBuildxOptions,
  ImageArchitecture,
  ImageProgressEvent,
  ImageProgressListener,
  PushedImage,
  RStudioArtifact,
  SourceCallOptions,
  SparkArtifact,
  SparkArtifactSource,
  SparkSourceName,
} from '@spark-rstudio-shiny/image';

// stack
export {
  clusterConfigSchema,
  DEFAULT_STACK_FILE,
  memoryBytes,
  renderStackFile,
  workerCountSchema,
} from '@spark-rstudio-shiny/stack';
export type { ClusterConfig, ClusterConfigInput, SwarmFacts } from '@spark-rstudio-shiny/stack';

// the cluster
export { SparkCluster } from './spark-cluster.js';
export type { SparkClusterOptions } from './spark-cluster.js';
export { readinessOf } from './cluster/cluster-status.js';
export type {
  ClusterCredentials,
  ConnectInfo,
  ClusterStatus,
  ClusterUrls,
  NodeStatus,
  Readiness,
  ReadinessState,
  ServiceStatus,
  SparkView,
  TaskStatus,
} from './cluster/cluster-status.js';
export type { WaitOptions } from './cluster/wait-for-ready.js';
export type { UserCertificateInput } from './cluster/user-certificate.js';
export type { LogsOptions } from './cluster/log-options.js';
export type { ServiceLogLine } from './cluster/service-log-line.js';
export { ensureStackSecrets, removeStackSecrets } from './swarm/swarm-secrets.js';
export { stateDir } from './compose/compose-secrets.js';
export type { SparkStatus } from './spark/spark-master-status.js';
export { ensureSwarm } from './swarm/swarm.js';
export type { EnsureSwarmOptions, SwarmOrigin } from './swarm/swarm.js';
export { CliStackReader } from './swarm/cli-stack-reader.js';
export type { StackReader, StackState, SwarmNodeState } from './cluster/stack-state.js';
