import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where fetched artifacts are kept between builds: $SRS_CACHE_DIR, else
 * $XDG_CACHE_HOME/spark-rstudio-shiny, else ~/.cache/spark-rstudio-shiny.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SRS_CACHE_DIR) return env.SRS_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'spark-rstudio-shiny');
}

/** The cache folder of one kind of artifact. */
export function artifactDir(cacheDir: string, kind: 'spark' | 'rstudio' | 'python-wheels'): string {
  return join(cacheDir, 'artifacts', kind);
}
