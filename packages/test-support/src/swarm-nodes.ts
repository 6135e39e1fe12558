// A real multi-node swarm for tests: Docker-in-Docker node containers (Debian's docker.io on the
// project's base image) on a network of their own, joined with real join tokens. The SDK drives
// the manager's engine over TCP, as it would drive a remote manager.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { DockerCli, waitUntil } from '@spark-rstudio-shiny/core';
import { docker, TestResources, uniqueName } from './docker-test-kit.js';

const NODE_IMAGE = 'srs-test-swarm-node:trixie';
const NODE_CONTEXT = fileURLToPath(new URL('./swarm-node/', import.meta.url));
// What a node container needs to run its own engine here (see shared/ENVIRONMENT.md: privileged
// containers fail on this kernel, these capabilities and mounts work).
const NODE_FLAGS = [
  '--cap-add',
  'ALL',
  '--cap-drop',
  'SYS_MODULE',
  '--cap-drop',
  'SYS_RESOURCE',
  '--security-opt',
  'seccomp=unconfined',
  '--security-opt',
  'apparmor=unconfined',
  '--security-opt',
  'systempaths=unconfined',
  '--tmpfs',
  '/run',
  '-v',
  '/sys/fs/cgroup:/sys/fs/cgroup:rw',
];

/** One node: its container, address, engine and swarm node id. */
export interface SwarmNode {
  container: string;
  hostname: string;
  ip: string;
  /** DOCKER_HOST of its engine. */
  engine: string;
  docker: DockerCli;
  nodeId: string;
}

/** A swarm of node containers; the first is the manager. */
export interface TestSwarm {
  nodes: SwarmNode[];
  manager: SwarmNode;
  network: string;
  cleanup(): Promise<void>;
}

/**
 * The cluster the multi-node test and benchmark deploy on a test swarm: 4 workers of 1 core and
 * 1 GB spread over the nodes, the head on the manager, the default ports (the front door only:
 * the SDK reads Spark's status inside the head, over the manager's engine). This kernel has
 * no IPsec (ESP), so an encrypted overlay (the default on several nodes) would carry nothing
 * between the nodes: it stays unencrypted here; the rendering of that default is unit tested.
 */
export function testSwarmClusterOptions(swarm: TestSwarm, stackName: string, image: string) {
  return {
    stackName,
    image,
    workers: 4,
    worker: { cores: 1, memory: '1g' },
    master: { cpus: 1, memory: '2g' },
    host: swarm.manager.ip,
    security: { encryptOverlay: false },
  };
}

/** An engine in a node container that answers only over TCP with TLS, as a remote engine does. */
export interface TlsEngineNode {
  container: string;
  ip: string;
  /** What a client sets to reach it: DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH. */
  env: Record<'DOCKER_HOST' | 'DOCKER_TLS_VERIFY' | 'DOCKER_CERT_PATH', string>;
  /** Removes the client certificates (the container goes with the test's resources). */
  cleanup(): Promise<void>;
}

/**
 * Starts a node container whose engine listens on tcp 2376 with TLS and verifies its clients
 * (--tlsverify), with a CA, a server certificate for its address and a client certificate made
 * for the test, as Docker's "protect the daemon socket" guide does it.
 */
export async function startTlsEngineNode(resources: TestResources): Promise<TlsEngineNode> {
  await docker.run(['build', '--force-rm', '-q', '-t', NODE_IMAGE, NODE_CONTEXT], {
    timeoutMs: 600_000,
  });
  const network = await resources.network(uniqueName('srs-remote'));
  const certs = await mkdtemp(join(tmpdir(), 'srs-engine-tls-'));
  const container = await resources.container(uniqueName('srs-remote-engine'), [
    '--network',
    network,
    ...NODE_FLAGS,
    '-v',
    `${certs}:/certs:ro`,
    '--entrypoint',
    'sleep',
    NODE_IMAGE,
    'infinity',
  ]);
  const ip = (
    await docker.run([
      'inspect',
      '--format',
      `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
      container,
    ])
  ).stdout;
  const openssl = (args: string[]): Promise<unknown> => execa('openssl', args, { cwd: certs });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...key,
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=srs test engine CA',
  ]);
  for (const [name, subject, extensions] of [
    ['server', `/CN=${ip}`, `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth\n`],
    ['client', '/CN=srs-test-client', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    await openssl([
      'req',
      ...key,
      '-keyout',
      `${name}-key.pem`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    ]);
    await writeFile(join(certs, `${name}.ext`), extensions);
    await openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-out',
      `${name}-cert.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ]);
  }
  await chmod(join(certs, 'server-key.pem'), 0o644);
  // The client side as the docker CLI expects it in DOCKER_CERT_PATH.
  const client = join(certs, 'client');
  await mkdir(client, { mode: 0o700 });
  for (const [from, to] of [
    ['ca.pem', 'ca.pem'],
    ['client-cert.pem', 'cert.pem'],
    ['client-key.pem', 'key.pem'],
  ] as const) {
    await writeFile(join(client, to), await readFile(join(certs, from)), { mode: 0o600 });
  }
  await docker.run([
    'exec',
    '-d',
    container,
    'dockerd',
    '--host=unix:///var/run/docker.sock',
    '--host=tcp://0.0.0.0:2376',
    '--tlsverify',
    '--tlscacert=/certs/ca.pem',
    '--tlscert=/certs/server-cert.pem',
    '--tlskey=/certs/server-key.pem',
    '--storage-driver=overlay2',
  ]);
  const env = { DOCKER_HOST: `tcp://${ip}:2376`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: client };
  await waitUntil(
    async () => {
      const probe = await execa('docker', ['info', '--format', '{{.ServerVersion}}'], {
        env,
        reject: false,
        timeout: 10_000,
      });
      return probe.exitCode === 0 && probe.stdout.trim() !== '' ? true : undefined;
    },
    { description: `the TLS engine at ${env.DOCKER_HOST}`, timeoutMs: 120_000, intervalMs: 1000 },
  );
  return { container, ip, env, cleanup: () => rm(certs, { recursive: true, force: true }) };
}

/**
 * Starts `count` node containers, makes the first a swarm manager and joins the others as workers.
 */
export async function startTestSwarm(count: number, resources: TestResources): Promise<TestSwarm> {
  await docker.run(['build', '--force-rm', '-q', '-t', NODE_IMAGE, NODE_CONTEXT], {
    timeoutMs: 600_000,
  });
  const network = await resources.network(uniqueName('srs-nodes'));
  const nodes: SwarmNode[] = [];
  for (let index = 1; index <= count; index += 1) {
    const hostname = `node-${index}`;
    const container = await resources.container(uniqueName(`srs-node${index}`), [
      '--network',
      network,
      '--hostname',
      hostname,
      ...NODE_FLAGS,
      NODE_IMAGE,
    ]);
    const ip = (
      await docker.run([
        'inspect',
        '--format',
        `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
        container,
      ])
    ).stdout;
    const engine = `tcp://${ip}:2375`;
    const nodeDocker = new DockerCli({ host: engine });
    await waitUntil(
      async () =>
        (
          await nodeDocker
            .run(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 })
            .catch(() => undefined)
        )?.stdout || undefined,
      {
        description: `the engine of ${hostname}`,
        timeoutMs: 120_000,
        intervalMs: 1000,
      },
    );
    nodes.push({ container, hostname, ip, engine, docker: nodeDocker, nodeId: '' });
  }
  const [manager, ...workers] = nodes as [SwarmNode, ...SwarmNode[]];
  await manager.docker.run(['swarm', 'init', '--advertise-addr', manager.ip], {
    timeoutMs: 60_000,
  });
  const token = (await manager.docker.run(['swarm', 'join-token', '-q', 'worker'])).stdout;
  for (const node of workers)
    await node.docker.run(['swarm', 'join', '--token', token, `${manager.ip}:2377`], {
      timeoutMs: 60_000,
    });
  for (const node of nodes)
    node.nodeId = (await node.docker.run(['info', '--format', '{{.Swarm.NodeID}}'])).stdout;
  await waitUntil(
    async () => {
      const ready = (await manager.docker.run(['node', 'ls', '--format', '{{.Status}}'])).stdout
        .split('\n')
        .filter((status) => status === 'Ready');
      return ready.length === count ? true : undefined;
    },
    { description: `${count} Ready swarm nodes`, timeoutMs: 120_000 },
  );
  return {
    nodes,
    manager,
    network,
    cleanup: async () => {
      // The nodes' own volumes (their engines' images and containers) go with them.
      await resources.cleanup();
    },
  };
}
