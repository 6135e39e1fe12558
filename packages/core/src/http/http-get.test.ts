import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SrsError } from '../errors/srs-error.js';
import { httpGet } from './http-get.js';

// A real HTTP server on a free port: one path answers, one sends its headers and never its body,
// one never answers at all.
describe('httpGet', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/ok') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"status":"ALIVE"}');
      } else if (request.url === '/half') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"status":');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('should return the status and the whole body', async () => {
    const answer = await httpGet(`${base}/ok`, { timeoutMs: 5000 });
    expect([answer.status, answer.ok, answer.text]).toEqual([200, true, '{"status":"ALIVE"}']);
  });

  it.each(['/silent', '/half'])(
    'should give up at its deadline with a retryable WAIT_TIMEOUT on %s',
    async (path) => {
      const started = Date.now();
      const error = await httpGet(`${base}${path}`, { timeoutMs: 300 }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(SrsError);
      expect((error as SrsError).code).toBe('WAIT_TIMEOUT');
      expect((error as SrsError).retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(3000);
    },
  );

  it('should stop with ABORTED when its signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(
      httpGet(`${base}/silent`, { timeoutMs: 10_000, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
