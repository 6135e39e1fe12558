import { RecordedDocker } from '@spark-rstudio-shiny/test-support';
import { clusterConfigSchema } from '@spark-rstudio-shiny/stack';
import { findPortConflicts, portInUseError, publishedPorts } from './port-conflicts.js';

/** Two services as `docker service inspect` shows them (Docker 20.10), trimmed to what is read. */
function recordedServices(): RecordedDocker {
  const service = (name: string, stack: string, ports: number[]): object => ({
    ID: `id-${name}`,
    Spec: {
      Name: name,
      Labels: { 'com.docker.stack.namespace': stack },
      EndpointSpec: {
        Mode: 'dnsrr',
        Ports: ports.map((port) => ({
          Protocol: 'tcp',
          TargetPort: 8080,
          PublishedPort: port,
          PublishMode: 'host',
        })),
      },
    },
  });
  return new RecordedDocker([
    { args: ['service', 'ls', '-q'], stdout: 'id-srs_master\nid-demo_master' },
    {
      args: ['service', 'inspect'],
      stdout: JSON.stringify([
        service('srs_master', 'srs', [8080, 3838, 8888]),
        service('demo_master', 'demo', [18080]),
      ]),
    },
  ]);
}

describe('findPortConflicts', () => {
  it('should name the other stack that publishes a port, and not count the stack itself (a redeploy)', async () => {
    const config = clusterConfigSchema.parse({
      stackName: 'demo',
      ports: { sparkUi: 18080, shiny: 3838, jupyter: null, rstudio: null },
    });
    const conflicts = await findPortConflicts(recordedServices(), config, { localEngine: false });
    expect(conflicts).toEqual([
      { option: 'ports.shiny', port: 3838, holder: 'stack srs (service srs_master)' },
    ]);
    expect(portInUseError(conflicts)).toMatchObject({
      code: 'PORT_IN_USE',
      message:
        "cannot publish the stack's ports: port 3838 (ports.shiny) is taken by stack srs (service srs_master)",
    });
  });

  it('should list only the ports the configuration publishes', () => {
    expect(publishedPorts(clusterConfigSchema.parse({}))).toEqual([
      { option: 'ports.https', port: 8443 },
    ]);
    const config = clusterConfigSchema.parse({ ports: { https: null, jupyter: 8888 } });
    expect(publishedPorts(config)).toEqual([{ option: 'ports.jupyter', port: 8888 }]);
  });
});
