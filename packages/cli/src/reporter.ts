import { isSrsError } from '@spark-rstudio-shiny/sdk';

/** How much the CLI prints: progress for people, nothing but the result for scripts. */
export type OutputMode = 'human' | 'json' | 'quiet';

/** Writes progress to stderr (human mode only) and results to stdout. */
export class Reporter {
  constructor(
    readonly mode: OutputMode,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A step of a long command ("Deploying stack srs…"). */
  step(message: string): void {
    if (this.mode === 'human') this.err.write(`${message}\n`);
  }

  /** A line that replaces itself on a terminal (download bytes, worker counts). */
  progress(message: string): void {
    if (this.mode !== 'human') return;
    const tty = (this.err as NodeJS.WriteStream).isTTY === true;
    if (tty) {
      this.err.write(`\r\u001b[2K${message}`);
    } else if (message !== this.#lastProgress) {
      // In a log file a line per change is readable; a line per poll is not.
      this.err.write(`${message}\n`);
    }
    this.#lastProgress = message;
  }

  #lastProgress: string | undefined;

  /** Ends a run of progress lines. */
  endProgress(): void {
    if (this.mode === 'human' && (this.err as NodeJS.WriteStream).isTTY === true)
      this.err.write('\n');
  }

  /** The command's result: JSON in json mode, else the human text. */
  result(json: unknown, text: string): void {
    if (this.mode === 'json') this.out.write(`${JSON.stringify(json, null, 2)}\n`);
    else if (this.mode === 'human' || text !== '')
      this.out.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** One error: message and hint on stderr (and a JSON object on stdout in json mode). */
  error(error: unknown): void {
    // Messages that already start with "error:" (a tool's own line) are not prefixed twice.
    const message = (error instanceof Error ? error.message : String(error)).replace(
      /^(error:\s*)+/i,
      '',
    );
    const hint = isSrsError(error) ? error.hint : undefined;
    this.err.write(`error: ${message}\n${hint === undefined ? '' : `hint: ${hint}\n`}`);
    if (this.mode === 'json')
      this.out.write(
        `${JSON.stringify({ error: { code: isSrsError(error) ? error.code : 'UNEXPECTED', message, hint: hint ?? null } })}\n`,
      );
  }
}
