// The srs command line as a user runs it: the real binary, the real engine and swarm.
import { randomBytes, randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { z } from 'zod';

const SRS = fileURLToPath(new URL('../dist/bin/srs.js', import.meta.url));
const stack = `srs-cli-${randomBytes(3).toString('hex')}`;
// Ports of this test's own, so it runs beside a stack `npm run up` made with the defaults.
const uiPort = randomInt(36_000, 40_000);
const jupyterPort = uiPort + 1;

function srs(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return execa('node', [SRS, ...args], { reject: false, timeout: 600_000 }).then((result) => ({
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  }));
}

/** The `srs status --json` contract other tools rely on. */
const statusContract = z.looseObject({
  spark: z.looseObject({ aliveWorkers: z.number() }),
  services: z.array(z.looseObject({ name: z.string(), running: z.number(), desired: z.number() })),
  urls: z.looseObject({
    sparkUi: z.string(),
    shiny: z.string().nullable(),
    jupyter: z.string().nullable(),
    rstudio: z.string().nullable(),
  }),
});

describe('srs usage errors', () => {
  it.each([
    [['nosuch'], "error: unknown command 'nosuch'"],
    [['scale', '-1'], 'error: the number of workers must be a whole number ≥ 0, got "-1"'],
    [['scale', 'abc'], 'error: the number of workers must be a whole number ≥ 0, got "abc"'],
    [['scale', '201'], 'error: the number of workers must be at most 200, got "201"'],
    [['logs', 'nosuch'], 'error: invalid option: <service> must be "master" or "worker"'],
    [['up', '--workers', 'two'], 'must be a whole number ≥ 0, got "two"'],
    // Each refusal names the flag typed, once, however many of the option's rules it breaks.
    [['up', '--worker-memory', '3q'], 'error: invalid option: --worker-memory must be a size like'],
    [['up', '--port-jupyter', '70000'], 'error: invalid option: --port-jupyter must be 1–65535'],
    [['up', '--ide-user', 'root'], '--ide-user must not be an account of the image'],
    [['down', '--timeout', '0'], 'must be a whole number of seconds ≥ 1, got "0"'],
    [['status', '--no-such-flag'], "error: unknown option '--no-such-flag'"],
    [
      ['certificate', '--cert', '/nonexistent.pem', '--key', '/nonexistent.pem'],
      'error: --cert /nonexistent.pem: not a readable file',
    ],
    [
      ['certificate', '--cert', '/etc/hostname', '--key', '/etc/hostname'],
      'error: invalid option: --cert must hold PEM certificates',
    ],
  ])('should exit 2 with one clear message for srs %j', async (args, message) => {
    const result = await srs(...args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toHaveLength(1);
    expect(result.stderr).toContain(message);
  });
});

describe('srs against a real swarm', () => {
  afterAll(async () => {
    await srs('down', '--purge', '--stack', stack);
  });

  it('should build the image with --json and report what it built', async () => {
    const result = await srs('build', '--json');
    expect(result.exitCode).toBe(0);
    const built = z
      .looseObject({
        tag: z.string(),
        imageId: z.string(),
        spark: z.looseObject({ version: z.string(), source: z.string() }),
        rstudio: z.string(),
      })
      .parse(JSON.parse(result.stdout));
    expect(built.tag).toBe('spark-rstudio-shiny:4.2.1');
    expect(built.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.stderr).toBe('');
  });

  it('should say that a stack that does not run has no URLs, and exit 1', async () => {
    const result = await srs('urls', '--json', '--stack', stack);
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        code: 'STACK_NOT_FOUND',
        message: `no stack named "${stack}" is deployed`,
        hint: expect.any(String) as unknown,
      },
    });
    expect(result.stderr).toBe(
      `error: no stack named "${stack}" is deployed\nhint: deploy it first (srs up), or name the right stack`,
    );
  });

  it('should bring the stack up with `up --workers 1` and port flags, and print the URLs and the IDE login', async () => {
    const result = await srs(
      'up',
      '--workers',
      '1',
      '--stack',
      stack,
      '--port-spark-ui',
      String(uiPort),
      '--port-shiny',
      'none',
      '--port-jupyter',
      String(jupyterPort),
      '--port-rstudio',
      'none',
      '--port-spark-history',
      'none',
      '--port-https',
      'none',
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Ready: 1 Spark worker(s) ALIVE');
    expect(result.stdout).toContain(`Spark UI      http://127.0.0.1:${uiPort}`);
    expect(result.stdout).toMatch(/^IDE login {2}analyst \/ \S{20}$/m);
    expect(result.stdout).toContain(`JupyterLab http://127.0.0.1:${jupyterPort}`);
    expect(result.stderr).toContain(`Deploying stack ${stack} with 1 worker(s)`);
  });

  it('should attach to the running stack: urls --json gives the ports it was deployed with', async () => {
    const result = await srs('urls', '--json', '--stack', stack);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      sparkUi: `http://127.0.0.1:${uiPort}`,
      shiny: null,
      jupyter: `http://127.0.0.1:${jupyterPort}`,
      rstudio: null,
      sparkHistory: null,
      sparkConnect: null,
      frontDoor: null,
    });
    const listed = z
      .array(z.looseObject({ stackName: z.string() }))
      .parse(JSON.parse((await srs('list', '--json')).stdout));
    expect(listed.map((entry) => entry.stackName)).toContain(stack);
  });

  it("should print the IDE login from the stack's secret with credentials --json", async () => {
    const result = await srs('credentials', '--json', '--stack', stack);
    expect(result.exitCode).toBe(0);
    const found = z
      .object({
        ide: z.object({
          user: z.literal('analyst'),
          password: z.string().regex(/^[A-Za-z0-9_-]{20}$/),
          jupyter: z.string().nullable(),
          rstudio: z.string().nullable(),
          rstudioInstalled: z.boolean(),
        }),
      })
      .parse(JSON.parse(result.stdout));
    expect(found.ide.jupyter).toBe(`http://127.0.0.1:${jupyterPort}`);
  });

  it('should print the status contract with --json and nothing else on stdout', async () => {
    const result = await srs('status', '--json', '--stack', stack);
    expect(result.exitCode).toBe(0);
    const status = statusContract.parse(JSON.parse(result.stdout));
    expect(status.spark.aliveWorkers).toBe(1);
    expect(status.services.map((service) => service.name).sort()).toEqual(['master', 'worker']);
    expect(status.urls.sparkUi).toBe(`http://127.0.0.1:${uiPort}`);
  });

  it('should scale to 2 and wait until both are ALIVE', async () => {
    const result = await srs('scale', '2', '--stack', stack);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('2 Spark worker(s) ALIVE');
    const status = statusContract.parse(
      JSON.parse((await srs('status', '--json', '--stack', stack)).stdout),
    );
    expect(status.spark.aliveWorkers).toBe(2);
  });

  it("should print the master's log lines with their process", async () => {
    const result = await srs('logs', 'master', '--tail', '200', '--stack', stack);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(
      /master\.1 \[spark-master\] .*Starting Spark master at spark:\/\//,
    );
  });

  it('should report every precondition with doctor --json', async () => {
    const result = await srs('doctor', '--json');
    const checks = z
      .array(
        z.looseObject({
          check: z.string(),
          status: z.enum(['ok', 'warn', 'fail']),
          detail: z.string(),
        }),
      )
      .parse(JSON.parse(result.stdout));
    expect(checks.find((check) => check.check === 'Docker engine')?.status).toBe('ok');
    expect(checks.find((check) => check.check === 'swarm')?.status).toBe('ok');
    expect(result.exitCode).toBe(checks.some((check) => check.status === 'fail') ? 1 : 0);
  });

  it('should take the stack down keeping its secrets, after which status fails with STACK_NOT_FOUND', async () => {
    const result = await srs('down', '--stack', stack);
    expect(result.exitCode).toBe(0);
    const after = await srs('status', '--stack', stack);
    expect(after.exitCode).toBe(1);
    expect(after.stderr).toContain(`error: no stack named "${stack}" is deployed`);
    const secrets = await execa('docker', ['secret', 'ls', '--format', '{{.Name}}']);
    expect(secrets.stdout.split('\n')).toEqual(
      expect.arrayContaining([`${stack}_spark_auth_secret`, `${stack}_ide_password`]),
    );
  });

  it('should delete volumes and secrets with down --purge', async () => {
    const result = await srs('down', '--purge', '--json', '--stack', stack);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ removed: stack, purged: true });
    const label = `label=com.docker.stack.namespace=${stack}`;
    expect((await execa('docker', ['volume', 'ls', '-q', '--filter', label])).stdout).toBe('');
    expect(
      (
        await execa('docker', [
          'secret',
          'ls',
          '-q',
          '--filter',
          `label=org.spark-rstudio-shiny.stack=${stack}`,
        ])
      ).stdout,
    ).toBe('');
  });
});
