// Public API of @spark-rstudio-shiny/stack: the Swarm stack file (spark-rstudio-shiny.yml, in
// this package), the zod schema of the options that render it, and the renderer. Everything not
// listed here is internal.

export {
  clusterConfigSchema,
  cpusSchema,
  loginNameSchema,
  memoryBytes,
  memorySchema,
  portSchema,
  serviceNameSchema,
  stackNameSchema,
  workerCountSchema,
} from './cluster-config.js';
export type { ClusterConfig, ClusterConfigInput, ServiceName } from './cluster-config.js';
export { configLabelValue, parseConfigLabel } from './config-label.js';
export {
  DEFAULT_STACK_FILE,
  encryptsOverlay,
  renderStackFile,
  stackVariables,
  substituteVariables,
} from './render-stack-file.js';
export type { SwarmFacts } from './render-stack-file.js';
export { renderComposeFile } from './render-compose-file.js';
export type { ComposeFacts } from './render-compose-file.js';
