// A real container registry for tests, over TLS: Debian's docker-registry in a container on a
// test network, with a certificate signed by a CA made for the test. Engines that pull or push
// are told to trust that CA the way Docker documents (certs.d/<host:port>/ca.crt), and forget it
// at cleanup.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { waitUntil } from '@spark-rstudio-shiny/core';
import { docker, TestResources, uniqueName } from './docker-test-kit.js';

const REGISTRY_IMAGE = 'srs-test-registry:trixie';
const REGISTRY_CONTEXT = fileURLToPath(new URL('./registry/', import.meta.url));

/** A running test registry. */
export interface TestRegistry {
  /** host:port, as image references name it: `172.20.0.5:5000`. */
  host: string;
  /** The CA certificate (PEM) the registry's certificate is signed by. */
  caCertificate: string;
  /** Makes an engine in a node container trust the registry (writes certs.d in the container). */
  trustIn(container: string): Promise<void>;
  /** Makes this machine's engine trust it (certs.d under /etc/docker, removed by cleanup). */
  trustHere(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Starts a TLS registry on `network`, its certificate for its address there. */
export async function startTestRegistry(
  network: string,
  resources: TestResources,
): Promise<TestRegistry> {
  await docker.run(['build', '--force-rm', '-q', '-t', REGISTRY_IMAGE, REGISTRY_CONTEXT], {
    timeoutMs: 600_000,
  });
  const certs = await mkdtemp(join(tmpdir(), 'srs-registry-certs-'));
  const name = uniqueName('srs-registry');
  // The container first, so its address is known; the certificate names that address.
  await resources.container(name, [
    '--network',
    network,
    '-v',
    `${certs}:/certs:ro`,
    '--entrypoint',
    'sleep',
    REGISTRY_IMAGE,
    'infinity',
  ]);
  const ip = (
    await docker.run([
      'inspect',
      '--format',
      `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
      name,
    ])
  ).stdout;
  const host = `${ip}:5000`;
  await makeCertificates(certs, ip);
  await docker.run([
    'exec',
    '-d',
    name,
    'docker-registry',
    'serve',
    '/etc/srs-registry/config.yml',
  ]);
  const caCertificate = await readFile(join(certs, 'ca.crt'), 'utf8');
  await waitUntil(
    async () => {
      const probe = await execa(
        'curl',
        ['-fsS', '--cacert', join(certs, 'ca.crt'), `https://${host}/v2/`],
        { reject: false, timeout: 5000 },
      );
      return probe.exitCode === 0 ? true : undefined;
    },
    { description: `the registry at ${host}`, timeoutMs: 60_000, intervalMs: 500 },
  );
  const hostTrust = `/etc/docker/certs.d/${host}`;
  return {
    host,
    caCertificate,
    trustIn: async (container: string) => {
      await docker.run(
        [
          'exec',
          '-i',
          container,
          'sh',
          '-c',
          `mkdir -p '/etc/docker/certs.d/${host}' && cat > '/etc/docker/certs.d/${host}/ca.crt'`,
        ],
        { input: caCertificate },
      );
    },
    trustHere: async () => {
      await mkdir(hostTrust, { recursive: true });
      await writeFile(join(hostTrust, 'ca.crt'), caCertificate);
    },
    cleanup: async () => {
      await rm(hostTrust, { recursive: true, force: true });
      await rm(certs, { recursive: true, force: true });
    },
  };
}

/** A CA and a server certificate for `ip`, with openssl. */
async function makeCertificates(dir: string, ip: string): Promise<void> {
  const openssl = (args: string[]): Promise<unknown> => execa('openssl', args, { cwd: dir });
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=srs test registry CA',
  ]);
  await openssl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    `/CN=${ip}`,
  ]);
  await writeFile(
    join(dir, 'server.ext'),
    `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth\n`,
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
  // The registry runs as root in its container; the key needs no other reader.
  await execa('chmod', ['0644', join(dir, 'server.key'), join(dir, 'server.crt')]);
}
