import { z } from 'zod';
import { parseInput } from './parse-input.js';
import { SrsError } from './srs-error.js';

const schema = z.strictObject({
  workers: z.number().int().min(0),
  worker: z.strictObject({ memory: z.string().regex(/^\d+[mg]$/, 'must be a size like 2g') }),
});

describe('parseInput', () => {
  it('should expose every refused value on the error itself, with its field and reason', () => {
    let error: unknown;
    try {
      parseInput(schema, { workers: -1, worker: { memory: 'lots' } }, 'cluster configuration');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SrsError);
    expect(error).toMatchObject({
      code: 'INVALID_CONFIGURATION',
      issues: [
        { path: 'workers', message: expect.stringMatching(/>=\s*0/) as unknown },
        { path: 'worker.memory', message: 'must be a size like 2g' },
      ],
    });
    expect((error as SrsError).message).toMatch(
      /^invalid cluster configuration: workers: .*; worker\.memory: must be a size like 2g$/,
    );
  });

  it('should name the input itself when the value at the top is wrong', () => {
    expect(() => parseInput(z.string(), 3, 'stack name')).toThrow(
      expect.objectContaining({
        issues: [{ path: '', message: expect.any(String) as unknown }],
      }) as Error,
    );
  });

  it('should leave issues empty on errors that are not about input', () => {
    expect(new SrsError({ code: 'STACK_NOT_FOUND', message: 'no stack' }).issues).toEqual([]);
  });
});
