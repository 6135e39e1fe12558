import { PassThrough } from 'node:stream';
import { SrsError } from '@spark-rstudio-shiny/sdk';
import { Reporter } from './reporter.js';

function capture(mode: 'human' | 'json'): {
  reporter: Reporter;
  out: () => string;
  err: () => string;
} {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as string[], err: [] as string[] };
  out.on('data', (chunk: Buffer) => chunks.out.push(chunk.toString()));
  err.on('data', (chunk: Buffer) => chunks.err.push(chunk.toString()));
  return {
    reporter: new Reporter(mode, out, err),
    out: () => chunks.out.join(''),
    err: () => chunks.err.join(''),
  };
}

describe('Reporter.error', () => {
  it('should print one "error:" prefix even when the message already starts with one', () => {
    const { reporter, err } = capture('human');
    reporter.error(
      new SrsError({
        code: 'DOCKER_DAEMON_UNREACHABLE',
        message: 'error: no Docker engine answers',
        hint: 'start it',
      }),
    );
    expect(err()).toBe('error: no Docker engine answers\nhint: start it\n');
  });

  it('should give scripts the code, message and hint as JSON on stdout', () => {
    const { reporter, out } = capture('json');
    reporter.error(
      new SrsError({
        code: 'STACK_NOT_FOUND',
        message: 'no stack named "x" is deployed',
        hint: 'srs up',
      }),
    );
    expect(JSON.parse(out())).toEqual({
      error: { code: 'STACK_NOT_FOUND', message: 'no stack named "x" is deployed', hint: 'srs up' },
    });
  });
});
