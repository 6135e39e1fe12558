// Public API of @spark-rstudio-shiny/sdk. Everything not listed here is internal.

export { SrsError, ChecksumMismatchError, isSrsError } from './errors/srs-error.js';
export type { SrsErrorCode, SrsErrorOptions, ChecksumMismatchOptions } from './errors/srs-error.js';

export { waitUntil } from './wait/wait-until.js';
export type { WaitUntilOptions } from './wait/wait-until.js';

export { DockerCli } from './docker/docker-cli.js';
export type { DockerClient, DockerResult, DockerRunOptions } from './docker/docker-cli.js';

export {
  buildImage,
  buildImageOptionsSchema,
  DEFAULT_BASE_IMAGE,
  DEFAULT_IMAGE_TAG,
  DEFAULT_SPARK_VERSION,
  LABEL_PREFIX,
} from './image/build-image.js';
export type { BuildImageOptions, BuildImageResult } from './image/build-image.js';
export { ensureBaseImage } from './image/base-image.js';
export { distributeImage } from './image/distribute-image.js';
export type { DistributeImageOptions, DistributedImage } from './image/distribute-image.js';
export type { BaseImageOrigin, EnsureBaseImageOptions } from './image/base-image.js';
export { fetchSparkArtifact } from './image/fetch-spark-artifact.js';
export type { FetchSparkArtifactOptions, SparkArtifact } from './image/fetch-spark-artifact.js';
export { fetchRStudioDeb, DEFAULT_RSTUDIO_VERSION } from './image/rstudio-artifact.js';
export type { FetchRStudioOptions, RStudioArtifact } from './image/rstudio-artifact.js';
export { DEFAULT_SPARK_SOURCES } from './image/spark-artifact-source.js';
export type { SparkArtifactSource, SparkSourceName, SourceCallOptions } from './image/spark-artifact-source.js';
export { defaultCacheDir } from './image/artifact-cache.js';
export type { Checksum, ChecksumAlgorithm } from './image/checksum.js';
export type { ImageProgressEvent, ImageProgressListener } from './image/image-progress.js';

export { SparkCluster } from './cluster/spark-cluster.js';
export type { ClusterCredentials, ClusterStatus, ClusterUrls, LogsOptions, NodeStatus, Readiness, ReadinessState, ServiceStatus, SparkView, TaskStatus, WaitOptions } from './cluster/spark-cluster.js';
export { clusterConfigSchema, memoryBytes } from './config/cluster-config.js';
export { CONFIG_LABEL } from './cluster/deployed-config.js';
export { ensureStackSecrets, removeStackSecrets, stackSecretNames, STACK_SECRET_LABEL } from './secrets/stack-secrets.js';
export type { StackSecretKind } from './secrets/stack-secrets.js';
export type { ClusterConfig, ClusterConfigInput, ServiceName } from './config/cluster-config.js';
export { ensureSwarm } from './swarm/swarm.js';
export type { EnsureSwarmOptions, SwarmOrigin } from './swarm/swarm.js';
export { renderStackFile, DEFAULT_STACK_FILE } from './stack/render-stack-file.js';
export type { SparkStatus } from './spark/spark-master-status.js';
export type { ServiceLogLine } from './logs/service-log-line.js';
export { ensureEngine, ENGINE_SCRIPT } from './engine/ensure-engine.js';
