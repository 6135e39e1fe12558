import { z } from 'zod';
import {
  DEFAULT_IMAGE_TAG,
  DEFAULT_STACK_NAME,
  imageReferenceSchema,
  SERVICE_NAMES,
} from '@spark-rstudio-shiny/core';

/** Stack names become service, network and volume name prefixes: keep them to safe characters. */
export const stackNameSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,29}$/,
    'must be 1–30 lower-case letters, digits, "-" or "_", starting with a letter or digit',
  );

/** Number of Spark workers. */
export const workerCountSchema = z
  .number()
  .int('must be a whole number')
  .min(0, 'must not be negative')
  .max(200, 'must be at most 200');

/** Memory as Docker and Spark write it: 512m, 2g, 1.5g. */
export const memorySchema = z
  .string()
  .regex(/^\d+(\.\d+)?[kmg]$/i, { message: 'must be a size like 512m or 2g', abort: true })
  .refine((value) => memoryBytes(value) >= 512 * 1024 * 1024, {
    message: 'must be at least 512m',
    abort: true,
  });

/** A TCP port to publish on the host. */
export const portSchema = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be 1–65535')
  .max(65535, 'must be 1–65535');

/** CPUs as a Docker limit: 0.5, 1, 2. */
export const cpusSchema = z.number().positive('must be more than 0').max(256);

/** Parses "2g" / "512m" / "1.5g" into bytes. */
export function memoryBytes(value: string): number {
  const match = /^(\d+(?:\.\d+)?)([kmg])$/i.exec(value);
  if (match === null) return Number.NaN;
  const unit = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[
    (match[2] as string).toLowerCase() as 'k' | 'm' | 'g'
  ];
  return Math.round(Number(match[1]) * unit);
}

/** Accounts of the image itself (Debian's and the services'): never the IDE login. */
const SYSTEM_ACCOUNTS = [
  'root',
  'daemon',
  'bin',
  'sys',
  'sync',
  'games',
  'man',
  'lp',
  'mail',
  'news',
  'uucp',
  'proxy',
  'www-data',
  'backup',
  'list',
  'irc',
  '_apt',
  'nobody',
  'messagebus',
  'spark',
  'shiny',
  'rstudio-server',
];

/** A Linux login name for the IDEs (not one of the image's own accounts). */
export const loginNameSchema = z
  .string()
  .regex(
    /^[a-z_][a-z0-9_-]{0,31}$/,
    'must be a Linux user name: lower-case letters, digits, "_" or "-", at most 32',
  )
  .refine(
    (name) => !SYSTEM_ACCOUNTS.includes(name) && !name.startsWith('systemd-'),
    'must not be an account of the image (root, spark, shiny, daemon, www-data…)',
  );

/** Options of a cluster: which stack, and how big. */
export const clusterConfigSchema = z
  .strictObject({
    /** Stack name (the Compose project name in Compose mode). */
    stackName: stackNameSchema.default(DEFAULT_STACK_NAME),
    /**
     * What runs the stack: Docker Swarm (one or many nodes; the default), or Docker Compose on this
     * one host, for machines where Swarm mode is not wanted.
     */
    orchestrator: z
      .enum(['swarm', 'compose'], { error: 'must be "swarm" or "compose"' })
      .default('swarm'),
    /** Image of both roles. */
    image: imageReferenceSchema.default(DEFAULT_IMAGE_TAG),
    /** Spark workers to run. */
    workers: workerCountSchema.default(2),
    /**
     * Each worker container's limits; Spark is offered the cores and the memory minus 1 GiB for the
     * worker daemon.
     */
    worker: z
      .strictObject({
        /** Spark workers offer whole cores: 0.5 or 1.5 would never start. */
        cores: z
          .number()
          .int('must be a whole number of cores (Spark workers offer whole cores)')
          .min(1, 'must be at least 1')
          .max(256)
          .default(1),
        /** The worker daemon needs memory besides its executors: at least 1g. */
        memory: memorySchema
          .refine(
            (value) => memoryBytes(value) >= 1024 ** 3,
            'must be at least 1g (the worker daemon needs memory besides the executors)',
          )
          .default('2g'),
      })
      .prefault({}),
    /**
     * The head's container limits (Spark master, Shiny Server, the IDEs and the R and Python
     * sessions).
     */
    master: z
      .strictObject({ cpus: cpusSchema.default(2), memory: memorySchema.default('4g') })
      .prefault({}),
    /**
     * Host ports of the head (published in host mode on the master's node); null leaves one
     * unpublished. By default only the front door is published: everything else is reached
     * through it, over HTTPS and behind the IDE login. The plain HTTP ports are opt-in.
     */
    ports: z
      .strictObject({
        /**
         * The front door: HTTPS with the IDE login in front of JupyterLab (/), RStudio (/rstudio/),
         * the Spark UIs (/spark/, /history/) and the Shiny apps (/shiny/).
         */
        https: portSchema.nullable().default(8443),
        /** The Spark master UI in plain HTTP, without a login (opt-in). */
        sparkUi: portSchema.nullable().default(null),
        /** Shiny Server in plain HTTP (opt-in; its apps are public to whoever reaches it). */
        shiny: portSchema.nullable().default(null),
        /** JupyterLab in plain HTTP (opt-in; its password then travels in clear). */
        jupyter: portSchema.nullable().default(null),
        /** RStudio Server in plain HTTP (opt-in). */
        rstudio: portSchema.nullable().default(null),
        /** Spark's history server in plain HTTP (opt-in): the UIs of applications that ended. */
        sparkHistory: portSchema.nullable().default(null),
        /** Spark's RPC port 7077, for drivers outside the stack; unpublished by default. */
        sparkMaster: portSchema.nullable().default(null),
        /**
         * Spark Connect (gRPC with the stack's token; over TLS when the front door is on), for
         * clients outside the cluster; not started and unpublished by default.
         */
        sparkConnect: portSchema.nullable().default(null),
      })
      .prefault({}),
    /** Safe by default; see SECURITY.md. */
    security: z
      .strictObject({
        /** Spark RPC authentication with a shared secret (a Docker secret the SDK creates). */
        sparkAuthentication: z.boolean().default(true),
        /** AES encryption of Spark RPC (needs sparkAuthentication). */
        networkEncryption: z.boolean().default(false),
        /**
         * IPsec encryption of the stack's overlay network between nodes: "auto" turns it on when
         * the swarm has more than one node.
         */
        encryptOverlay: z.union([z.literal('auto'), z.boolean()]).default('auto'),
        /**
         * The IDE login (JupyterLab, RStudio Server); its password is a Docker secret the SDK
         * creates (see credentials()).
         */
        ideUser: loginNameSchema.default('analyst'),
        /**
         * Allows publishing port 7077 with authentication off: anyone who reaches it runs code on
         * the cluster.
         */
        dangerouslyPublishUnauthenticatedMaster: z.boolean().default(false),
      })
      .prefault({}),
    /**
     * Publish the bundled Spark demo app (public to whoever reaches the Shiny port, like every
     * Shiny app).
     */
    demo: z.boolean().default(true),
    /** Host the published ports are reached at from here. */
    host: z
      .string()
      .regex(
        /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[[0-9A-Fa-f:.]+\]$/,
        'must be a host name, an IPv4 address or an [IPv6] address',
      )
      .default('127.0.0.1'),
  })
  .superRefine((config, context) => {
    if (config.security.networkEncryption && !config.security.sparkAuthentication) {
      context.addIssue({
        code: 'custom',
        path: ['security', 'networkEncryption'],
        message: 'needs security.sparkAuthentication (encryption keys come from the shared secret)',
      });
    }
    if (
      config.ports.sparkMaster !== null &&
      !config.security.sparkAuthentication &&
      !config.security.dangerouslyPublishUnauthenticatedMaster
    ) {
      context.addIssue({
        code: 'custom',
        path: ['ports', 'sparkMaster'],
        message:
          'publishing the Spark master with authentication off lets anyone who reaches the port run code on the cluster (CVE-2018-17190); turn security.sparkAuthentication on, leave the port unpublished, or set security.dangerouslyPublishUnauthenticatedMaster',
      });
    }
  });

/** Cluster options as a caller gives them (everything optional). */
export type ClusterConfigInput = z.input<typeof clusterConfigSchema>;
/** Cluster options after validation and defaults. */
export type ClusterConfig = z.output<typeof clusterConfigSchema>;

/** The two services of the stack. */
export const serviceNameSchema = z.enum(SERVICE_NAMES, { error: 'must be "master" or "worker"' });
/** A service of the stack. */
export type ServiceName = z.infer<typeof serviceNameSchema>;
