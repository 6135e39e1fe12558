import { parse } from 'yaml';
import { clusterConfigSchema } from '../config/cluster-config.js';
import { SrsError } from '../errors/srs-error.js';
import { renderStackFile, stackVariables, substituteVariables } from './render-stack-file.js';

interface Rendered {
  services: Record<string, { image: string; ports?: { target: number; published: number; mode: string }[]; environment: Record<string, string>; deploy: { replicas: number; endpoint_mode: string; resources: { limits: { cpus: string; memory: string } } } }>;
  networks: Record<string, { driver: string; attachable: boolean }>;
  volumes: Record<string, unknown>;
}

describe('renderStackFile', () => {
  it('should render the shipped stack file from validated options', async () => {
    const config = clusterConfigSchema.parse({ stackName: 'demo', image: 'my/img:1', workers: 3, worker: { cores: 2, memory: '3g' }, ports: { rstudio: null } });
    const text = await renderStackFile(config);
    expect(text).not.toMatch(/\$\{/);
    const stack = parse(text) as Rendered;
    expect(stack.services.master?.image).toBe('my/img:1');
    expect(stack.services.worker?.deploy.replicas).toBe(3);
    expect(stack.services.worker?.deploy.endpoint_mode).toBe('dnsrr');
    expect(stack.services.worker?.deploy.resources.limits).toEqual({ cpus: '2', memory: '3g' });
    expect(stack.services.worker?.environment).toMatchObject({ SPARK_ROLE: 'worker', SPARK_WORKER_CORES: '2', SPARK_WORKER_MEMORY: '2048m' });
    expect(stack.services.master?.ports).toEqual([
      { target: 8080, published: 8080, protocol: 'tcp', mode: 'host' },
      { target: 3838, published: 3838, protocol: 'tcp', mode: 'host' },
    ]);
    expect(stack.networks.spark).toEqual({ driver: 'overlay', attachable: true });
    expect(Object.keys(stack.volumes).sort()).toEqual(['master-work', 'rstudio-home', 'shiny-apps', 'spark-work']);
  });

  it('should never publish Spark RPC (7077) or the REST server (6066)', async () => {
    const text = await renderStackFile(clusterConfigSchema.parse({}));
    const stack = parse(text) as Rendered;
    const published = Object.values(stack.services).flatMap((service) => (service.ports ?? []).map((port) => port.target));
    expect(published).not.toContain(7077);
    expect(published).not.toContain(6066);
  });

  it('should give Spark the worker memory minus 1 GiB, and at least 512m', () => {
    expect(stackVariables(clusterConfigSchema.parse({ worker: { memory: '4g' } })).SRS_WORKER_SPARK_MEMORY).toBe('3072m');
    expect(stackVariables(clusterConfigSchema.parse({ worker: { memory: '1g' } })).SRS_WORKER_SPARK_MEMORY).toBe('512m');
  });
});

describe('substituteVariables', () => {
  it('should use the given value, then the default, and leave comments alone', () => {
    expect(substituteVariables('a: ${A}\nb: ${B:-two}\n# ${NOT_A_VARIABLE}', { A: 'one' })).toBe('a: one\nb: two\n# ${NOT_A_VARIABLE}');
  });

  it('should fail on a variable with neither value nor default', () => {
    expect(() => substituteVariables('x: ${MISSING}', {})).toThrow(SrsError);
  });
});
