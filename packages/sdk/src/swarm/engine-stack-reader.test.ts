import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SrsError } from '@spark-rstudio-shiny/core';
import { RecordedDocker } from '@spark-rstudio-shiny/test-support';
import { EngineStackReader } from './engine-stack-reader.js';
import { CliStackReader } from './cli-stack-reader.js';

// Recorded from Docker 20.10's Engine API (GET /nodes, /services, /tasks) with a stack named
// srs-res-81cccba2 running (one worker task replaced earlier, so some tasks are shut down).
const fixture = (name: string): string =>
  readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8');
const STACK = 'srs-res-81cccba2';

/**
 * An engine stand-in on a unix socket that answers with the recorded documents and keeps every
 * request.
 */
async function recordedEngine(
  answers: Record<string, { status?: number; body: string }>,
): Promise<{ socket: string; requests: URL[]; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'srs-engine-'));
  const socket = join(dir, 'docker.sock');
  const requests: URL[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://docker');
    requests.push(url);
    const answer = answers[url.pathname] ?? { status: 404, body: '{"message":"page not found"}' };
    response
      .writeHead(answer.status ?? 200, { 'Content-Type': 'application/json' })
      .end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('EngineStackReader', () => {
  it("should read the stack's services by label, their tasks by service ID, and the nodes in the CLI's words", async () => {
    const engine = await recordedEngine({
      '/services': { body: fixture('api-services.json') },
      '/tasks': { body: fixture('api-tasks.json') },
      '/nodes': { body: fixture('api-nodes.json') },
    });
    try {
      const state = await new EngineStackReader(
        engine.socket,
        new CliStackReader(new RecordedDocker([])),
      ).read(STACK);
      expect(state.services.map((service) => service.Spec.Name).sort()).toEqual([
        `${STACK}_master`,
        `${STACK}_worker`,
      ]);
      expect(state.tasks).toHaveLength(5);
      expect(
        state.tasks.filter(
          (task) => task.Status.State === 'running' && task.DesiredState === 'running',
        ),
      ).toHaveLength(2);
      expect(
        state.tasks.every((task) =>
          task.Spec?.ContainerSpec?.Image?.startsWith('spark-rstudio-shiny:4.2.1'),
        ),
      ).toBe(true);
      expect(state.nodes).toEqual([
        {
          id: '4o3gcz9xzg7ilvb3vgb7rpdvd',
          hostname: 'vm',
          state: 'Ready',
          availability: 'Active',
          managerStatus: 'Leader',
        },
      ]);
      const services = engine.requests.find((url) => url.pathname === '/services');
      expect(JSON.parse(services?.searchParams.get('filters') ?? '{}')).toEqual({
        label: [`com.docker.stack.namespace=${STACK}`],
      });
      const tasks = engine.requests.find((url) => url.pathname === '/tasks');
      expect(
        (
          JSON.parse(tasks?.searchParams.get('filters') ?? '{}') as { service: string[] }
        ).service.sort(),
      ).toEqual(state.services.map((service) => service.ID).sort());
    } finally {
      await engine.close();
    }
  });

  it('should answer an empty state, without asking for tasks, for a stack that is not deployed', async () => {
    const engine = await recordedEngine({
      '/services': { body: '[]' },
      '/nodes': { body: fixture('api-nodes.json') },
    });
    try {
      const state = await new EngineStackReader(
        engine.socket,
        new CliStackReader(new RecordedDocker([])),
      ).read('absent');
      expect(state).toEqual({ services: [], tasks: [], nodes: [] });
      expect(engine.requests.map((url) => url.pathname)).not.toContain('/tasks');
    } finally {
      await engine.close();
    }
  });

  it("should report the engine's own message on a refusal that waiting cannot fix", async () => {
    const engine = await recordedEngine({
      '/services': { status: 400, body: '{"message":"invalid filter \'labl\'"}' },
      '/nodes': { body: '[]' },
    });
    try {
      const error = await new EngineStackReader(
        engine.socket,
        new CliStackReader(new RecordedDocker([])),
      )
        .services(STACK)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SrsError);
      expect(error).toMatchObject({
        code: 'DOCKER_COMMAND_FAILED',
        retryable: false,
        message: expect.stringMatching(/HTTP 400: invalid filter 'labl'/),
      });
    } finally {
      await engine.close();
    }
  });

  it('should read through the CLI from then on when no engine listens on the socket', async () => {
    const docker = new RecordedDocker([{ args: ['service', 'ls', '-q'], stdout: '' }]);
    const reader = new EngineStackReader(
      join(tmpdir(), 'no-such-dir', 'docker.sock'),
      new CliStackReader(docker),
    );
    await expect(reader.services(STACK)).resolves.toEqual([]);
    await expect(reader.services(STACK)).resolves.toEqual([]);
    expect(docker.calls).toEqual([
      ['service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${STACK}`],
      ['service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${STACK}`],
    ]);
  });
});
