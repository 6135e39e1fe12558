import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { SrsError } from '@spark-rstudio-shiny/core';
import { ensureSecretFiles } from './compose-secrets.js';

const demo = { stackName: 'demo', host: '127.0.0.1' };

describe("Compose's secret files", () => {
  let state = '';
  const previous = process.env.SRS_STATE_DIR;

  beforeEach(async () => {
    state = await mkdtemp(join(tmpdir(), 'srs-state-'));
    process.env.SRS_STATE_DIR = state;
  });

  afterEach(async () => {
    if (previous === undefined) delete process.env.SRS_STATE_DIR;
    else process.env.SRS_STATE_DIR = previous;
    await rm(state, { recursive: true, force: true });
  });

  it('should make them 0400 in a 0700 folder, keep their values, and make a loosened one 0400 again', async () => {
    const files = await ensureSecretFiles(demo, ['sparkAuth', 'idePassword']);
    const secret = files.sparkAuth as string;
    expect((await stat(secret)).mode & 0o777).toBe(0o400);
    expect((await stat(join(secret, '..'))).mode & 0o777).toBe(0o700);
    const value = await readFile(secret, 'utf8');
    await chmod(secret, 0o644);
    await ensureSecretFiles(demo, ['sparkAuth', 'idePassword']);
    expect((await stat(secret)).mode & 0o777).toBe(0o400);
    expect(await readFile(secret, 'utf8')).toBe(value);
  });

  it('should make the certificate, key and CA together, keep them, and refuse to complete a partial set', async () => {
    const files = await ensureSecretFiles(demo, ['tlsCert', 'tlsKey', 'tlsCa']);
    const cert = new X509Certificate(await readFile(files.tlsCert as string));
    const ca = new X509Certificate(await readFile(files.tlsCa as string));
    expect(cert.checkIssued(ca)).toBe(true);
    expect((await stat(files.tlsKey as string)).mode & 0o777).toBe(0o400);
    await ensureSecretFiles(demo, ['tlsCert', 'tlsKey', 'tlsCa']);
    expect(new X509Certificate(await readFile(files.tlsCert as string)).serialNumber).toBe(
      cert.serialNumber,
    );
    await rm(files.tlsKey as string);
    const refused = await ensureSecretFiles(demo, ['tlsCert', 'tlsKey', 'tlsCa']).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SrsError);
    expect(refused).toMatchObject({ code: 'SECRET_MISMATCH' });
    expect((refused as SrsError).message).toMatch(/tls_cert.*tls_ca.*but not.*tls_key/);
  });
});
