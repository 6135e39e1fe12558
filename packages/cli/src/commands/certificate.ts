import { readFile, stat } from 'node:fs/promises';
import { SrsError } from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';
import { clusterFor, interruptSignal, type ClusterFlags } from './cluster-options.js';

/** The files `srs certificate` reads. */
export interface CertificateFiles {
  cert: string;
  key: string;
  ca?: string | undefined;
}

/** A PEM file's text; a missing, unreadable or oversized file is one message naming its flag. */
async function readPem(path: string, flag: string): Promise<string> {
  const size = await stat(path).then(
    (info) => (info.isFile() ? info.size : -1),
    () => -1,
  );
  if (size < 0 || size > 64 * 1024)
    throw new SrsError({
      code: 'INVALID_CONFIGURATION',
      message: `${flag} ${path}: ${size < 0 ? 'not a readable file' : 'more than 64 KiB, not a PEM file'}`,
      hint: `give ${flag} the path of a PEM file`,
    });
  return readFile(path, 'utf8');
}

/**
 * srs certificate: the front door presents the user's own certificate (with its chain) and key
 * from the next `srs up` on. The stack must be down; nothing changes when the files are refused.
 */
export async function certificate(
  flags: ClusterFlags & CertificateFiles,
  reporter: Reporter,
): Promise<void> {
  // One after the other: with both files bad, the message names --cert every time (read at
  // once, whichever stat failed first was reported, and a test saw --key).
  const cert = await readPem(flags.cert, '--cert');
  const key = await readPem(flags.key, '--key');
  const ca = flags.ca === undefined ? undefined : await readPem(flags.ca, '--ca');
  const cluster = await clusterFor(flags);
  await cluster.useCertificate(
    { certificate: cert, key, ...(ca === undefined ? {} : { ca }) },
    { signal: interruptSignal() },
  );
  const { stackName } = cluster.config;
  reporter.result(
    { stackName, certificate: flags.cert },
    `Stack ${stackName} will present ${flags.cert} at its front door from the next srs up.`,
  );
}
