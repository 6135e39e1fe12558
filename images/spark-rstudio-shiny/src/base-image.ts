import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { DockerCli, LABEL_PREFIX, SrsError, type DockerClient } from '@spark-rstudio-shiny/core';
import type { Buildx } from './buildx.js';
import { architectureOfEngine, platformOf, type ImageArchitecture } from './image-architecture.js';
import { stepsToStderr, type ImageProgressListener } from './image-progress.js';

/** How the base image came to be there. */
export type BaseImageOrigin = 'present' | 'pulled' | 'bootstrapped';

/**
 * The label a base image made here carries, with the version of the recipe below. A base made
 * by an older recipe (one without the slim settings, say) is made again; pulled images carry no
 * such label and are used as they are.
 */
export const BOOTSTRAP_LABEL = `${LABEL_PREFIX}.bootstrap`;
export const BOOTSTRAP_VERSION = '3';

/** Options of {@link ensureBaseImage}. */
export interface EnsureBaseImageOptions {
  /** The image the Dockerfile starts FROM, e.g. "debian:trixie-slim". */
  image: string;
  /** Docker client; default the real CLI. */
  docker?: DockerClient | undefined;
  /** Aborts the pull or the bootstrap. */
  signal?: AbortSignal | undefined;
  /** How long a pull may take before the offline path is taken. */
  pullTimeoutMs?: number | undefined;
  /**
   * Debian mirror for debootstrap; default $SRS_DEBIAN_MIRROR, then the machine's apt sources, then
   * deb.debian.org.
   */
  mirror?: string | undefined;
  /** Receives steps and tool output. */
  onProgress?: ImageProgressListener | undefined;
  /**
   * Another architecture than the engine's (its programs run under emulation): pulled for that
   * platform, or bootstrapped for it and imported through buildx, which records the platform.
   */
  architecture?: ImageArchitecture | undefined;
  /** buildx, needed to import a bootstrapped image of another architecture. */
  buildx?: Buildx | undefined;
}

/**
 * Makes sure `image` exists locally: already there, else pulled, else (no registry answers, as
 * here and on many enterprise networks) built from the Debian mirror with debootstrap and
 * `docker import`, under the same name so the Dockerfile stays unchanged.
 */
export async function ensureBaseImage(options: EnsureBaseImageOptions): Promise<BaseImageOrigin> {
  const docker = options.docker ?? new DockerCli();
  const onProgress = options.onProgress ?? stepsToStderr;
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  const present = await docker
    .run(
      [
        'image',
        'inspect',
        '--format',
        `{{.Comment}}|{{index .Config.Labels "${BOOTSTRAP_LABEL}"}}|{{.Architecture}}`,
        options.image,
      ],
      signalOption,
    )
    .then(
      (result) => {
        const [comment = '', recipe = '', architecture = ''] = result.stdout
          .replaceAll('<no value>', '')
          .split('|');
        // Made here (imported, or labelled by the recipe) by an older recipe; or of another
        // architecture.
        const madeHere = comment.startsWith('Imported from') || recipe !== '';
        const wrongArchitecture =
          options.architecture !== undefined &&
          architectureOfEngine(architecture) !== options.architecture;
        return {
          outdated: (madeHere && recipe !== BOOTSTRAP_VERSION) || wrongArchitecture,
          recipe: recipe === '' ? '1' : recipe,
        };
      },
      (error: unknown) => {
        if (error instanceof SrsError && error.code !== 'DOCKER_COMMAND_FAILED') throw error;
        return undefined;
      },
    );
  if (present !== undefined && !present.outdated) {
    onProgress({ kind: 'step', message: `Base image ${options.image}: present locally` });
    return 'present';
  }
  if (present !== undefined) {
    onProgress({
      kind: 'step',
      message: `Base image ${options.image}: made here by an older recipe (${present.recipe}); making it again`,
    });
    await bootstrapDebianImage({ ...options, docker, onProgress });
    return 'bootstrapped';
  }
  onProgress({ kind: 'step', message: `Base image ${options.image}: pulling…` });
  try {
    const platform =
      options.architecture === undefined ? [] : ['--platform', platformOf(options.architecture)];
    await docker.run(['pull', ...platform, options.image], {
      ...signalOption,
      timeoutMs: options.pullTimeoutMs ?? 120_000,
    });
    onProgress({ kind: 'step', message: `Base image ${options.image}: pulled` });
    return 'pulled';
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const reason = error instanceof SrsError ? error.message.split('\n')[0] : String(error);
    onProgress({
      kind: 'step',
      message: `Base image ${options.image}: pull failed (${reason}); bootstrapping it from the Debian mirror (offline path)`,
    });
  }
  await bootstrapDebianImage({ ...options, docker, onProgress });
  onProgress({
    kind: 'step',
    message: `Base image ${options.image}: bootstrapped with debootstrap and imported`,
  });
  return 'bootstrapped';
}

/** "debian:trixie-slim" → "trixie"; undefined for images debootstrap cannot make. */
export function debianSuiteOf(image: string): string | undefined {
  // Hub's library image, or one of its per-architecture repositories (arm64v8/debian,
  // amd64/debian).
  const match = /^(?:docker\.io\/)?(?:library\/|amd64\/|arm64v8\/)?debian:([a-z]+)(?:-slim)?$/.exec(
    image,
  );
  return match?.[1];
}

/** The first Debian mirror named in the machine's apt sources, if any. */
export async function mirrorFromAptSources(root = '/etc/apt'): Promise<string | undefined> {
  const files = [join(root, 'sources.list')];
  const dir = join(root, 'sources.list.d');
  for (const name of await readdir(dir).catch(() => [] as string[])) files.push(join(dir, name));
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const match = /^(?:deb\s+(?:\[[^\]]*\]\s+)?|URIs:\s*)(https?:\/\/\S+\/debian)\/?\s/m.exec(text);
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}

async function bootstrapDebianImage(
  options: EnsureBaseImageOptions & { docker: DockerClient; onProgress: ImageProgressListener },
): Promise<void> {
  const suite = debianSuiteOf(options.image);
  if (suite === undefined) {
    throw new SrsError({
      code: 'BASE_IMAGE_UNAVAILABLE',
      message: `${options.image} could not be pulled and is not a Debian image debootstrap can make`,
      hint: 'load it with `docker load`, make a registry reachable, or use a debian:<suite>-slim base',
    });
  }
  const mirror =
    options.mirror ??
    process.env.SRS_DEBIAN_MIRROR ??
    (await mirrorFromAptSources()) ??
    'http://deb.debian.org/debian';
  const work = await mkdtemp(join(tmpdir(), 'srs-base-'));
  const rootfs = join(work, 'rootfs');
  const tarball = join(work, 'rootfs.tar');
  const run = async (file: string, args: string[]): Promise<void> => {
    const child = execa(file, args, {
      ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
      all: true,
    });
    child.all?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n'))
        if (line.trim() !== '') options.onProgress({ kind: 'output', line });
    });
    await child;
  };
  try {
    const debootstrap = await prepareDebootstrap(options.image, run, options.onProgress);
    options.onProgress({
      kind: 'step',
      message: `debootstrap --variant=minbase ${suite} from ${mirror}…`,
    });
    const arch = options.architecture === undefined ? [] : [`--arch=${options.architecture}`];
    await run(debootstrap, [
      '--variant=minbase',
      ...arch,
      `--keyring=${DEBIAN_KEYRING}`,
      suite,
      rootfs,
      mirror,
    ]);
    await slimDown(rootfs);
    await run('tar', ['-C', rootfs, '-cf', tarball, '.']);
    if (options.architecture === undefined) {
      await options.docker.run(
        [
          'import',
          '--change',
          'CMD ["bash"]',
          '--change',
          `LABEL ${BOOTSTRAP_LABEL}=${BOOTSTRAP_VERSION}`,
          tarball,
          options.image,
        ],
        {
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        },
      );
    } else {
      await importForPlatform(tarball, work, options.image, options.architecture, options);
    }
  } catch (error) {
    if (error instanceof SrsError) throw error;
    const missing = (error as { code?: string }).code === 'ENOENT';
    throw new SrsError({
      code: 'BASE_IMAGE_UNAVAILABLE',
      message: missing
        ? `${options.image} could not be pulled and debootstrap is not installed`
        : `bootstrapping ${options.image} from ${mirror} failed: ${(error as Error).message.split('\n')[0]}`,
      hint: missing
        ? 'install debootstrap (apt-get install debootstrap) and run as root, or make a registry reachable'
        : 'check that the Debian mirror answers (SRS_DEBIAN_MIRROR) and that this runs as root',
      cause: error,
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * `docker import` records the engine's own architecture whatever the files are: a root file
 * system of another architecture becomes an image through buildx instead (FROM scratch, the
 * tarball added), which records the platform it was built for.
 */
async function importForPlatform(
  tarball: string,
  work: string,
  image: string,
  architecture: ImageArchitecture,
  options: EnsureBaseImageOptions,
): Promise<void> {
  if (options.buildx === undefined) {
    throw new SrsError({
      code: 'BASE_IMAGE_UNAVAILABLE',
      message: `importing an ${architecture} base image needs buildx`,
      hint: 'install the docker buildx plugin',
    });
  }
  await writeFile(
    join(work, 'Dockerfile'),
    `FROM scratch\nADD rootfs.tar /\nLABEL ${BOOTSTRAP_LABEL}=${BOOTSTRAP_VERSION}\nCMD ["bash"]\n`,
  );
  await writeFile(join(work, '.dockerignore'), '*\n!rootfs.tar\n!Dockerfile\n');
  await options.buildx.run(
    ['build', '--platform', platformOf(architecture), '--load', '-t', image, work],
    {
      timeoutMs: 30 * 60_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
  );
}

/** Debian's archive keyring: debootstrap checks the mirror's Release file against it. */
export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/**
 * debootstrap and Debian's keyring, needed only now that the base image could be neither found
 * nor pulled: found (also in /usr/sbin, which a normal user's PATH lacks), else installed from
 * Debian's archive when we are root on a Debian-like machine, else one error saying what to do.
 * debootstrap itself needs root, so nothing else can make the base image here.
 */
async function prepareDebootstrap(
  image: string,
  run: (file: string, args: string[]) => Promise<void>,
  onProgress: ImageProgressListener,
): Promise<string> {
  const unavailable = (why: string): SrsError =>
    new SrsError({
      code: 'BASE_IMAGE_UNAVAILABLE',
      message: `${image} is not on this engine, could not be pulled, and ${why}`,
      hint: `make a registry reachable (docker pull ${image}), load the image (docker load -i FILE), or run the build once as root so it can be made from the Debian mirror`,
    });
  if (process.getuid?.() !== 0)
    throw unavailable('making it from the Debian mirror (debootstrap) needs root');
  const find = (): string | undefined =>
    ['/usr/sbin/debootstrap', '/usr/bin/debootstrap', '/usr/local/sbin/debootstrap'].find((path) =>
      existsSync(path),
    );
  if (find() === undefined || !existsSync(DEBIAN_KEYRING)) {
    if (!existsSync('/usr/bin/apt-get'))
      throw unavailable(
        "debootstrap (with Debian's archive keyring) is not installed to make it from the Debian mirror",
      );
    onProgress({
      kind: 'step',
      message: `Installing debootstrap and debian-archive-keyring from Debian's archive (to make ${image})…`,
    });
    await run('apt-get', ['update', '-qq']);
    await run('env', [
      'DEBIAN_FRONTEND=noninteractive',
      'apt-get',
      'install',
      '-y',
      '-qq',
      '--no-install-recommends',
      'debootstrap',
      'debian-archive-keyring',
    ]);
  }
  const found = find();
  if (found === undefined) throw unavailable('debootstrap could not be installed');
  return found;
}

/**
 * What Docker's official slim Debian images do, for the same reasons: apt drops downloaded .deb
 * files and its caches after every install, no translations of package lists, and dpkg skips
 * documentation, manual pages and translations of programs. Then the bootstrap's own apt files go.
 */
async function slimDown(rootfs: string): Promise<void> {
  await writeFile(
    join(rootfs, 'etc/apt/apt.conf.d/docker-clean'),
    [
      'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
      'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
      'Dir::Cache::pkgcache "";',
      'Dir::Cache::srcpkgcache "";',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(rootfs, 'etc/apt/apt.conf.d/docker-no-languages'),
    'Acquire::Languages "none";\n',
  );
  await writeFile(
    join(rootfs, 'etc/dpkg/dpkg.cfg.d/docker-slim'),
    [
      'path-exclude /usr/share/doc/*',
      'path-include /usr/share/doc/*/copyright',
      'path-exclude /usr/share/man/*',
      'path-exclude /usr/share/info/*',
      'path-exclude /usr/share/locale/*',
      'path-include /usr/share/locale/locale.alias',
      '',
    ].join('\n'),
  );
  for (const dir of [
    'var/cache/apt/archives',
    'var/lib/apt/lists',
    'usr/share/man',
    'usr/share/info',
  ]) {
    for (const name of await readdir(join(rootfs, dir)).catch(() => [] as string[])) {
      if (name === 'partial' || name === 'lock') continue;
      await rm(join(rootfs, dir, name), { recursive: true, force: true });
    }
  }
  // Packages' scripts that register manual pages (update-alternatives for java) need the folders.
  for (const section of ['man1', 'man2', 'man3', 'man4', 'man5', 'man6', 'man7', 'man8'])
    await mkdir(join(rootfs, 'usr/share/man', section), { recursive: true });
  await rm(join(rootfs, 'var/cache/apt/pkgcache.bin'), { force: true });
  await rm(join(rootfs, 'var/cache/apt/srcpkgcache.bin'), { force: true });
  for (const name of await readdir(join(rootfs, 'usr/share/locale')).catch(() => [] as string[])) {
    if (name !== 'locale.alias')
      await rm(join(rootfs, 'usr/share/locale', name), { recursive: true, force: true });
  }
  for (const name of await readdir(join(rootfs, 'usr/share/doc')).catch(() => [] as string[])) {
    for (const entry of await readdir(join(rootfs, 'usr/share/doc', name)).catch(
      () => [] as string[],
    )) {
      if (entry !== 'copyright')
        await rm(join(rootfs, 'usr/share/doc', name, entry), { recursive: true, force: true });
    }
  }
}
