import { parse } from 'yaml';
import { clusterConfigSchema } from './cluster-config.js';
import { SrsError, stackSecretNames } from '@spark-rstudio-shiny/core';
import { renderStackFile, stackVariables, substituteVariables } from './render-stack-file.js';

interface Rendered {
  services: Record<
    string,
    {
      image: string;
      ports?: { target: number; published: number; mode: string }[];
      environment: Record<string, string>;
      deploy: {
        replicas: number;
        endpoint_mode: string;
        resources: { limits: { cpus: string; memory: string } };
      };
    }
  >;
  networks: Record<string, { driver: string; attachable: boolean }>;
  volumes: Record<string, unknown>;
}

type WithSecrets = Rendered & {
  services: Record<string, { secrets: { source: string; mode?: number }[] }>;
  secrets: Record<string, { name?: string }>;
};

describe('renderStackFile', () => {
  it('should render the shipped stack file from validated options', async () => {
    const config = clusterConfigSchema.parse({
      stackName: 'demo',
      image: 'my/img:1',
      workers: 3,
      worker: { cores: 2, memory: '3g' },
      ports: { rstudio: null, jupyter: 18888 },
    });
    const text = await renderStackFile(config);
    expect(text).not.toMatch(/\$\{/);
    const stack = parse(text) as Rendered;
    expect(stack.services.master?.image).toBe('my/img:1');
    expect(stack.services.worker?.deploy.replicas).toBe(3);
    expect(stack.services.worker?.deploy.endpoint_mode).toBe('dnsrr');
    expect(stack.services.worker?.deploy.resources.limits).toEqual({ cpus: '2', memory: '3g' });
    expect(stack.services.worker?.environment).toMatchObject({
      SPARK_ROLE: 'worker',
      SPARK_WORKER_CORES: '2',
      SPARK_WORKER_MEMORY: '2048m',
    });
    // The plain port asked for, and the front door (on by default).
    expect(stack.services.master?.ports).toEqual([
      { target: 8888, published: 18888, protocol: 'tcp', mode: 'host' },
      { target: 8443, published: 8443, protocol: 'tcp', mode: 'host' },
    ]);
    expect(stack.networks.spark).toEqual({ driver: 'overlay', attachable: true });
    expect(Object.keys(stack.volumes).sort()).toEqual([
      'data',
      'home',
      'master-work',
      'shiny-apps',
      'spark-events',
      'spark-work',
    ]);
    // The data volume is the same /data in the head and in every worker.
    expect((stack.services.master as unknown as { volumes: string[] }).volumes).toContain(
      'data:/data',
    );
    expect((stack.services.worker as unknown as { volumes: string[] }).volumes).toContain(
      'data:/data',
    );
  });

  it('should publish the front door only by default: nothing in clear', async () => {
    const stack = parse(await renderStackFile(clusterConfigSchema.parse({}))) as Rendered;
    expect(stack.services.master?.ports).toEqual([
      { target: 8443, published: 8443, protocol: 'tcp', mode: 'host' },
    ]);
    expect(stack.services.worker?.ports ?? []).toEqual([]);
  });

  it('should publish neither Spark RPC (7077) nor the REST server (6066) by default', async () => {
    const text = await renderStackFile(clusterConfigSchema.parse({}));
    const stack = parse(text) as Rendered;
    const published = Object.values(stack.services).flatMap((service) =>
      (service.ports ?? []).map((port) => port.target),
    );
    expect(published).not.toContain(7077);
    expect(published).not.toContain(6066);
  });

  it("should give both services the stack's Spark secret and the master the IDE password, readable by root only", async () => {
    const stack = parse(
      await renderStackFile(
        clusterConfigSchema.parse({ stackName: 'demo', ports: { https: null } }),
      ),
    ) as Rendered & {
      services: Record<string, { secrets: { source: string; target: string; mode: number }[] }>;
      secrets: Record<string, { external: boolean; name: string }>;
    };
    expect(stack.services.master?.secrets).toEqual([
      { source: 'spark_auth_secret', target: 'spark_auth_secret', mode: 0o400 },
      { source: 'ide_password', target: 'ide_password', mode: 0o400 },
    ]);
    expect(stack.services.worker?.secrets).toEqual([
      { source: 'spark_auth_secret', target: 'spark_auth_secret', mode: 0o400 },
    ]);
    expect(stack.secrets).toEqual({
      spark_auth_secret: { external: true, name: 'demo_spark_auth_secret' },
      ide_password: { external: true, name: 'demo_ide_password' },
    });
    expect(stack.services.worker?.environment).toMatchObject({
      SPARK_AUTHENTICATE: 'true',
      SPARK_NETWORK_CRYPTO: 'false',
    });
    expect(stack.services.master?.environment).toMatchObject({
      SPARK_AUTHENTICATE: 'true',
      IDE_USER: 'analyst',
    });
  });

  it('should pin the head to its labelled node, and encrypt the overlay network on a swarm of more than one node', async () => {
    type Placed = {
      services: Record<string, { deploy: { placement?: { constraints: string[] } } }>;
      networks: Record<string, { driver_opts?: Record<string, string> }>;
    };
    const single = parse(
      await renderStackFile(clusterConfigSchema.parse({ stackName: 'demo' })),
    ) as Placed;
    expect(single.services['master']?.deploy.placement?.constraints).toEqual([
      'node.role == manager',
      'node.labels.org.spark-rstudio-shiny.head.demo == true',
    ]);
    expect(single.networks['spark']?.driver_opts).toBeUndefined();
    const three = parse(
      await renderStackFile(
        clusterConfigSchema.parse({ stackName: 'demo' }),
        undefined,
        undefined,
        { nodes: 3 },
      ),
    ) as Placed;
    expect(three.networks['spark']?.driver_opts).toEqual({ encrypted: 'true' });
    const off = parse(
      await renderStackFile(
        clusterConfigSchema.parse({ security: { encryptOverlay: false } }),
        undefined,
        undefined,
        { nodes: 3 },
      ),
    ) as Placed;
    expect(off.networks['spark']?.driver_opts).toBeUndefined();
  });

  it('should run the services on the image reference a deploy resolved, keeping the name it was asked for in a label', async () => {
    type Labelled = {
      services: Record<string, { image: string; deploy: { labels: Record<string, string> } }>;
    };
    const id = `sha256:${'ab'.repeat(32)}`;
    const stack = parse(
      await renderStackFile(
        clusterConfigSchema.parse({ stackName: 'demo', image: 'my/img:1' }),
        undefined,
        undefined,
        {
          nodes: 1,
          image: { reference: id, labels: { 'org.spark-rstudio-shiny.image-tag': 'my/img:1' } },
        },
      ),
    ) as Labelled;
    for (const service of ['master', 'worker']) {
      expect(stack.services[service]?.image).toBe(id);
      expect(stack.services[service]?.deploy.labels).toMatchObject({
        'org.spark-rstudio-shiny.image-tag': 'my/img:1',
      });
      expect(
        JSON.parse(
          stack.services[service]?.deploy.labels['org.spark-rstudio-shiny.config'] ?? '{}',
        ),
      ).toMatchObject({ image: 'my/img:1' });
    }
  });

  it("should keep a stack's RStudio-era password secret when the deploy names it", async () => {
    const stack = parse(
      await renderStackFile(clusterConfigSchema.parse({ stackName: 'demo' }), undefined, {
        ...stackSecretNames('demo'),
        idePassword: 'demo_rstudio_password',
      }),
    ) as { secrets: Record<string, { name: string }> };
    expect(stack.secrets['ide_password']).toEqual({
      external: true,
      name: 'demo_rstudio_password',
    });
  });

  it('should drop the Spark secret when authentication is off, and publish 7077 only when asked', async () => {
    const config = clusterConfigSchema.parse({
      ports: { sparkMaster: 17077, https: null },
      security: { sparkAuthentication: false, dangerouslyPublishUnauthenticatedMaster: true },
    });
    const stack = parse(await renderStackFile(config)) as Rendered & {
      services: Record<string, { secrets: { source: string }[] }>;
      secrets: Record<string, unknown>;
    };
    expect(stack.services.worker?.secrets).toEqual([]);
    expect(stack.services.master?.secrets.map((secret) => secret.source)).toEqual(['ide_password']);
    expect(Object.keys(stack.secrets)).toEqual(['ide_password']);
    expect(stack.services.worker?.environment).toMatchObject({ SPARK_AUTHENTICATE: 'false' });
    expect(stack.services.master?.ports?.find((port) => port.target === 7077)).toEqual({
      target: 7077,
      published: 17077,
      protocol: 'tcp',
      mode: 'host',
    });
  });

  it('should run Spark Connect only when a port is given: the head told, its token secret mounted, the port published', async () => {
    const off = parse(
      await renderStackFile(clusterConfigSchema.parse({ stackName: 'demo' })),
    ) as WithSecrets;
    expect(off.services.master?.environment).not.toHaveProperty('SPARK_CONNECT_PORT');
    expect(off.services.master?.secrets.map((secret) => secret.source)).not.toContain(
      'connect_token',
    );
    expect(off.secrets).not.toHaveProperty('connect_token');
    expect(off.services.master?.ports?.map((port) => port.target)).not.toContain(15002);
    const on = parse(
      await renderStackFile(
        clusterConfigSchema.parse({
          stackName: 'demo',
          ports: { sparkConnect: 25002, https: null },
        }),
      ),
    ) as WithSecrets;
    expect(on.services.master?.environment).toMatchObject({ SPARK_CONNECT_PORT: '15002' });
    expect(on.services.master?.secrets).toContainEqual({
      source: 'connect_token',
      target: 'connect_token',
      mode: 256,
    });
    expect(on.secrets['connect_token']).toEqual({ external: true, name: 'demo_connect_token' });
    expect(on.services.master?.ports?.find((port) => port.target === 15002)).toEqual({
      target: 15002,
      published: 25002,
      protocol: 'tcp',
      mode: 'host',
    });
    // The workers never get the token.
    expect(on.services.worker?.secrets.map((secret) => secret.source)).not.toContain(
      'connect_token',
    );
    // With the front door, the published port is the door's TLS one in front of Connect.
    const behindDoor = parse(
      await renderStackFile(clusterConfigSchema.parse({ ports: { sparkConnect: 25002 } })),
    ) as WithSecrets;
    expect(behindDoor.services.master?.ports?.find((port) => port.published === 25002)).toEqual({
      target: 15443,
      published: 25002,
      protocol: 'tcp',
      mode: 'host',
    });
  });

  it('should add the front door unless ports.https is null: its port, certificate, key and CA, and /spark for every UI link', async () => {
    const off = parse(
      await renderStackFile(
        clusterConfigSchema.parse({ stackName: 'demo', ports: { https: null } }),
      ),
    ) as WithSecrets;
    expect(off.services.master?.environment).not.toHaveProperty('FRONT_DOOR_PORT');
    expect(off.services.worker?.environment).not.toHaveProperty('SPARK_UI_PROXY_PATH');
    expect(Object.keys(off.secrets)).not.toContain('tls_key');
    const on = parse(
      await renderStackFile(
        clusterConfigSchema.parse({
          stackName: 'demo',
          host: 'srs.example',
          ports: { https: 9443 },
        }),
      ),
    ) as WithSecrets;
    expect(on.services.master?.environment).toMatchObject({
      FRONT_DOOR_PORT: '8443',
      SPARK_UI_PROXY_PATH: '/spark',
      SPARK_HISTORY_URL: 'https://srs.example:9443/history',
    });
    expect(on.services.worker?.environment).toMatchObject({ SPARK_UI_PROXY_PATH: '/spark' });
    expect(on.services.master?.secrets).toEqual(
      expect.arrayContaining([
        { source: 'tls_cert', target: 'tls_cert', mode: 0o444 },
        { source: 'tls_key', target: 'tls_key', mode: 0o400 },
        { source: 'tls_ca', target: 'tls_ca', mode: 0o444 },
      ]),
    );
    expect(on.secrets['tls_key']).toEqual({ external: true, name: 'demo_tls_key' });
    expect(on.services.master?.ports?.find((port) => port.target === 8443)).toEqual({
      target: 8443,
      published: 9443,
      protocol: 'tcp',
      mode: 'host',
    });
    // No worker gets the key.
    expect(on.services.worker?.secrets.map((secret) => secret.source)).not.toContain('tls_key');
  });

  it('should give Spark the worker memory minus 1 GiB, and at least 512m', () => {
    expect(
      stackVariables(clusterConfigSchema.parse({ worker: { memory: '4g' } }))
        .SRS_WORKER_SPARK_MEMORY,
    ).toBe('3072m');
    expect(
      stackVariables(clusterConfigSchema.parse({ worker: { memory: '1g' } }))
        .SRS_WORKER_SPARK_MEMORY,
    ).toBe('512m');
    // Executors must fit in a worker, or jobs wait for resources forever.
    expect(
      stackVariables(clusterConfigSchema.parse({ worker: { memory: '1g' } })).SRS_EXECUTOR_MEMORY,
    ).toBe('512m');
    expect(
      stackVariables(clusterConfigSchema.parse({ worker: { memory: '4g' } })).SRS_EXECUTOR_MEMORY,
    ).toBe('1024m');
  });
});

describe('substituteVariables', () => {
  it('should use the given value, then the default', () => {
    expect(substituteVariables('a-${A}-${B:-two}', { A: 'one' })).toBe('a-one-two');
  });

  it("should write a value's $ as $$, so that docker stack deploy does not expand it again", () => {
    expect(substituteVariables('${A}', { A: 'x$HOME${PATH}' })).toBe('x$$HOME$${PATH}');
  });

  it('should fail on a variable with neither value nor default', () => {
    expect(() => substituteVariables('${MISSING}', {})).toThrow(SrsError);
  });
});
