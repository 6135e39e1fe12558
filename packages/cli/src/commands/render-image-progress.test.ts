import { PassThrough } from 'node:stream';
import { Reporter } from '../reporter.js';
import { renderImageProgress } from './render-image-progress.js';

function capture(mode: 'human' | 'json' | 'quiet'): { reporter: Reporter; text: () => string } {
  const err = new PassThrough();
  const chunks: string[] = [];
  err.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { reporter: new Reporter(mode, new PassThrough(), err), text: () => chunks.join('') };
}

describe('renderImageProgress', () => {
  it('should show steps, downloads with bytes, total and rate, and build steps', () => {
    const { reporter, text } = capture('human');
    const render = renderImageProgress(reporter, '  ');
    render({ kind: 'step', message: 'Spark 4.2.1: fetching pyspark-4.2.1.tar.gz from pypi…' });
    render({ kind: 'download', file: 'spark.tgz', receivedBytes: 10 * 1024 * 1024, totalBytes: 400 * 1024 * 1024 });
    render({ kind: 'output', line: 'Step 3/34 : COPY artifacts/spark/ /tmp/artifacts/spark/' });
    render({ kind: 'output', line: ' ---> Using cache' });
    const lines = text()
      .split('\n')
      .filter((line) => line !== '');
    expect(lines[0]).toBe('  Spark 4.2.1: fetching pyspark-4.2.1.tar.gz from pypi…');
    expect(lines[1]).toMatch(/^ {2}spark\.tgz: 10\.0 MB of 400\.0 MB at \d+(\.\d)? MB\/s$/);
    expect(lines[2]).toBe('  Step 3/34 : COPY artifacts/spark/ /tmp/artifacts/spark/');
    expect(lines).toHaveLength(3);
  });

  it('should not repeat an unchanged progress line in a log file', () => {
    const { reporter, text } = capture('human');
    reporter.progress('waiting for Spark workers: 0/2 ALIVE');
    reporter.progress('waiting for Spark workers: 0/2 ALIVE');
    reporter.progress('waiting for Spark workers: 1/2 ALIVE');
    expect(text()).toBe('waiting for Spark workers: 0/2 ALIVE\nwaiting for Spark workers: 1/2 ALIVE\n');
  });

  it('should print no progress at all in json mode', () => {
    const { reporter, text } = capture('json');
    renderImageProgress(reporter)({ kind: 'step', message: 'Building…' });
    expect(text()).toBe('');
  });
});
