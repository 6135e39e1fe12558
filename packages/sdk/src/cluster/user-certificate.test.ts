import { X509Certificate } from 'node:crypto';
import { certificateExpiry, checkUserCertificate } from './user-certificate.js';
import { generateTlsBundle, type TlsBundle } from './tls-bundle.js';

describe('checkUserCertificate', () => {
  let mine: TlsBundle;
  let other: TlsBundle;

  beforeAll(async () => {
    // Two independent CAs (made by the code the stack uses for its own, a different module).
    mine = await generateTlsBundle({ stackName: 'a', names: ['srs.example', '10.0.0.5'] });
    other = await generateTlsBundle({ stackName: 'b', names: ['srs.example'] });
  });

  it('should take a certificate for the host with its key, its chain kept and the CA given', () => {
    const checked = checkUserCertificate(
      { certificate: `${mine.cert}${mine.ca}`, key: mine.key, ca: mine.ca },
      { host: 'srs.example' },
    );
    expect(checked.tlsKey).toBe(mine.key.endsWith('\n') ? mine.key : `${mine.key}\n`);
    expect(checked.tlsCert.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(new X509Certificate(checked.tlsCa).fingerprint256).toBe(
      new X509Certificate(mine.ca).fingerprint256,
    );
    // An IP host is matched against the IP names; without a CA, the chain's top is the CA file.
    const byIp = checkUserCertificate(
      { certificate: `${mine.cert}${mine.ca}`, key: mine.key },
      { host: '10.0.0.5' },
    );
    expect(new X509Certificate(byIp.tlsCa).fingerprint256).toBe(
      new X509Certificate(mine.ca).fingerprint256,
    );
  });

  it.each([
    ['a key that is not the certificate’s', () => ({ key: other.key }), /the key is not the key/],
    ['a host it does not name', () => ({}), /not for elsewhere\.example/, 'elsewhere.example'],
    [
      'a CA that did not issue it',
      () => ({ ca: other.ca }),
      /did not issue the certificate's chain/,
    ],
    [
      'a chain out of order',
      () => ({ certificate: `${mine.cert}${other.ca}` }),
      /certificate 2 of the file did not issue certificate 1/,
    ],
    ['text that is not PEM', () => ({ certificate: 'hello' }), /certificate: must hold PEM/],
    [
      'an encrypted key',
      () => ({
        key: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n',
      }),
      /key: must be one unencrypted PEM private key/,
    ],
  ])('should refuse %s with one message', (_what, change, message, host = 'srs.example') => {
    expect(() =>
      checkUserCertificate({ certificate: mine.cert, key: mine.key, ...change() }, { host }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIGURATION',
        message: expect.stringMatching(message),
      }),
    );
  });

  it('should refuse a certificate not in force at the time', () => {
    expect(() =>
      checkUserCertificate(
        { certificate: mine.cert, key: mine.key },
        { host: 'srs.example' },
        new Date(Date.now() + 900 * 86_400_000),
      ),
    ).toThrow(/not in force now/);
  });
});

describe('certificateExpiry', () => {
  it("should give the first certificate's end of validity, and refuse text without one", async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const bundle = await generateTlsBundle({ stackName: 's', names: ['a.example'], now });
    expect(certificateExpiry(`${bundle.cert}${bundle.ca}`)).toBe(
      new Date(new X509Certificate(bundle.cert).validTo).toISOString(),
    );
    expect(Date.parse(certificateExpiry(bundle.cert)) - now.getTime()).toBe(825 * 86_400_000);
    expect(() => certificateExpiry('nothing')).toThrow(/no PEM certificate/);
  });
});
