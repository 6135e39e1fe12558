// The architectures the image is built for, under the names each tool uses for them.

/** An architecture the image is built for, as Debian and Docker's platforms name it. */
export type ImageArchitecture = 'amd64' | 'arm64';

/** Every architecture the image can be built for. */
export const IMAGE_ARCHITECTURES: readonly ImageArchitecture[] = ['amd64', 'arm64'];

/** Docker's platform for an architecture: "linux/amd64". */
export function platformOf(architecture: ImageArchitecture): string {
  return `linux/${architecture}`;
}

/**
 * The image architecture of an engine, from what `docker info` calls its machine ("x86_64",
 * "aarch64"; Docker Desktop on Apple silicon says "aarch64"); undefined for any other.
 */
export function architectureOfEngine(machine: string): ImageArchitecture | undefined {
  if (machine === 'x86_64' || machine === 'amd64') return 'amd64';
  if (machine === 'aarch64' || machine === 'arm64') return 'arm64';
  return undefined;
}
