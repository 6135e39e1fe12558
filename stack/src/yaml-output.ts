// How the renderers write YAML: every string double-quoted. A plain scalar means other things to
// other readers: docker-compose 1.29 reads YAML 1.1 (PyYAML), where `yes`, `on` and `no` are
// booleans, `1_000` is a thousand and `4.2:1:20` a number in base 60; quoted, a string is the
// same string to a YAML 1.1 and a 1.2 reader.
import { stringify } from 'yaml';

/** The document as YAML text that YAML 1.1 and 1.2 readers read alike. */
export function stringifyForEveryReader(document: unknown): string {
  return stringify(document, {
    defaultStringType: 'QUOTE_DOUBLE',
    defaultKeyType: 'PLAIN',
    lineWidth: 0,
  });
}
