import { parse } from 'yaml';
import { clusterConfigSchema } from './cluster-config.js';
import { renderComposeFile } from './render-compose-file.js';

interface ComposeDocument {
  version: string;
  services: Record<
    string,
    {
      image: string;
      ports?: string[];
      volumes: string[];
      cpus?: number;
      mem_limit?: string;
      scale?: number;
      restart: string;
      labels: Record<string, string>;
      deploy?: unknown;
      secrets?: unknown;
      environment: Record<string, string>;
    }
  >;
  networks: Record<string, { driver: string }>;
  volumes: Record<string, unknown>;
  secrets?: unknown;
}

const secretFiles = {
  sparkAuth: '/state/demo/secrets/spark_auth_secret',
  idePassword: '/state/demo/secrets/ide_password',
  tlsCert: '/state/demo/secrets/tls_cert',
  tlsKey: '/state/demo/secrets/tls_key',
  tlsCa: '/state/demo/secrets/tls_ca',
};

describe('renderComposeFile', () => {
  it("should map Swarm's notions to Compose's: limits, worker count, secret files, a bridge network, short port syntax", async () => {
    const config = clusterConfigSchema.parse({
      orchestrator: 'compose',
      stackName: 'demo',
      workers: 3,
      worker: { cores: 2, memory: '3g' },
      ports: { rstudio: null, jupyter: 18888 },
    });
    const document = parse(
      await renderComposeFile(config, {
        secretFiles,
        image: {
          reference: `sha256:${'ab'.repeat(32)}`,
          labels: { 'org.spark-rstudio-shiny.image-tag': 'spark-rstudio-shiny:4.2.1' },
        },
      }),
    ) as ComposeDocument;
    expect(document.version).toBe('2.4');
    const { master, worker } = document.services;
    expect(master?.deploy).toBeUndefined();
    expect(master?.secrets).toBeUndefined();
    expect(document.secrets).toBeUndefined();
    expect(master?.image).toBe(`sha256:${'ab'.repeat(32)}`);
    // The plain port asked for, and the front door (on by default).
    expect(master?.ports).toEqual(['18888:8888', '8443:8443']);
    expect(master?.volumes).toContain(`${secretFiles.tlsKey}:/run/secrets/tls_key:ro`);
    expect(worker?.volumes.some((volume) => volume.includes('tls_key'))).toBe(false);
    expect(master?.volumes).toEqual(
      expect.arrayContaining([
        'data:/data',
        `${secretFiles.sparkAuth}:/run/secrets/spark_auth_secret:ro`,
        `${secretFiles.idePassword}:/run/secrets/ide_password:ro`,
      ]),
    );
    expect(worker?.volumes).toEqual(
      expect.arrayContaining([`${secretFiles.sparkAuth}:/run/secrets/spark_auth_secret:ro`]),
    );
    expect(worker?.volumes.some((volume) => volume.includes('ide_password'))).toBe(false);
    expect(worker).toMatchObject({ cpus: 2, mem_limit: '3g', scale: 3, restart: 'unless-stopped' });
    expect(master).toMatchObject({ cpus: 2, mem_limit: '4g', restart: 'unless-stopped' });
    expect(master?.scale).toBeUndefined();
    expect(worker?.environment).toMatchObject({
      SPARK_ROLE: 'worker',
      SPARK_MASTER_URL: 'spark://master:7077',
      SPARK_WORKER_CORES: '2',
    });
    expect(document.networks).toEqual({ spark: { driver: 'bridge' } });
    expect(Object.keys(document.volumes).sort()).toEqual([
      'data',
      'home',
      'master-work',
      'shiny-apps',
      'spark-events',
      'spark-work',
    ]);
    expect(JSON.parse(master?.labels['org.spark-rstudio-shiny.config'] ?? '{}')).toMatchObject({
      orchestrator: 'compose',
      stackName: 'demo',
      workers: 3,
    });
    expect(worker?.labels['org.spark-rstudio-shiny.image-tag']).toBe('spark-rstudio-shiny:4.2.1');
  });

  it('should leave the Spark secret out without authentication, and publish 7077 only when asked', async () => {
    const open = clusterConfigSchema.parse({
      orchestrator: 'compose',
      ports: { https: null },
      security: { sparkAuthentication: false },
    });
    const document = parse(
      await renderComposeFile(open, { secretFiles: { idePassword: secretFiles.idePassword } }),
    ) as ComposeDocument;
    expect(
      document.services.worker?.volumes.some((volume) => volume.includes('spark_auth_secret')),
    ).toBe(false);
    expect(document.services.master?.ports ?? []).not.toContain('7077:7077');
    const published = clusterConfigSchema.parse({
      orchestrator: 'compose',
      ports: { sparkMaster: 17077 },
    });
    expect(
      (parse(await renderComposeFile(published, { secretFiles })) as ComposeDocument).services
        .master?.ports,
    ).toContain('17077:7077');
  });

  it('should write every string quoted, so YAML 1.1 (docker-compose 1.29) reads what YAML 1.2 does, and escape $ in secret paths', async () => {
    // An IDE user named "yes" and ports that a YAML 1.1 reader would take for base-60 numbers.
    const config = clusterConfigSchema.parse({
      orchestrator: 'compose',
      security: { ideUser: 'yes' },
      ports: { jupyter: 18888, https: null },
    });
    const text = await renderComposeFile(config, {
      secretFiles: {
        sparkAuth: '/home/a$HOME/spark_auth_secret',
        idePassword: secretFiles.idePassword,
      },
    });
    const asYaml11 = parse(text, { version: '1.1' }) as ComposeDocument;
    expect(asYaml11).toEqual(parse(text));
    expect(asYaml11.services.master?.environment['IDE_USER']).toBe('yes');
    expect(asYaml11.services.master?.ports).toContain('18888:8888');
    // Compose reads $$ as one $: the path is the file's own, not $HOME expanded.
    expect(asYaml11.services.worker?.volumes).toContain(
      '/home/a$$HOME/spark_auth_secret:/run/secrets/spark_auth_secret:ro',
    );
  });

  it("should mount Spark Connect's token file and publish its port only when a port is given", async () => {
    const config = clusterConfigSchema.parse({
      orchestrator: 'compose',
      ports: { sparkConnect: 25002 },
    });
    const document = parse(
      await renderComposeFile(config, {
        secretFiles: { ...secretFiles, connectToken: '/state/demo/secrets/connect_token' },
      }),
    ) as ComposeDocument;
    expect(document.services.master?.volumes).toContain(
      '/state/demo/secrets/connect_token:/run/secrets/connect_token:ro',
    );
    // Through the front door (on by default), which speaks TLS in front of Connect's loopback port.
    expect(document.services.master?.ports).toContain('25002:15443');
    expect(document.services.master?.environment['SPARK_CONNECT_PORT']).toBe('15002');
    expect(document.services.worker?.volumes.join(' ')).not.toMatch(/connect_token/);
  });

  it('should refuse to render a service without the file of a secret it reads', async () => {
    await expect(
      renderComposeFile(clusterConfigSchema.parse({ orchestrator: 'compose' }), {
        secretFiles: { idePassword: secretFiles.idePassword },
      }),
    ).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
      message: expect.stringMatching(/spark_auth_secret/),
    });
  });
});
