import type { ClusterCredentials } from '@spark-rstudio-shiny/sdk';
import { writeCaFile } from './ca-file.js';
import type { Reporter } from '../reporter.js';
import { clusterFor, interruptSignal, type ClusterFlags } from './cluster-options.js';

/** Days before expiry from which the certificate's renewal is asked for. */
const RENEW_DAYS = 30;

/** When the door's certificate expires, and what to do when that is near. */
function expiryLine(expires: string, now: Date = new Date()): string {
  const days = Math.floor((Date.parse(expires) - now.getTime()) / 86_400_000);
  return `  its certificate holds until ${expires.slice(0, 10)}${days < RENEW_DAYS ? `: ${days < 0 ? 'EXPIRED' : `${days} day(s) left`}; renew it (SECURITY.md, "Rotating the secrets")` : ''}`;
}

/** The login as lines for people (with where the front door's CA certificate was written). */
export function describeCredentials(credentials: ClusterCredentials, caFile?: string): string {
  const { ide, frontDoor } = credentials;
  const where = [
    ...(frontDoor === null
      ? []
      : [
          `Front door ${frontDoor.url}  (everything behind this login)`,
          `  its CA certificate: ${caFile ?? '(not written)'}`,
          expiryLine(frontDoor.certificateExpires),
          '  trust it in the browser (import as an authority), or per tool: curl --cacert FILE,',
          '  Python SSL_CERT_FILE=FILE, gRPC GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=FILE',
        ]),
    `JupyterLab ${ide.jupyter ?? '(port not published)'}`,
    ide.rstudioInstalled
      ? `RStudio Server ${ide.rstudio ?? '(port not published)'}`
      : 'RStudio Server: not in this image',
  ];
  return `IDE login  ${ide.user} / ${ide.password}\n  ${where.join('\n  ')}`;
}

/**
 * Writes the front door's CA certificate where tools can be pointed at it (when the stack has a
 * door) and describes the login with that file's path.
 */
export async function describeWrittenCredentials(
  stackName: string,
  found: ClusterCredentials,
): Promise<{ caFile: string | null; text: string }> {
  if (found.frontDoor === null) return { caFile: null, text: describeCredentials(found) };
  const caFile = await writeCaFile(stackName, found.frontDoor.caCertificate);
  return { caFile, text: describeCredentials(found, caFile) };
}

/** srs credentials: the IDE login, read from the stack's secret inside the master's task. */
export async function credentials(
  flags: ClusterFlags,
  reporter: Reporter,
): Promise<ClusterCredentials> {
  const cluster = await clusterFor(flags);
  const found = await cluster.credentials({ signal: interruptSignal() });
  const { caFile, text } = await describeWrittenCredentials(cluster.config.stackName, found);
  const frontDoor = found.frontDoor === null ? null : { ...found.frontDoor, caFile };
  reporter.result({ ...found, frontDoor }, text);
  return found;
}
