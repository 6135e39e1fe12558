import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { SrsError } from '../errors/srs-error.js';

/** The project's engine script (also what CI runs): installs Debian's docker.io and starts dockerd when needed. */
export const ENGINE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-docker-engine.sh', import.meta.url));

/**
 * Makes sure a Docker engine answers. On a Debian-like machine where we are root, installs
 * Debian's docker.io and starts dockerd when missing or stopped, saying so through `onLine`;
 * elsewhere fails with DOCKER_DAEMON_UNREACHABLE and what to install.
 */
export async function ensureEngine(options: { onLine?: (line: string) => void; signal?: AbortSignal } = {}): Promise<void> {
  const child = execa('bash', [ENGINE_SCRIPT], { all: true, ...(options.signal === undefined ? {} : { cancelSignal: options.signal }), reject: false });
  child.all?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim() !== '') options.onLine?.(line);
  });
  const result = await child;
  if (result.exitCode !== 0) {
    const lines = String(result.all ?? '')
      .split('\n')
      .filter((line) => line.trim() !== '');
    throw new SrsError({
      code: 'DOCKER_DAEMON_UNREACHABLE',
      message: lines.find((line) => line.includes('error:'))?.replace(/^\[engine\] /, '') ?? 'no Docker engine answers and none could be started',
      hint: 'install Docker Engine and start it (on Debian, as root: apt-get install docker.io && dockerd &)',
      command: `bash ${ENGINE_SCRIPT}`,
      exitCode: result.exitCode,
      stderr: String(result.all ?? ''),
    });
  }
}
