import type { ClusterCredentials } from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';
import { clusterFor, interruptSignal, type ClusterFlags } from './cluster-options.js';

/** The login as lines for people. */
export function describeCredentials(credentials: ClusterCredentials): string {
  const { ide } = credentials;
  const where = [
    `JupyterLab ${ide.jupyter ?? '(port not published)'}`,
    ide.rstudioInstalled
      ? `RStudio Server ${ide.rstudio ?? '(port not published)'}`
      : 'RStudio Server: not in this image',
  ];
  return `IDE login  ${ide.user} / ${ide.password}\n  ${where.join('\n  ')}`;
}

/** srs credentials: the IDE login, read from the stack's secret inside the master's task. */
export async function credentials(
  flags: ClusterFlags,
  reporter: Reporter,
): Promise<ClusterCredentials> {
  const found = await (await clusterFor(flags)).credentials({ signal: interruptSignal() });
  reporter.result(found, describeCredentials(found));
  return found;
}
