import { wideLines, withoutLiterals } from './check-width.js';

const long = (prefix: string): string => `${prefix}${'x'.repeat(120)}`;

describe('the width check', () => {
  it('should find code wider than 100 characters, and let a long string or pattern be', () => {
    expect(wideLines(`const a = 1;\n${long('const b = ')};\n`, 'ts')).toEqual([2]);
    expect(wideLines(`  const message = '${'m'.repeat(120)}';`, 'ts')).toEqual([]);
    expect(wideLines(`    /^${'a'.repeat(120)}$/.test(value)`, 'ts')).toEqual([]);
    expect(wideLines(`// ${'c'.repeat(120)}`, 'ts')).toEqual([1]);
  });

  it('should read the lines of a template literal over several lines as text', () => {
    expect(wideLines(`const program = \`\n${long('library(x); ')}\n\`;`, 'ts')).toEqual([]);
  });

  it("should read a shell heredoc's lines as text, and R strings as strings", () => {
    expect(wideLines(`cat <<-EOM\n${long('\t')}\nEOM\n${long('echo ')}`, 'sh')).toEqual([4]);
    expect(wideLines(`stop("${'s'.repeat(120)}")`, 'r')).toEqual([]);
    expect(withoutLiterals(`f("abc", 'd') + g`, 'r')).toBe(`f("", "") + g`);
  });
});
