// Builds the image from the command line until the CLI (`srs build`) lands:
//   pnpm image:build [--no-cache]
// Environment: SRS_IMAGE (tag), SRS_SPARK_VERSION, SRS_SPARK_SOURCES (e.g. "pypi" or "apache,pypi").
import { buildImage, isSrsError } from '../src/index.js';

const sources = process.env.SRS_SPARK_SOURCES?.split(',').map((source) => source.trim()) as ('apache' | 'pypi')[] | undefined;
try {
  const result = await buildImage({
    ...(process.env.SRS_IMAGE ? { tag: process.env.SRS_IMAGE } : {}),
    ...(process.env.SRS_SPARK_VERSION ? { sparkVersion: process.env.SRS_SPARK_VERSION } : {}),
    ...(sources ? { sparkSources: sources } : {}),
    noCache: process.argv.includes('--no-cache'),
    onProgress: (event) => {
      if (event.kind === 'step') process.stderr.write(`${event.message}\n`);
      else if (event.kind === 'output' && /^Step \d+\/\d+ :/.test(event.line)) process.stderr.write(`  ${event.line.slice(0, 120)}\n`);
    },
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} catch (error) {
  if (isSrsError(error)) {
    process.stderr.write(`error: ${error.shortMessage}\n`);
    process.exit(1);
  }
  throw error;
}
