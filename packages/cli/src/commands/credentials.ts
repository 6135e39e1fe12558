import type { ClusterCredentials } from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';
import { clusterFor, interruptSignal, type ClusterFlags } from './cluster-options.js';

/** The login as lines for people. */
export function describeCredentials(credentials: ClusterCredentials): string {
  const { rstudio } = credentials;
  if (!rstudio.installed) return `RStudio Server is not in this image; user ${rstudio.user} exists for when it is (password: srs credentials)`;
  return `RStudio login  ${rstudio.user} / ${rstudio.password}${rstudio.url === null ? '  (port not published)' : `  at ${rstudio.url}`}`;
}

/** srs credentials: the RStudio login, read from the stack's secret inside the master's task. */
export async function credentials(flags: ClusterFlags, reporter: Reporter): Promise<ClusterCredentials> {
  const found = await clusterFor(flags).credentials({ signal: interruptSignal() });
  reporter.result(found, describeCredentials(found));
  return found;
}
