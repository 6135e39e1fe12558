// Every string option that reaches the stack file, fed arbitrary text: either refused before
// anything renders (INVALID_CONFIGURATION), or the rendered document differs from a plain one
// only in the field that option sets (same services, keys, volumes, networks, secrets, commands,
// capabilities), and a YAML 1.1 reader reads it as a YAML 1.2 one does.
import fc from 'fast-check';
import { parse } from 'yaml';
import { CONFIG_LABEL, parseInput, SrsError } from '@spark-rstudio-shiny/core';
import {
  clusterConfigSchema,
  type ClusterConfig,
  type ClusterConfigInput,
} from './cluster-config.js';
import { renderStackFile } from './render-stack-file.js';

type Document = Record<string, unknown>;

/** The option, how to set it, and the paths of the rendered document it may change. */
interface StringOption {
  name: string;
  set: (value: string) => ClusterConfigInput;
  plain: string;
  /** Values of the option's own shape, to reach the accepted branch often. */
  shaped: fc.Arbitrary<string>;
  fields: (document: Document) => void;
}

const services = (document: Document): Record<string, Record<string, unknown>> =>
  document['services'] as Record<string, Record<string, unknown>>;
const env = (document: Document, service: string): Record<string, unknown> =>
  services(document)[service]?.['environment'] as Record<string, unknown>;
const limits = (document: Document, service: string): Record<string, unknown> =>
  (
    (services(document)[service]?.['deploy'] as Record<string, unknown>)['resources'] as Record<
      string,
      Record<string, unknown>
    >
  )['limits'] as Record<string, unknown>;

const OPTIONS: StringOption[] = [
  {
    name: 'image',
    set: (image) => ({ image }),
    plain: 'spark-rstudio-shiny:4.2.1',
    shaped: fc.stringMatching(/^[a-z0-9.:/@_-]{1,40}$/),
    fields: (document) => {
      for (const service of Object.values(services(document))) service['image'] = '<image>';
    },
  },
  {
    name: 'stackName',
    set: (stackName) => ({ stackName }),
    plain: 'srs',
    shaped: fc.stringMatching(/^[a-z0-9_$-]{1,30}$/),
    fields: (document) => {
      for (const secret of Object.values(
        document['secrets'] as Record<string, Record<string, unknown>>,
      ))
        secret['name'] = '<secret name>';
      // The head's node label is named after the stack.
      const placement = (
        services(document)['master']?.['deploy'] as Record<string, Record<string, string[]>>
      )['placement'] as Record<string, string[]>;
      placement['constraints'] = (placement['constraints'] as string[]).map((constraint) =>
        constraint.replace(
          /^node\.labels\.org\.spark-rstudio-shiny\.head\.\S+ == true$/,
          '<head label>',
        ),
      );
    },
  },
  {
    name: 'security.ideUser',
    set: (ideUser) => ({ security: { ideUser } }),
    plain: 'analyst',
    shaped: fc.stringMatching(/^[a-z_$-][a-z0-9_-]{0,31}$/),
    fields: (document) => {
      env(document, 'master')['IDE_USER'] = '<user>';
    },
  },
  {
    name: 'worker.memory',
    set: (memory) => ({ worker: { memory } }),
    plain: '2g',
    shaped: fc.stringMatching(/^[0-9.]{1,5}[kmgKMG$]?$/),
    fields: (document) => {
      limits(document, 'worker')['memory'] = '<memory>';
      env(document, 'worker')['SPARK_WORKER_MEMORY'] = '<memory>';
      env(document, 'master')['SPARK_EXECUTOR_MEMORY'] = '<memory>';
    },
  },
  {
    name: 'master.memory',
    set: (memory) => ({ master: { memory } }),
    plain: '4g',
    shaped: fc.stringMatching(/^[0-9.]{1,5}[kmgKMG$]?$/),
    fields: (document) => {
      limits(document, 'master')['memory'] = '<memory>';
    },
  },
  {
    name: 'host',
    set: (host) => ({ host }),
    plain: '127.0.0.1',
    shaped: fc.stringMatching(/^[a-zA-Z0-9.:[\]$-]{1,30}$/),
    // The master links its history server at the host.
    fields: (document) => {
      env(document, 'master')['SPARK_HISTORY_URL'] = '<history url>';
    },
  },
];

/** The rendered document with the option's own fields and the options label blanked out. */
function normalized(text: string, option: StringOption): Document {
  const document = parse(text) as Document;
  for (const service of Object.values(services(document))) {
    const labels = (service['deploy'] as Record<string, Record<string, unknown>>)[
      'labels'
    ] as Record<string, unknown>;
    // The label holds every option as one JSON string: it cannot change the document's shape.
    expect(typeof labels[CONFIG_LABEL]).toBe('string');
    labels[CONFIG_LABEL] = '<options>';
  }
  option.fields(document);
  return document;
}

describe.each(OPTIONS)('the $name option, whatever text it holds', (option) => {
  let plain: Document;
  beforeAll(async () => {
    plain = normalized(
      await renderStackFile(clusterConfigSchema.parse(option.set(option.plain))),
      option,
    );
  });

  it('should be refused, or change only its own fields of the stack file', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 80 }),
          option.shaped,
          // YAML 1.1 reads these plain scalars as booleans, a number with underscores, base 60.
          fc.constantFrom(
            'x\n  command: [sh, -c, id]\n  cap_add: [ALL]',
            '$HOME',
            '${SRS_IMAGE}',
            'a:1\n',
            'yes',
            'on',
            'no',
            'off',
            'y',
            '1_000',
            'a:1:20',
            '1:20',
            '0o17',
          ),
        ),
        async (value) => {
          let config: ClusterConfig;
          try {
            // What new SparkCluster() and srs do with options: one INVALID_CONFIGURATION error.
            config = parseInput(clusterConfigSchema, option.set(value), 'cluster configuration');
          } catch (error) {
            expect(error).toBeInstanceOf(SrsError);
            expect((error as SrsError).code).toBe('INVALID_CONFIGURATION');
            return;
          }
          const rendered = await renderStackFile(config);
          expect(normalized(rendered, option)).toEqual(plain);
          // A YAML 1.1 reader (docker-compose 1.29's PyYAML) reads the very same values.
          expect(parse(rendered, { version: '1.1' })).toEqual(parse(rendered));
          // No value leaves a $ the CLI would expand.
          expect(rendered).not.toMatch(/(?<!\\$)\\$(?!\\$)[A-Za-z{]/);
        },
      ),
      { numRuns: 300 },
    );
  });
});
