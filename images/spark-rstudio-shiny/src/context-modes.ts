// File modes of the private build context, set from the file's place rather than taken from the
// copy: npm and pnpm tarballs keep no exec bit outside a package's `bin`, and the umask differs
// from one machine to the next. Docker copies modes into the image (an entrypoint without its
// exec bit exits 126) and counts them in its layer cache, so the same sources give the same
// modes, and the same cached layers, from a checkout and from an installed package.
import { chmod, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Paths (relative to the context, with `/`) that must be executable. */
export function isExecutable(path: string): boolean {
  return /^rootfs\/usr\/local\/bin\/[^/]+$/.test(path) || /^scripts\/[^/]+\.sh$/.test(path);
}

/** Sets directories to 0755, executables to 0755 and every other file to 0644, under `root`. */
export async function normalizeContextModes(root: string, dir: string = root): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await normalizeContextModes(root, path);
    else if (entry.isFile())
      await chmod(path, isExecutable(relative(root, path).split(sep).join('/')) ? 0o755 : 0o644);
  }
}
