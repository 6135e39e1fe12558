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
  it('should show steps, downloads as a bar with sizes and rate, and the build steps as they start', () => {
    const { reporter, text } = capture('human');
    const render = renderImageProgress(reporter, '  ');
    render({ kind: 'step', message: 'Spark 4.2.1: fetching pyspark-4.2.1.tar.gz from pypi…' });
    render({
      kind: 'download',
      file: 'spark.tgz',
      receivedBytes: 100 * 1024 * 1024,
      totalBytes: 400 * 1024 * 1024,
    });
    render({
      kind: 'download',
      file: 'other.whl',
      receivedBytes: 3 * 1024 * 1024,
      totalBytes: undefined,
    });
    render({
      kind: 'output',
      line: '#9 [stage-1  4/14] RUN set -eux; bash /usr/local/lib/srs/install_supervisor.sh',
    });
    render({ kind: 'output', line: '#9 12.61 Setting up supervisor (4.2.5-3) ...' });
    render({ kind: 'output', line: '#5 [internal] load build context' });
    render({ kind: 'output', line: '#9 DONE 12.6s' });
    const lines = text()
      .split('\n')
      .filter((line) => line !== '');
    expect(lines[0]).toBe('  Spark 4.2.1: fetching pyspark-4.2.1.tar.gz from pypi…');
    expect(lines[1]).toMatch(
      /^ {2}spark\.tgz \[#####---------------\] 100\.0 of 400\.0 MB at \d+(\.\d)? MB\/s$/,
    );
    expect(lines[2]).toMatch(/^ {2}other\.whl: 3\.0 MB at /);
    expect(lines[3]).toBe(
      '  [stage-1  4/14] RUN set -eux; bash /usr/local/lib/srs/install_supervisor.sh',
    );
    expect(lines).toHaveLength(4);
  });

  it('should not repeat an unchanged progress line in a log file', () => {
    const { reporter, text } = capture('human');
    reporter.progress('waiting for Spark workers: 0/2 ALIVE');
    reporter.progress('waiting for Spark workers: 0/2 ALIVE');
    reporter.progress('waiting for Spark workers: 1/2 ALIVE');
    expect(text()).toBe(
      'waiting for Spark workers: 0/2 ALIVE\nwaiting for Spark workers: 1/2 ALIVE\n',
    );
  });

  it('should print no progress at all in json mode', () => {
    const { reporter, text } = capture('json');
    renderImageProgress(reporter)({ kind: 'step', message: 'Building…' });
    expect(text()).toBe('');
  });
});
