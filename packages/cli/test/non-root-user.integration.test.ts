// srs as most users run it: a normal account in the docker group, with a normal user's PATH (no
// /usr/sbin: no dockerd, no debootstrap), its own home and cache, against the engine that runs.
// The whole path (up, which builds the image as that user; scale; status; down) must work and
// install nothing; a user outside the docker group gets one message naming the group.
import { randomBytes, randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { z } from 'zod';
import { docker } from '@spark-rstudio-shiny/test-support';

const SRS = fileURLToPath(new URL('../dist/bin/srs.js', import.meta.url));
const NODE = process.execPath;
const suffix = randomBytes(3).toString('hex');
const member = `srs-member-${suffix}`;
const outsider = `srs-outsider-${suffix}`;
const stack = `srs-user-${suffix}`;
const uiPort = randomInt(40_000, 44_000);
const isRoot = process.getuid?.() === 0;

/**
 * Runs srs as `user`, as its login would: its home, its name, a normal user's PATH, nothing else.
 */
async function srsAs(
  user: string,
  ...args: string[]
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa(
    'runuser',
    [
      '-u',
      user,
      '--',
      'env',
      '-i',
      `HOME=/home/${user}`,
      `USER=${user}`,
      'LANG=C.UTF-8',
      'PATH=/usr/local/bin:/usr/bin:/bin',
      NODE,
      SRS,
      ...args,
    ],
    { reject: false, timeout: 900_000, cwd: '/' },
  );
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  };
}

// Creating accounts needs root; CI runs as root. Elsewhere the test says why it cannot run.
const describeAsRoot = isRoot ? describe : describe.skip;

describeAsRoot('srs as a non-root user', () => {
  beforeAll(async () => {
    await execa('useradd', ['--create-home', '--groups', 'docker', '--shell', '/bin/bash', member]);
    await execa('useradd', ['--create-home', '--shell', '/bin/bash', outsider]);
  });

  afterAll(async () => {
    await srsAs(member, 'down', '--purge', '--stack', stack).catch(() => undefined);
    await docker.run(['stack', 'rm', stack]).catch(() => undefined);
    for (const user of [member, outsider])
      await execa('userdel', ['--remove', user], { reject: false });
  });

  it('should refuse a user outside the docker group with one message naming the group, and change nothing', async () => {
    const result = await srsAs(outsider, 'up', '--stack', stack, '--workers', '1');
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toEqual([
      expect.stringMatching(/may not use the Docker engine/),
    ]);
    expect(result.stderr).toMatch(/^hint: .*docker group/m);
    const doctor = await srsAs(outsider, 'doctor', '--json');
    const checks = z
      .array(
        z.looseObject({
          check: z.string(),
          status: z.string(),
          detail: z.string(),
          fix: z.string().optional(),
        }),
      )
      .parse(JSON.parse(doctor.stdout));
    expect(checks.find((check) => check.check === 'docker CLI')).toMatchObject({ status: 'ok' });
    expect(checks.find((check) => check.check === 'Docker engine')).toMatchObject({
      status: 'fail',
      detail: 'running, but this user may not use its socket',
      fix: expect.stringMatching(/docker group/) as unknown,
    });
    expect(
      (
        await docker.run([
          'service',
          'ls',
          '-q',
          '--filter',
          `label=com.docker.stack.namespace=${stack}`,
        ])
      ).stdout,
    ).toBe('');
  });

  it('should build, deploy, scale, report and remove a cluster for a docker-group user, installing nothing', async () => {
    const up = await srsAs(
      member,
      'up',
      '--stack',
      stack,
      '--workers',
      '1',
      '--port-spark-ui',
      String(uiPort),
      '--port-shiny',
      'none',
      '--port-jupyter',
      'none',
      '--port-rstudio',
      'none',
      '--port-spark-history',
      'none',
      '--port-https',
      'none',
    );
    expect({ exitCode: up.exitCode, stderr: up.exitCode === 0 ? '' : up.stderr }).toEqual({
      exitCode: 0,
      stderr: '',
    });
    expect(up.stderr).toMatch(/engine answers: Docker /);
    expect(up.stderr).not.toMatch(/installing|starting dockerd|debootstrap/i);
    expect(up.stdout).toMatch(/^Ready: 1 Spark worker\(s\) ALIVE$/m);

    const scaled = await srsAs(member, 'scale', '2', '--stack', stack, '--json');
    expect(scaled.exitCode).toBe(0);
    expect(JSON.parse(scaled.stdout)).toMatchObject({ ready: true, spark: { aliveWorkers: 2 } });

    const status = await srsAs(member, 'status', '--stack', stack, '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({
      ready: true,
      urls: { sparkUi: `http://127.0.0.1:${uiPort}` },
    });

    const down = await srsAs(member, 'down', '--purge', '--stack', stack);
    expect(down.exitCode).toBe(0);
    expect(
      (
        await docker.run([
          'service',
          'ls',
          '-q',
          '--filter',
          `label=com.docker.stack.namespace=${stack}`,
        ])
      ).stdout,
    ).toBe('');
  });
});
