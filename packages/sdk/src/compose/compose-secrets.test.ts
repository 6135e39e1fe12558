import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSecretFiles } from './compose-secrets.js';

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
    const files = await ensureSecretFiles('demo', ['sparkAuth', 'idePassword']);
    const secret = files.sparkAuth as string;
    expect((await stat(secret)).mode & 0o777).toBe(0o400);
    expect((await stat(join(secret, '..'))).mode & 0o777).toBe(0o700);
    const value = await readFile(secret, 'utf8');
    await chmod(secret, 0o644);
    await ensureSecretFiles('demo', ['sparkAuth', 'idePassword']);
    expect((await stat(secret)).mode & 0o777).toBe(0o400);
    expect(await readFile(secret, 'utf8')).toBe(value);
  });
});
