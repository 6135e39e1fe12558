// The SDK's layers point one way. cluster/ is what both orchestrators share (the Orchestrator
// interface, stack state, the Docker output model); swarm/ and compose/ each hold everything of
// their own; the facade (spark-cluster.ts, deployed-config.ts, index.ts) sits above them. spark/
// reads Spark's own answers and imports none of them.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = dirname(fileURLToPath(import.meta.url));

/** The layer of a source file: its folder, or "facade" for the files at the top. */
function layerOf(file: string): string {
  const [first = '', ...rest] = file.split('/');
  return rest.length === 0 ? 'facade' : first;
}

/** What each layer may import (besides itself and other packages). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  spark: [],
  cluster: ['spark'],
  swarm: ['cluster', 'spark'],
  compose: ['cluster', 'spark'],
  facade: ['cluster', 'spark', 'swarm', 'compose'],
};

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every relative import of the sources, as [importer, imported] paths relative to src/. */
function relativeImports(): [string, string][] {
  return sources().flatMap((path) => {
    const text = readFileSync(path, 'utf8');
    const from = relative(SRC, path);
    return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map(
      ([, specifier = '']): [string, string] => [
        from,
        normalize(join(dirname(from), specifier)).replace(/\.js$/, '.ts'),
      ],
    );
  });
}

describe('the SDK layers', () => {
  it('should have a known layer for every source file', () => {
    const layers = new Set(sources().map((path) => layerOf(relative(SRC, path))));
    expect([...layers].filter((layer) => !(layer in ALLOWED))).toEqual([]);
  });

  it('should import only downwards: swarm and compose never each other or the facade, cluster neither', () => {
    const imports = relativeImports();
    expect(imports.length).toBeGreaterThan(50);
    const wrong = imports
      .filter(([from, to]) => {
        const [a, b] = [layerOf(from), layerOf(to)];
        return a !== b && !(ALLOWED[a] ?? []).includes(b);
      })
      .map(([from, to]) => `${from} -> ${to}`);
    expect(wrong).toEqual([]);
  });
});
