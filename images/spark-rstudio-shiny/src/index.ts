// Public API of @spark-rstudio-shiny/image: the image's build pipeline (base image, verified
// artifacts, docker build, labels) and its distribution to the nodes of a swarm. The Docker
// build context (Dockerfile, install scripts, rootfs, the R layer, the Shiny apps) ships in this
// package too. Everything not listed here is internal.

export { buildImage, buildImageOptionsSchema, DEFAULT_CONTEXT_DIR } from './build-image.js';
export type { BuildImageOptions, BuildImageResult, BuiltImage } from './build-image.js';
export { pushImage, pushManifestList } from './push-image.js';
export type { PushedImage } from './push-image.js';
export { findBuildx } from './buildx.js';
export type { Buildx, FindBuildxOptions } from './buildx.js';
export { IMAGE_ARCHITECTURES } from './image-architecture.js';
export type { ImageArchitecture } from './image-architecture.js';
export { ensureBaseImage, BOOTSTRAP_LABEL, BOOTSTRAP_VERSION } from './base-image.js';
export type { BaseImageOrigin, EnsureBaseImageOptions } from './base-image.js';
export { fetchSparkArtifact } from './fetch-spark-artifact.js';
export type { FetchSparkArtifactOptions, SparkArtifact } from './fetch-spark-artifact.js';
export {
  fetchRStudioDeb,
  DEFAULT_RSTUDIO_VERSION,
  PINNED_RSTUDIO_SHA256,
} from './rstudio-artifact.js';
export type { FetchRStudioOptions, RStudioArtifact } from './rstudio-artifact.js';
export { fetchPythonWheels, parseLockFile } from './python-wheels.js';
export type { FetchPythonWheelsOptions, LockedWheel, PythonWheels } from './python-wheels.js';
export { DEFAULT_SPARK_SOURCES } from './spark-artifact-source.js';
export type {
  SparkArtifactSource,
  SparkSourceName,
  SourceCallOptions,
} from './spark-artifact-source.js';
export { defaultCacheDir } from './artifact-cache.js';
export type { Checksum, ChecksumAlgorithm } from './checksum.js';
export { formatChecksum } from './checksum.js';
export type { ImageProgressEvent, ImageProgressListener } from './image-progress.js';
export { distributeImage } from './distribute-image.js';
export type { DistributeImageOptions, DistributedImage } from './distribute-image.js';
