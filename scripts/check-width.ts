// npm run lint:width — lines wider than 100 characters in the TypeScript, R and shell sources,
// read side by side in review. A line whose excess is a string, a heredoc's text or a regular
// expression (a message, a pattern) is allowed: breaking those hurts more than it helps. R and
// shell files may keep the long lines they had when the rule came in (width-baseline.json), and
// not one more: the count only goes down (`-- --update-baseline` writes the lower counts).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WIDTH = 100;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BASELINE = fileURLToPath(new URL('./width-baseline.json', import.meta.url));

type Language = 'ts' | 'r' | 'sh';

/** The line with the text of its string literals (and, in TypeScript, regular expressions) taken out. */
export function withoutLiterals(line: string, language: Language): string {
  let code = line.replace(/"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'/g, '""');
  if (language === 'ts') {
    code = code.replace(/`(?:\\.|[^`\\])*`/g, '``');
    code = code.replace(
      /(^\s*|[(,=:[!&|?{};]\s*)\/(?:\\.|\[(?:\\.|[^\]\\])*\]|[^/\\\n[])+\/[dgimsuy]*/g,
      '$1//',
    );
  }
  return code;
}

/** The lines of one file that are too wide, by number (1-based). */
export function wideLines(text: string, language: Language): number[] {
  const wide: number[] = [];
  let heredocEnd: string | undefined;
  // In TypeScript, a template literal over several lines (code of R or Python run elsewhere) is text.
  let inTemplate = false;
  for (const [index, line] of text.split('\n').entries()) {
    if (heredocEnd !== undefined) {
      if (line.trim() === heredocEnd) heredocEnd = undefined;
      continue;
    }
    const startedInTemplate = inTemplate;
    if (language === 'ts') {
      const backticks = (
        line
          .replace(/\\./g, '')
          .replace(/"(?:[^"\\])*"|'(?:[^'\\])*'/g, '')
          .match(/`/g) ?? []
      ).length;
      if (backticks % 2 === 1) inTemplate = !inTemplate;
      if (startedInTemplate) continue;
    }
    if (language === 'sh') {
      const heredoc = /<<-?\s*'?([A-Z]+)'?/.exec(line);
      if (heredoc?.[1] !== undefined) heredocEnd = heredoc[1];
    }
    if ([...line].length > WIDTH && [...withoutLiterals(line, language)].length > WIDTH)
      wide.push(index + 1);
  }
  return wide;
}

function languageOf(file: string): Language | undefined {
  if (/\.(ts|mts)$/.test(file)) return 'ts';
  if (/\.R$/.test(file)) return 'r';
  if (
    /\.sh$/.test(file) ||
    file === '.ci/run' ||
    /^images\/[^/]+\/rootfs\/usr\/local\/bin\//.test(file)
  )
    return 'sh';
  return undefined;
}

function main(): void {
  // Tracked files and new ones not ignored: a file about to be added is checked before it lands.
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => file !== '' && existsSync(join(ROOT, file)));
  const baseline = JSON.parse(readFileSync(BASELINE, 'utf8')) as Record<string, number>;
  const counts: Record<string, number> = {};
  const problems: string[] = [];
  for (const file of files) {
    const language = languageOf(file);
    if (language === undefined) continue;
    const wide = wideLines(readFileSync(`${ROOT}${file}`, 'utf8'), language);
    if (wide.length === 0) continue;
    counts[file] = wide.length;
    const allowed = language === 'ts' ? 0 : (baseline[file] ?? 0);
    if (wide.length > allowed) {
      problems.push(
        `${file}: ${wide.length} line(s) over ${WIDTH} characters (${allowed} allowed): lines ${wide.join(', ')}`,
      );
    }
  }
  if (process.argv.includes('--update-baseline')) {
    const lower = Object.fromEntries(
      Object.entries(counts).filter(
        ([file]) =>
          languageOf(file) !== 'ts' &&
          counts[file] !== undefined &&
          counts[file] <= (baseline[file] ?? Infinity),
      ),
    );
    writeFileSync(BASELINE, `${JSON.stringify(lower, null, 2)}\n`);
  }
  if (problems.length > 0) {
    process.stderr.write(
      `${problems.join('\n')}\nwrap them (a string or a pattern may stay long)\n`,
    );
    process.exitCode = 1;
    return;
  }
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  process.stdout.write(
    `width: no new line over ${WIDTH} characters (${total} older R and shell lines left)\n`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
