import { existsSync } from 'node:fs';
import { readdir, statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  defaultCacheDir,
  DEFAULT_IMAGE_TAG,
  probeEngine,
  type EngineProbe,
} from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';

/** One precondition and, when it fails, the fix. */
export interface DoctorCheck {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

async function docker(args: string[]): Promise<string> {
  const result = await execa('docker', args, { timeout: 15_000 });
  return result.stdout.trim();
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/**
 * The engine's line: its version, or why none answers (stopped, this user not allowed, remote and
 * down).
 */
export function engineCheck(engine: EngineProbe): DoctorCheck {
  if (engine.answers)
    return {
      check: 'Docker engine',
      status: 'ok',
      detail: `${engine.serverVersion} (${engine.osType}/${engine.architecture})`,
    };
  const { error } = engine;
  if (error.code === 'DOCKER_PERMISSION_DENIED') {
    return {
      check: 'Docker engine',
      status: 'fail',
      detail: 'running, but this user may not use its socket',
      fix: error.hint ?? 'join the docker group',
    };
  }
  const remote =
    (process.env.DOCKER_HOST ?? '') !== '' ? ` at ${process.env.DOCKER_HOST ?? ''}` : '';
  return {
    check: 'Docker engine',
    status: 'fail',
    detail: `no engine answers${remote}`,
    fix:
      remote !== ''
        ? 'start that engine or check DOCKER_HOST'
        : process.platform === 'linux'
          ? 'srs up starts it when run as root on Debian; else sudo systemctl start docker (or start Docker Desktop)'
          : 'start Docker Desktop (or colima start)',
  };
}

/**
 * srs doctor: every precondition of `srs up`, with a fix for each failure. Exit 1 when one fails.
 */
export async function doctor(reporter: Reporter): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  // The CLI's own version answers without an engine (`docker version` exits 1 then, but prints it).
  const cli = await execa('docker', ['version', '--format', '{{.Client.Version}}'], {
    timeout: 15_000,
    reject: false,
  });
  const client =
    cli.failed && (cli.code === 'ENOENT' || String(cli.stdout).trim() === '')
      ? undefined
      : String(cli.stdout).trim();
  checks.push(
    client === undefined
      ? {
          check: 'docker CLI',
          status: 'fail',
          detail: 'not found on PATH',
          fix: "install Docker (Docker Desktop on macOS and Windows; on Debian as root, srs up installs Debian's docker.io)",
        }
      : { check: 'docker CLI', status: 'ok', detail: client },
  );
  const engine = client === undefined ? undefined : await probeEngine();
  if (engine !== undefined) checks.push(engineCheck(engine));
  const server = engine?.answers === true ? engine.serverVersion : undefined;
  if (server !== undefined) {
    const swarm = await docker([
      'info',
      '--format',
      '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}',
    ]).catch(() => 'unknown');
    checks.push(
      swarm === 'active true'
        ? { check: 'swarm', status: 'ok', detail: 'this engine is a manager' }
        : swarm.startsWith('inactive')
          ? {
              check: 'swarm',
              status: 'warn',
              detail: 'no swarm yet',
              fix: 'srs up initializes a single-node swarm',
            }
          : { check: 'swarm', status: 'fail', detail: swarm, fix: 'run against a manager node' },
    );
    const image = await docker([
      'image',
      'inspect',
      '--format',
      '{{.Id}}',
      DEFAULT_IMAGE_TAG,
    ]).catch(() => undefined);
    checks.push(
      image === undefined
        ? {
            check: 'image',
            status: 'warn',
            detail: `${DEFAULT_IMAGE_TAG} not built yet`,
            fix: 'srs build (srs up does it)',
          }
        : { check: 'image', status: 'ok', detail: `${DEFAULT_IMAGE_TAG} ${image.slice(7, 19)}` },
    );
  }
  const dockerRoot = existsSync('/var/lib/docker') ? '/var/lib/docker' : '/';
  const disk = await statfs(dockerRoot);
  const freeGb = (disk.bavail * disk.bsize) / 1024 ** 3;
  checks.push(
    freeGb >= 10
      ? {
          check: 'free disk',
          status: 'ok',
          detail: `${freeGb.toFixed(0)} GB free under ${dockerRoot}`,
        }
      : {
          check: 'free disk',
          status: 'fail',
          detail: `${freeGb.toFixed(1)} GB free under ${dockerRoot}`,
          fix: 'the image needs about 2.5 GB and its build about 5 GB: free some space (docker system prune)',
        },
  );
  // The one port a default deploy publishes (the plain ones are opt-in).
  for (const [name, port] of [['front door, HTTPS', 8443]] as const) {
    const free = await portFree(port);
    checks.push(
      free
        ? { check: `port ${port} (${name})`, status: 'ok', detail: 'free' }
        : {
            check: `port ${port} (${name})`,
            status: 'warn',
            detail: 'in use (by a running stack, or another program)',
            fix: 'if it is not this cluster, publish the UI on another port',
          },
    );
  }
  checks.push(
    existsSync('/proc/net/ip_vs')
      ? { check: 'kernel IPVS', status: 'ok', detail: 'present' }
      : {
          check: 'kernel IPVS',
          status: 'warn',
          detail: 'absent: Swarm virtual IPs and the ingress routing mesh do not work here',
          fix: 'nothing to do: the stack uses dnsrr and host-mode ports, which work without IPVS',
        },
  );
  const sparkCache = join(defaultCacheDir(), 'artifacts', 'spark');
  const verified = (await readdir(sparkCache).catch(() => [] as string[]))
    .filter((name) => name.endsWith('.checksum'))
    .map((name) => name.slice(0, -'.checksum'.length));
  checks.push(
    verified.length > 0
      ? {
          check: 'artifact cache',
          status: 'ok',
          detail: `${verified.join(', ')} verified in ${sparkCache}`,
        }
      : {
          check: 'artifact cache',
          status: 'warn',
          detail: `empty (${sparkCache})`,
          fix: 'the first build downloads Spark (about 450 MB)',
        },
  );

  const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  reporter.result(
    checks,
    checks
      .map(
        (check) =>
          `${mark[check.status]}  ${check.check}: ${check.detail}${check.fix === undefined || check.status === 'ok' ? '' : `\n      fix: ${check.fix}`}`,
      )
      .join('\n'),
  );
  return checks;
}
