import {
  SrsError,
  type DockerClient,
  type DockerResult,
  type DockerRunOptions,
} from '@spark-rstudio-shiny/core';

/** One recorded docker call: the arguments it must match, and what the CLI answered. */
export interface RecordedCall {
  /** The call's arguments, or a prefix of them. */
  args: readonly string[];
  /** What the CLI printed. */
  stdout?: string;
  stderr?: string;
  /** Answer with this error instead (a failed command). */
  error?: SrsError;
  /** Answer only the first matching call; later calls go on to the next recording. */
  once?: boolean;
}

/**
 * A {@link DockerClient} that replays recorded CLI output, for unit tests of parsing and error
 * mapping. A call with no recording fails the test loudly; every call is kept in `calls`.
 */
export class RecordedDocker implements DockerClient {
  readonly calls: string[][] = [];
  readonly #recordings: RecordedCall[];

  constructor(recordings: RecordedCall[]) {
    this.#recordings = recordings;
  }

  run(args: readonly string[], _options?: DockerRunOptions): Promise<DockerResult> {
    this.calls.push([...args]);
    const index = this.#recordings.findIndex((candidate) =>
      candidate.args.every((arg, position) => args[position] === arg),
    );
    const recording = this.#recordings[index];
    if (recording === undefined)
      return Promise.reject(new Error(`no recorded output for: docker ${args.join(' ')}`));
    if (recording.once === true) this.#recordings.splice(index, 1);
    if (recording.error !== undefined) return Promise.reject(recording.error);
    return Promise.resolve({
      command: `docker ${args.join(' ')}`,
      stdout: (recording.stdout ?? '').trim(),
      stderr: (recording.stderr ?? '').trim(),
    });
  }

  /**
   * Replays the recording's stdout lines; a recording with both lines and an error fails after the
   * lines.
   */
  async *stream(args: readonly string[]): AsyncIterable<string> {
    this.calls.push([...args]);
    const index = this.#recordings.findIndex((candidate) =>
      candidate.args.every((arg, position) => args[position] === arg),
    );
    const recording = this.#recordings[index];
    if (recording === undefined)
      throw new Error(`no recorded output for: docker ${args.join(' ')}`);
    if (recording.once === true) this.#recordings.splice(index, 1);
    for (const line of `${recording.stdout ?? ''}\n${recording.stderr ?? ''}`.split('\n'))
      if (line.trim() !== '') yield line.trim();
    if (recording.error !== undefined) throw recording.error;
  }
}
