import { CONFIG_LABEL, SrsError } from '@spark-rstudio-shiny/core';
import { clusterConfigSchema, type ClusterConfig } from './cluster-config.js';

/** The value of the label ({@link CONFIG_LABEL}) that records a stack's options on its services. */
export function configLabelValue(config: ClusterConfig): string {
  return JSON.stringify(config);
}

/** The options in a label's value, validated like any input. */
export function parseConfigLabel(value: string, service: string): ClusterConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch (error) {
    throw new SrsError({
      code: 'INVALID_CONFIGURATION',
      message: `the ${CONFIG_LABEL} label of ${service} is not JSON`,
      hint: 'deploy the stack again with srs up',
      cause: error,
    });
  }
  const parsed = clusterConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SrsError({
      code: 'INVALID_CONFIGURATION',
      message: `the ${CONFIG_LABEL} label of ${service} does not hold valid options: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      hint: 'deploy the stack again with srs up (it rewrites the label)',
    });
  }
  return parsed.data;
}
