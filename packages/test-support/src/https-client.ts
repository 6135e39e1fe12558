// HTTP(S) requests as a browser behind the front door makes them, trusting only the CA given (the
// stack's own): no redirect followed, cookies passed by hand. Node's fetch cannot be given a CA
// per request, node:https can.
import { createHash, X509Certificate } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';

/** One answer, its body read whole. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a request sends; `ca` is the only certificate an https URL is trusted with. */
export interface HttpRequestOptions {
  ca?: string | undefined;
  method?: string;
  headers?: Record<string, string>;
  /** A body; with `form`, sent as application/x-www-form-urlencoded. */
  body?: string;
  form?: Record<string, string>;
  timeoutMs?: number;
}

/** One request (http or https by the URL); no redirect is followed. */
export function requestUrl(url: string, options: HttpRequestOptions = {}): Promise<HttpAnswer> {
  const body =
    options.form === undefined ? options.body : new URLSearchParams(options.form).toString();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const sent = send(
      url,
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        headers: {
          ...(options.form === undefined
            ? {}
            : { 'content-type': 'application/x-www-form-urlencoded' }),
          ...options.headers,
        },
        timeout: timeoutMs,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
        response.on('error', reject);
      },
    );
    sent.on('timeout', () => sent.destroy(new Error(`${url}: no answer in ${timeoutMs} ms`)));
    sent.on('error', reject);
    sent.end(body);
  });
}

/** The cookies an answer sets, as name=value pairs. */
export function cookiesOf(answer: HttpAnswer): string[] {
  const set = answer.headers['set-cookie'] ?? [];
  return (Array.isArray(set) ? set : [set]).map((line) => line.split(';')[0] as string);
}

/**
 * The SHA-256 of the public key (SPKI, base64) of the certificate a TLS server presents, verified
 * against `ca`: what Chromium's --ignore-certificate-errors-spki-list takes to trust that one
 * server and nothing else.
 */
export function serverSpkiHash(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: hostname.replace(/^\[(.*)\]$/, '$1'),
        port: Number(port || 443),
        ca,
        timeout: 30_000,
      },
      () => {
        const { raw } = socket.getPeerCertificate();
        socket.end();
        // The DER SubjectPublicKeyInfo (the certificate's `pubkey` is the bare EC point).
        const spki = new X509Certificate(raw).publicKey.export({ type: 'spki', format: 'der' });
        resolve(createHash('sha256').update(spki).digest('base64'));
      },
    );
    socket.on('timeout', () => socket.destroy(new Error(`${url}: no TLS answer in 30 s`)));
    socket.on('error', reject);
  });
}
