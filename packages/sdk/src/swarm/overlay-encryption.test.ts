import { SrsError } from '@spark-rstudio-shiny/core';
import { RecordedDocker } from '@spark-rstudio-shiny/test-support';
import { ensureOverlayEncryption } from './overlay-encryption.js';

// `docker network inspect --format '{{json .Options}}'` of an overlay made by `docker stack deploy`
// on Docker 20.10 (recorded): unencrypted, and with `driver_opts: { encrypted: "true" }`.
const CLEAR = '{"com.docker.network.driver.overlay.vxlanid_list":"4097"}';
const ENCRYPTED = '{"com.docker.network.driver.overlay.vxlanid_list":"4098","encrypted":"true"}';
const MISSING = new SrsError({
  code: 'DOCKER_COMMAND_FAILED',
  message: 'docker network inspect … failed: Error: No such network: demo_spark',
  stderr: 'Error: No such network: demo_spark',
});

describe('ensureOverlayEncryption', () => {
  it('should leave a stack without a network, or with one as configured, alone', async () => {
    await expect(
      ensureOverlayEncryption(
        new RecordedDocker([{ args: ['network', 'inspect'], error: MISSING }]),
        'demo',
        true,
      ),
    ).resolves.toBe('absent');
    await expect(
      ensureOverlayEncryption(
        new RecordedDocker([{ args: ['network', 'inspect'], stdout: ENCRYPTED }]),
        'demo',
        true,
      ),
    ).resolves.toBe('as-configured');
    await expect(
      ensureOverlayEncryption(
        new RecordedDocker([{ args: ['network', 'inspect'], stdout: CLEAR }]),
        'demo',
        false,
      ),
    ).resolves.toBe('as-configured');
  });

  it('should remove an unencrypted network no service uses, so the deploy makes it anew, encrypted', async () => {
    const docker = new RecordedDocker([
      { args: ['network', 'inspect'], stdout: CLEAR },
      { args: ['service', 'ls'], stdout: '' },
      { args: ['network', 'rm'] },
    ]);
    await expect(ensureOverlayEncryption(docker, 'demo', true)).resolves.toBe('removed-to-encrypt');
    expect(docker.calls.at(-1)).toEqual(['network', 'rm', 'demo_spark']);
  });

  it("should refuse, naming the fix, when the stack's services use the unencrypted network", async () => {
    const docker = new RecordedDocker([
      { args: ['network', 'inspect'], stdout: CLEAR },
      { args: ['service', 'ls'], stdout: 'ux8jlbjkdtlq\nvp4p949ib8og' },
    ]);
    await expect(ensureOverlayEncryption(docker, 'demo', true)).rejects.toMatchObject({
      code: 'OVERLAY_NOT_ENCRYPTED',
      message: expect.stringMatching(/demo_spark was made unencrypted/) as unknown,
      hint: expect.stringMatching(/srs down, then srs up/) as unknown,
    });
    expect(docker.calls.some((call) => call[0] === 'network' && call[1] === 'rm')).toBe(false);
  });
});
