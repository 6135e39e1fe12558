// The front door's certificates when the user brings none: a private CA of the stack's own, made
// at the first deploy, and a server certificate it signs for the names the stack is reached at.
// The CA's key signs once and is dropped: nothing can issue another certificate in its name.
// Certificates follow what strict verifiers ask (Python 3.13's VERIFY_X509_STRICT, browsers):
// P-256 keys, key identifiers, key usages, the names as subjectAltName.
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { ClusterConfig } from '@spark-rstudio-shiny/stack';

/** A CA certificate, and the server certificate and key it vouches for, as PEM text. */
export interface TlsBundle {
  ca: string;
  cert: string;
  key: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** How long the CA and the server certificate hold: 10 years, and 825 days. */
const CA_DAYS = 3650;
const SERVER_DAYS = 825;

/**
 * The names the front door's certificate is for: the host the stack is reached at (its `host`
 * option), this machine's name, localhost and 127.0.0.1.
 */
export function tlsHostNames(config: Pick<ClusterConfig, 'host'>): string[] {
  const host = config.host.replace(/^\[(.*)\]$/, '$1');
  return [...new Set([host, hostname(), 'localhost', '127.0.0.1'])];
}

/** A positive serial number of 128 random bits, in hex. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}

/** Generates a new CA and a server certificate for `names` (host names and IP addresses). */
export async function generateTlsBundle(options: {
  stackName: string;
  names: readonly string[];
  now?: Date;
}): Promise<TlsBundle> {
  // The library needs the metadata polyfill; loaded only by the deploys that make certificates.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  const { subtle } = globalThis.crypto;
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60_000);
  const caKeys = await subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const caName = `CN=spark-rstudio-shiny CA (stack ${options.stackName}),O=spark-rstudio-shiny`;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: caName,
    notBefore,
    notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS),
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = await subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const [first] = options.names;
  if (first === undefined) throw new TypeError('a certificate needs at least one name');
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${first}`,
    issuer: ca.subject,
    notBefore,
    notAfter: new Date(now.getTime() + SERVER_DAYS * DAY_MS),
    signingKey: caKeys.privateKey,
    publicKey: serverKeys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        options.names.map((name) => ({ type: isIP(name) === 0 ? 'dns' : 'ip', value: name })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  const key = x509.PemConverter.encode(
    await subtle.exportKey('pkcs8', serverKeys.privateKey),
    'PRIVATE KEY',
  );
  return { ca: ca.toString('pem'), cert: cert.toString('pem'), key };
}
