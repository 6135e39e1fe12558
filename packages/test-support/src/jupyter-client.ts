// A small client of JupyterLab's server, as a browser uses it: password login (with the XSRF
// cookie), the REST API, and kernels over their websocket channel (Jupyter messaging protocol);
// directly or through the front door (https, trusting the stack's CA).
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { requestUrl, type HttpAnswer } from './https-client.js';

/** What a kernel printed for one execute request, and whether it ended in an error. */
export interface Execution {
  stdout: string;
  stderr: string;
  error: string | undefined;
}

/** A logged-in session on one JupyterLab server. */
export class JupyterSession {
  readonly #base: string;
  readonly #ca: string | undefined;
  readonly #cookies = new Map<string, string>();

  private constructor(base: string, ca: string | undefined) {
    this.#base = base.replace(/\/+$/, '');
    this.#ca = ca;
  }

  /**
   * Logs in with the password; rejects when the server refuses it. `ca`: the only certificate an
   * https base is trusted with.
   */
  static async login(
    base: string,
    password: string,
    options: { ca?: string | undefined } = {},
  ): Promise<JupyterSession> {
    const session = new JupyterSession(base, options.ca);
    await session.#request('GET', '/login');
    const response = await session.#request(
      'POST',
      '/login',
      new URLSearchParams({ password, _xsrf: session.#cookies.get('_xsrf') ?? '' }).toString(),
      'application/x-www-form-urlencoded',
    );
    // A successful login redirects away from /login and sets the login cookie.
    if (response.status !== 302 || (response.headers.location ?? '').includes('/login')) {
      throw new Error(`login refused: HTTP ${response.status}`);
    }
    return session;
  }

  get cookieHeader(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async #request(
    method: string,
    path: string,
    body?: string,
    contentType = 'application/json',
  ): Promise<HttpAnswer> {
    const response = await requestUrl(`${this.#base}${path}`, {
      method,
      ca: this.#ca,
      headers: {
        cookie: this.cookieHeader,
        ...(body === undefined ? {} : { 'content-type': contentType }),
        ...(method === 'GET' ? {} : { 'x-xsrftoken': this.#cookies.get('_xsrf') ?? '' }),
      },
      ...(body === undefined ? {} : { body }),
    });
    for (const cookie of response.headers['set-cookie'] ?? []) {
      const [pair = ''] = cookie.split(';');
      const at = pair.indexOf('=');
      if (at > 0) this.#cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return response;
  }

  /** A REST call; rejects on an HTTP error. */
  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#request(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
    );
    const text = response.body;
    if (response.status < 200 || response.status > 299)
      throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * Starts a kernel of the given kernelspec (ir, python3) and returns a handle to run code in it.
   */
  async startKernel(name: string): Promise<Kernel> {
    const { id } = await this.api<{ id: string }>('POST', '/api/kernels', { name });
    const socket = new WebSocket(
      `${this.#base.replace(/^http/, 'ws')}/api/kernels/${id}/channels?session_id=${randomUUID()}`,
      {
        headers: { cookie: this.cookieHeader },
        ...(this.#ca === undefined ? {} : { ca: this.#ca }),
      },
    );
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new Kernel(id, socket, () => this.api('DELETE', `/api/kernels/${id}`));
  }
}

interface Message {
  header: { msg_id: string; msg_type: string };
  parent_header: { msg_id?: string };
  content: Record<string, unknown>;
  channel: string;
}

/** One running kernel. */
export class Kernel {
  constructor(
    readonly id: string,
    readonly socket: WebSocket,
    readonly shutdown: () => Promise<unknown>,
  ) {}

  /** Runs code and collects its output until the kernel is idle again (or the deadline passes). */
  execute(code: string, timeoutMs = 300_000): Promise<Execution> {
    const msgId = randomUUID();
    const result: Execution = { stdout: '', stderr: '', error: undefined };
    return new Promise<Execution>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.off('message', onMessage);
        reject(
          new Error(
            `the kernel did not finish within ${timeoutMs} ms; output so far:\n${result.stdout}\n${result.stderr}`,
          ),
        );
      }, timeoutMs);
      const onMessage = (data: WebSocket.RawData): void => {
        const message = JSON.parse(data.toString()) as Message;
        if (message.parent_header.msg_id !== msgId) return;
        const content = message.content;
        if (message.header.msg_type === 'stream') {
          if (content['name'] === 'stdout') result.stdout += String(content['text']);
          else result.stderr += String(content['text']);
        } else if (message.header.msg_type === 'error') {
          result.error = `${String(content['ename'])}: ${String(content['evalue'])}`;
        } else if (message.header.msg_type === 'status' && content['execution_state'] === 'idle') {
          clearTimeout(timer);
          this.socket.off('message', onMessage);
          resolve(result);
        }
      };
      this.socket.on('message', onMessage);
      this.socket.send(
        JSON.stringify({
          header: {
            msg_id: msgId,
            msg_type: 'execute_request',
            username: 'test',
            session: randomUUID(),
            date: new Date().toISOString(),
            version: '5.3',
          },
          parent_header: {},
          metadata: {},
          content: {
            code,
            silent: false,
            store_history: false,
            user_expressions: {},
            allow_stdin: false,
            stop_on_error: true,
          },
          channel: 'shell',
        }),
      );
    });
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.shutdown().catch(() => undefined);
  }
}
