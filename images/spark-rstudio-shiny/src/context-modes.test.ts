import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isExecutable, normalizeContextModes } from './context-modes.js';

describe('normalizeContextModes', () => {
  it('should make the entrypoint and install scripts executable and nothing else, whatever the copy had', async () => {
    const root = await mkdtemp(join(tmpdir(), 'srs-modes-'));
    try {
      const files = {
        'rootfs/usr/local/bin/docker-entrypoint.sh': 0o644, // as a pnpm tarball gives it
        'scripts/install_r.sh': 0o600,
        'rootfs/etc/supervisor/conf.d/spark.conf': 0o775,
        'r/srspark/R/glm.R': 0o755,
        Dockerfile: 0o666,
      };
      for (const [path, mode] of Object.entries(files)) {
        await mkdir(join(root, path, '..'), { recursive: true });
        await writeFile(join(root, path), 'x');
        await chmod(join(root, path), mode);
      }
      await chmod(join(root, 'r'), 0o700);
      await normalizeContextModes(root);
      const mode = async (path: string) => (await stat(join(root, path))).mode & 0o777;
      expect(await mode('rootfs/usr/local/bin/docker-entrypoint.sh')).toBe(0o755);
      expect(await mode('scripts/install_r.sh')).toBe(0o755);
      expect(await mode('rootfs/etc/supervisor/conf.d/spark.conf')).toBe(0o644);
      expect(await mode('r/srspark/R/glm.R')).toBe(0o644);
      expect(await mode('Dockerfile')).toBe(0o644);
      expect(await mode('r')).toBe(0o755);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('should treat only direct children of the two folders as executables', () => {
    expect(isExecutable('rootfs/usr/local/bin/srs-healthcheck')).toBe(true);
    expect(isExecutable('scripts/lib.sh')).toBe(true);
    expect(isExecutable('scripts/nested/x.sh')).toBe(false);
    expect(isExecutable('rootfs/usr/local/bin/sub/x')).toBe(false);
    expect(isExecutable('apps/spark-demo/app.R')).toBe(false);
  });
});
