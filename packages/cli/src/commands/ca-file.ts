import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stateDir } from '@spark-rstudio-shiny/sdk';

/**
 * Writes a stack's CA certificate (public) where tools can be pointed at it:
 * <state dir>/tls/<stack>-ca.pem. Returns the path.
 */
export async function writeCaFile(stackName: string, caCertificate: string): Promise<string> {
  const dir = join(stateDir(), 'tls');
  const file = join(dir, `${stackName}-ca.pem`);
  await mkdir(dir, { recursive: true });
  await writeFile(file, caCertificate, { mode: 0o644 });
  return file;
}
