// The user's own certificate for the front door, in place of the one the stack's CA made: checked
// here before anything changes (PEM, the key is the certificate's, its names cover the host the
// stack is reached at, in force now, the chain and the CA in order), so a bad pair is refused at
// once rather than by a head that will not start.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { parseInput, SrsError } from '@spark-rstudio-shiny/core';
import type { ClusterConfig } from '@spark-rstudio-shiny/stack';
import { z } from 'zod';

const PEM_CERTIFICATE =
  /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;
const PEM_PRIVATE_KEY =
  /^\s*-----BEGIN (RSA |EC )?PRIVATE KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \1PRIVATE KEY-----\s*$/;

/** What a user gives: PEM text, never a file path (the CLI reads the files). */
export const userCertificateSchema = z.strictObject({
  /** The server certificate, then the intermediates that issued it (a "full chain" file). */
  certificate: z
    .string()
    .max(64 * 1024, 'must be at most 64 KiB of PEM')
    .refine(
      (text) => (text.match(PEM_CERTIFICATE) ?? []).length > 0,
      'must hold PEM certificates (-----BEGIN CERTIFICATE-----)',
    ),
  /** Its private key, unencrypted PEM (PKCS#8, or the RSA / EC forms). */
  key: z
    .string()
    .max(16 * 1024, 'must be at most 16 KiB of PEM')
    .regex(
      PEM_PRIVATE_KEY,
      'must be one unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)',
    ),
  /**
   * The CA clients should trust, for a private CA; without it, the chain's last certificate is
   * written as the stack's CA file (a public CA's certificate needs none on the clients).
   */
  ca: z
    .string()
    .max(64 * 1024, 'must be at most 64 KiB of PEM')
    .refine(
      (text) => (text.match(PEM_CERTIFICATE) ?? []).length === 1,
      'must hold exactly one PEM certificate',
    )
    .optional(),
});
export type UserCertificateInput = z.input<typeof userCertificateSchema>;

/** The three secrets' values, checked. */
export interface UserCertificateSecrets {
  tlsCert: string;
  tlsKey: string;
  tlsCa: string;
}

const refused = (message: string, hint: string): SrsError =>
  new SrsError({ code: 'INVALID_CONFIGURATION', message, hint });

/** Checks a user's certificate for a stack reached at `config.host`, at `now`. */
export function checkUserCertificate(
  input: UserCertificateInput,
  config: Pick<ClusterConfig, 'host'>,
  now: Date = new Date(),
): UserCertificateSecrets {
  const { certificate, key, ca } = parseInput(userCertificateSchema, input, 'certificate');
  let chain: X509Certificate[];
  let privateKey: KeyObject;
  try {
    chain = (certificate.match(PEM_CERTIFICATE) ?? []).map((pem) => new X509Certificate(pem));
  } catch (error) {
    throw refused(
      `the certificate file does not parse: ${(error as Error).message}`,
      'give PEM certificates as a CA issues them',
    );
  }
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw refused(
      `the key does not parse: ${(error as Error).message}`,
      'give the unencrypted private key in PEM',
    );
  }
  const [leaf] = chain;
  if (leaf === undefined) throw refused('no certificate given', 'give the certificate');
  if (!leaf.checkPrivateKey(privateKey))
    throw refused(
      `the key is not the key of the certificate for ${leaf.subject.replace(/\n/g, ', ')}`,
      'give the key the certificate was issued for',
    );
  const host = config.host.replace(/^\[(.*)\]$/, '$1');
  const covers =
    isIP(host) === 0 ? leaf.checkHost(host) !== undefined : leaf.checkIP(host) !== undefined;
  if (!covers)
    throw refused(
      `the certificate is not for ${host}: its names are ${leaf.subjectAltName ?? leaf.subject}`,
      'deploy with the host the certificate names (--host), or give a certificate for this host',
    );
  if (new Date(leaf.validFrom) > now || new Date(leaf.validTo) <= now)
    throw refused(
      `the certificate is not in force now: valid from ${leaf.validFrom} to ${leaf.validTo}`,
      'give a current certificate',
    );
  chain.slice(1).forEach((issuer, index) => {
    const child = chain[index] as X509Certificate;
    if (!child.checkIssued(issuer) || !child.verify(issuer.publicKey))
      throw refused(
        `certificate ${index + 2} of the file did not issue certificate ${index + 1}`,
        'give the server certificate first, then each issuer in order',
      );
  });
  const top = chain.at(-1) as X509Certificate;
  if (ca !== undefined) {
    const anchor = new X509Certificate(ca);
    const anchored =
      top.fingerprint256 === anchor.fingerprint256 ||
      (top.checkIssued(anchor) && top.verify(anchor.publicKey));
    if (!anchored)
      throw refused(
        `the CA ${anchor.subject.replace(/\n/g, ', ')} did not issue the certificate's chain`,
        'give the CA that issued the certificate (or its last intermediate)',
      );
  }
  return {
    tlsCert: `${chain.map((cert) => cert.toString().trim()).join('\n')}\n`,
    tlsKey: key.endsWith('\n') ? key : `${key}\n`,
    tlsCa: ca ?? top.toString(),
  };
}

/** When the first certificate of a PEM chain expires, as ISO 8601. */
export function certificateExpiry(chain: string): string {
  const [first] = chain.match(PEM_CERTIFICATE) ?? [];
  if (first === undefined)
    throw refused('the front door holds no PEM certificate', 'see srs logs master');
  return new Date(new X509Certificate(first).validTo).toISOString();
}
