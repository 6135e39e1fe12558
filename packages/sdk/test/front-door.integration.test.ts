// The front door (ports.https): one TLS port with the IDE login in front of the Spark UIs, the
// history server and the Shiny apps, as a browser meets it from this host. Its certificate
// verifies only against the stack's own CA (from credentials()); without JupyterLab's login cookie
// every path but JupyterLab's login and the public demo app sends the browser to the login page,
// and nothing reaches Spark (a POST to the master's kill link is turned away at the door); with
// it, the master UI, a worker's page through the master's proxy and the history server answer,
// their links under the door's paths. Spark Connect is served through the door's TLS: pyspark-client
// from this host runs a job with the stack's token and CA, and fails without the CA. Nothing else
// is published but what the options ask.
import { randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SparkCluster } from '../src/index.js';
import {
  docker,
  ensureTestImage,
  keepStackLogs,
  uniqueName,
} from '@spark-rstudio-shiny/test-support';
import { connectClientPython, runConnectJob } from './python/connect-client.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request, trusting only `ca`; no redirect is followed. */
function fetchTls(
  url: string,
  options: { ca?: string; method?: string; cookies?: string; form?: Record<string, string> },
): Promise<Answer> {
  const body =
    options.form === undefined ? undefined : new URLSearchParams(options.form).toString();
  return new Promise((resolve, reject) => {
    const sent = request(
      url,
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        headers: {
          ...(options.cookies === undefined ? {} : { cookie: options.cookies }),
          ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        timeout: 30_000,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
      },
    );
    sent.on('timeout', () => sent.destroy(new Error(`${url}: no answer in 30 s`)));
    sent.on('error', reject);
    sent.end(body);
  });
}

/** The cookies an answer sets, as a Cookie header (name=value pairs). */
function cookiesOf(answer: Answer): string[] {
  const set = answer.headers['set-cookie'] ?? [];
  return (Array.isArray(set) ? set : [set]).map((line) => line.split(';')[0] as string);
}

describe('the front door', () => {
  const stackName = uniqueName('srs-door');
  const basePort = randomInt(20_000, 40_000);
  const door = `https://127.0.0.1:${basePort + 1}`;
  let cluster: SparkCluster;
  let ca = '';
  let password = '';
  let python = '';
  let scratch = '';

  /** Logs in through the door as a browser does; returns the cookies it then holds. */
  const logIn = async (secret: string): Promise<{ status: number; cookies: string }> => {
    const form = await fetchTls(`${door}/login`, { ca });
    const xsrf = cookiesOf(form).find((cookie) => cookie.startsWith('_xsrf=')) ?? '';
    const posted = await fetchTls(`${door}/login?next=%2Fspark%2F`, {
      ca,
      cookies: xsrf,
      form: { _xsrf: xsrf.slice('_xsrf='.length), password: secret },
    });
    return { status: posted.status, cookies: [xsrf, ...cookiesOf(posted)].join('; ') };
  };

  beforeAll(async () => {
    const [image, installed] = await Promise.all([ensureTestImage(), connectClientPython()]);
    python = installed;
    scratch = await mkdtemp(join(tmpdir(), 'srs-door-'));
    cluster = new SparkCluster({
      stackName,
      image,
      workers: 1,
      demo: true,
      ports: {
        sparkUi: basePort,
        shiny: null,
        jupyter: null,
        rstudio: null,
        sparkHistory: null,
        https: basePort + 1,
        sparkConnect: basePort + 2,
      },
    });
    await cluster.deploy({ timeoutMs: 300_000 });
    const credentials = await cluster.credentials();
    ca = credentials.frontDoor?.caCertificate ?? '';
    password = credentials.ide.password;
  });

  afterAll(async () => {
    await keepStackLogs(stackName);
    await cluster.remove({ purge: true, timeoutMs: 120_000 }).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  });

  it("should speak TLS with a certificate that verifies against the stack's CA only", async () => {
    expect(cluster.urls.frontDoor).toBe(`${door}/`);
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const trusted = await fetchTls(`${door}/login`, { ca });
    expect(trusted.status).toBe(200);
    expect(trusted.headers['strict-transport-security']).toMatch(/max-age=/);
    // The machine's usual trust store does not know the stack's CA.
    const untrusted = await fetchTls(`${door}/login`, {}).catch((error: unknown) => error);
    expect(untrusted).toMatchObject({ code: expect.stringMatching(/CERT|SIGNATURE/) });
    // Nothing but what the options ask is published: the Spark UI's port and the door's.
    const { stdout } = await docker.run([
      'service',
      'inspect',
      `${stackName}_master`,
      '--format',
      '{{json .Endpoint.Spec.Ports}}',
    ]);
    const published = (JSON.parse(stdout) as { PublishedPort: number }[])
      .map((port) => port.PublishedPort)
      .sort();
    expect(published).toEqual([basePort, basePort + 1, basePort + 2]);
  });

  it('should send a browser without the login to the login page, and let nothing through', async () => {
    for (const path of ['/spark/', '/spark/json/', '/history/', '/shiny/', '/shiny/other/']) {
      const answer = await fetchTls(`${door}${path}`, { ca });
      expect({ path, status: answer.status, location: answer.headers.location }).toEqual({
        path,
        status: 302,
        location: `/login?next=${path}`,
      });
    }
    // No anonymous request changes anything: the master's kill link is turned away at the door.
    const kill = await fetchTls(`${door}/spark/app/kill/?id=app-0&terminate=true`, {
      ca,
      method: 'POST',
    });
    expect(kill.status).toBe(302);
    // A wrong password gets no login either.
    const wrong = await logIn('not-the-password');
    const after = await fetchTls(`${door}/spark/`, { ca, cookies: wrong.cookies });
    expect(after.status).toBe(302);
  });

  it('should serve the public demo app without the login', async () => {
    const demo = await fetchTls(`${door}/shiny/spark-demo/`, { ca });
    expect(demo.status).toBe(200);
    expect(demo.body).toMatch(/shiny/i);
  });

  it('should serve the Spark UIs behind the login, their links under the door', async () => {
    const login = await logIn(password);
    expect(login.status).toBe(302);
    const master = await fetchTls(`${door}/spark/`, { ca, cookies: login.cookies });
    expect(master.status).toBe(200);
    expect(master.body).toMatch(/Spark Master at spark:\/\//);
    const json = JSON.parse(
      (await fetchTls(`${door}/spark/json/`, { ca, cookies: login.cookies })).body,
    ) as { aliveworkers: number; workers: { id: string; state: string }[] };
    expect(json.aliveworkers).toBe(1);
    const [worker] = json.workers;
    // The master links its worker through its proxy, under /spark/.
    expect(master.body).toContain(`href="/spark/proxy/${worker?.id}`);
    const workerPage = await fetchTls(`${door}/spark/proxy/${worker?.id}/`, {
      ca,
      cookies: login.cookies,
    });
    expect(workerPage.status).toBe(200);
    expect(workerPage.body).toContain(`Spark Worker at`);
    // Its styles and scripts come through the door too (Spark serves them from the master).
    expect(workerPage.body).toMatch(/(src|href)="\/spark\/static\/webui\.css"/);
    const history = await fetchTls(`${door}/history/`, { ca, cookies: login.cookies });
    expect(history.status).toBe(200);
    expect(history.body).toMatch(/History Server/);
    expect(history.body).toMatch(/(src|href)="\/history\/static\//);
    // JupyterLab itself, under the same login.
    const me = await fetchTls(`${door}/api/me`, { ca, cookies: login.cookies });
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body)).toMatchObject({ identity: { username: expect.any(String) } });
  });

  it("should serve Spark Connect over TLS with the stack's CA and token", async () => {
    const info = await cluster.connectInfo();
    expect(info.url).toBe(`sc://127.0.0.1:${basePort + 2}/;use_ssl=true;token=${info.token}`);
    expect(info.caCertificate).toBe(ca);
    const caFile = join(scratch, 'ca.pem');
    await writeFile(caFile, ca);
    const result = await runConnectJob(python, info.url, {
      GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: caFile,
    });
    // 0 + 1 + … + 999999, computed here.
    expect(result).toMatchObject({ total: (999_999 * 1_000_000) / 2 });
    // Without the CA the client does not trust the door.
    const untrusted = await runConnectJob(python, info.url);
    expect(untrusted.total).toBeUndefined();
    expect(untrusted.message).toMatch(/certificate|SSL|handshake|UNAVAILABLE/i);
  });
});
