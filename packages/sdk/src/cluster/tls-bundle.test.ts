import { createPrivateKey, X509Certificate } from 'node:crypto';
import { generateTlsBundle, tlsHostNames } from './tls-bundle.js';

describe('the front door certificates', () => {
  it('should sign a server certificate for the given names with a new CA, and give its key', async () => {
    const now = new Date('2026-12-05T12:00:00Z');
    const bundle = await generateTlsBundle({
      stackName: 'demo',
      names: ['srs.example', 'localhost', '127.0.0.1'],
      now,
    });
    const ca = new X509Certificate(bundle.ca);
    const cert = new X509Certificate(bundle.cert);
    // Checked by Node's OpenSSL, not by the library that made them.
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(bundle.key))).toBe(true);
    expect(cert.checkHost('srs.example')).toBe('srs.example');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('other.example')).toBeUndefined();
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(new Date(cert.validFrom).getTime()).toBeLessThanOrEqual(now.getTime());
    expect(new Date(cert.validTo).getTime() - now.getTime()).toBe(825 * 86_400_000);
    // Two stacks never share a CA.
    const other = await generateTlsBundle({ stackName: 'demo', names: ['localhost'], now });
    expect(cert.verify(new X509Certificate(other.ca).publicKey)).toBe(false);
  });

  it("should name the stack's host, without brackets, besides localhost and 127.0.0.1", () => {
    expect(tlsHostNames({ host: 'srs.example' })).toEqual(
      expect.arrayContaining(['srs.example', 'localhost', '127.0.0.1']),
    );
    expect(tlsHostNames({ host: '[::1]' })[0]).toBe('::1');
  });
});
