import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SrsError } from '@spark-rstudio-shiny/core';
import { parseLockFile } from './python-wheels.js';

const SHIPPED_LOCK = fileURLToPath(new URL('../python/jupyterlab.lock', import.meta.url));

describe('parseLockFile', () => {
  it('should read name, version and every sha256 of each line, skipping comments', () => {
    const wheels = parseLockFile(
      `# generated\njupyterlab==4.6.6 --hash=sha256:${'a'.repeat(64)}\n\npyzmq==27.1.0 --hash=sha256:${'b'.repeat(64)} --hash=sha256:${'c'.repeat(64)}\n`,
    );
    expect(wheels).toEqual([
      { name: 'jupyterlab', version: '4.6.6', sha256: ['a'.repeat(64)] },
      { name: 'pyzmq', version: '27.1.0', sha256: ['b'.repeat(64), 'c'.repeat(64)] },
    ]);
  });

  it.each([
    ['jupyterlab>=4 --hash=sha256:' + 'a'.repeat(64)],
    ['jupyterlab==4.6.6'],
    ['jupyterlab==4.6.6 --hash=md5:abc'],
  ])('should refuse a line that is not pinned with a sha256: %s', (line) => {
    expect(() => parseLockFile(line)).toThrow(SrsError);
    expect(() => parseLockFile(line)).toThrow(/line 1 of the lock file/);
  });

  it('should parse the lock the image ships, JupyterLab and the Python kernel among its pins', async () => {
    const wheels = parseLockFile(await readFile(SHIPPED_LOCK, 'utf8'));
    const names = wheels.map((wheel) => wheel.name);
    expect(names).toEqual(
      expect.arrayContaining(['jupyterlab', 'ipykernel', 'jupyter-server', 'terminado']),
    );
    expect(new Set(names).size).toBe(names.length);
  });
});
