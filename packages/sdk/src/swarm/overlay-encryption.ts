// The stack's overlay network follows the encryption setting as the swarm grows. `docker stack
// deploy` never changes an existing network's options, so a stack first deployed on one node
// (where `auto` leaves it unencrypted) would keep a clear overlay after nodes join. Before each
// deploy: an unencrypted network that should be encrypted is removed when no service uses it
// (the deploy makes it anew, encrypted), and refused, naming the fix, when services do.
import { SrsError, STACK_NAMESPACE_LABEL, type DockerClient } from '@spark-rstudio-shiny/core';

/** What {@link ensureOverlayEncryption} found. */
export type OverlayState = 'absent' | 'as-configured' | 'removed-to-encrypt';

/** The stack's overlay network, as the stack file names it. */
export function overlayNetworkName(stackName: string): string {
  return `${stackName}_spark`;
}

export async function ensureOverlayEncryption(
  docker: DockerClient,
  stackName: string,
  encrypt: boolean,
  signal?: AbortSignal,
): Promise<OverlayState> {
  const signalOption = signal === undefined ? {} : { signal };
  const network = overlayNetworkName(stackName);
  const options = await docker
    .run(['network', 'inspect', '--format', '{{json .Options}}', network], {
      timeoutMs: 30_000,
      ...signalOption,
    })
    .then(
      (result) =>
        (JSON.parse(result.stdout === '' || result.stdout === 'null' ? '{}' : result.stdout) ??
          {}) as Record<string, string>,
      (error: unknown) => {
        if (
          error instanceof SrsError &&
          error.code === 'DOCKER_COMMAND_FAILED' &&
          /No such network|not found/i.test(`${error.message}\n${error.stderr ?? ''}`)
        )
          return undefined;
        throw error;
      },
    );
  if (options === undefined) return 'absent';
  if (!encrypt || 'encrypted' in options) return 'as-configured';
  const services = (
    await docker.run(
      ['service', 'ls', '-q', '--filter', `label=${STACK_NAMESPACE_LABEL}=${stackName}`],
      { timeoutMs: 30_000, ...signalOption },
    )
  ).stdout;
  if (services.trim() !== '') {
    throw new SrsError({
      code: 'OVERLAY_NOT_ENCRYPTED',
      message: `the stack's overlay network ${network} was made unencrypted, encryption is on now (security.encryptOverlay: with "auto", once the swarm has more than one node), and Docker does not change an existing network`,
      hint: `take the stack down and up again (srs down, then srs up: volumes and secrets stay), which makes ${network} anew, encrypted; or set security.encryptOverlay to false and use security.networkEncryption (Spark's own AES) instead`,
    });
  }
  await docker.run(['network', 'rm', network], { timeoutMs: 60_000, ...signalOption });
  return 'removed-to-encrypt';
}
