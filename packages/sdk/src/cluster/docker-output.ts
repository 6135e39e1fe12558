// Parsers of the docker CLI's structured output (JSON Lines from --format '{{json .}}', and
// inspect). Never humanized columns. Objects are loose: fields newer engines add pass through.
import { z } from 'zod';
import { SrsError } from '@spark-rstudio-shiny/core';

/** Parses JSON Lines output, one schema per line. */
export function parseJsonLines<Schema extends z.ZodType>(
  text: string,
  schema: Schema,
  what: string,
): z.output<Schema>[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => parseStructured(schema, JSON.parse(line), what));
}

/** Parses a JSON document (docker inspect). */
export function parseJson<Schema extends z.ZodType>(
  text: string,
  schema: Schema,
  what: string,
): z.output<Schema> {
  return parseStructured(schema, JSON.parse(text), what);
}

function parseStructured<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  what: string,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new SrsError({
    code: 'DOCKER_COMMAND_FAILED',
    message: `unexpected ${what} output from docker: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    hint: 'this Docker version prints something this SDK does not know; please report it with `docker version`',
    cause: result.error,
  });
}

/** `docker info --format '{{json .Swarm}}'`. */
export const swarmInfoSchema = z.looseObject({
  LocalNodeState: z.string(),
  ControlAvailable: z.boolean().optional(),
  NodeID: z.string().optional(),
  Nodes: z.number().optional(),
  Error: z.string().optional(),
});
export type SwarmInfo = z.infer<typeof swarmInfoSchema>;

/** One task from `docker inspect <task>`. */
export const taskSchema = z.looseObject({
  ID: z.string(),
  ServiceID: z.string(),
  NodeID: z.string().optional(),
  Slot: z.number().optional(),
  DesiredState: z.string(),
  CreatedAt: z.string().optional(),
  Status: z.looseObject({
    Timestamp: z.string(),
    State: z.string(),
    Message: z.string().optional(),
    Err: z.string().optional(),
    ContainerStatus: z
      .looseObject({ ContainerID: z.string().optional(), ExitCode: z.number().optional() })
      .optional(),
  }),
  Spec: z
    .looseObject({ ContainerSpec: z.looseObject({ Image: z.string().optional() }).optional() })
    .optional(),
  /** The task's addresses on each network it joined (CIDR: 10.0.1.5/24). */
  NetworksAttachments: z
    .array(z.looseObject({ Addresses: z.array(z.string()).optional() }))
    .optional(),
});
export type SwarmTask = z.infer<typeof taskSchema>;
export const tasksSchema = z.array(taskSchema);

/** One service from `docker service inspect`. */
export const serviceSchema = z.looseObject({
  ID: z.string(),
  Spec: z.looseObject({
    Name: z.string(),
    Labels: z.record(z.string(), z.string()).optional(),
    Mode: z.looseObject({ Replicated: z.looseObject({ Replicas: z.number() }).optional() }),
    TaskTemplate: z.looseObject({ ContainerSpec: z.looseObject({ Image: z.string() }) }),
  }),
  UpdateStatus: z
    .looseObject({
      State: z.string(),
      Message: z.string().optional(),
      StartedAt: z.string().optional(),
      CompletedAt: z.string().optional(),
    })
    .optional(),
});
export type SwarmService = z.infer<typeof serviceSchema>;
export const servicesSchema = z.array(serviceSchema);

/** One line of `docker node ls --format '{{json .}}'`. */
export const nodeLsLineSchema = z.looseObject({
  ID: z.string(),
  Hostname: z.string(),
  Status: z.string(),
  Availability: z.string(),
  ManagerStatus: z.string().optional(),
});

/** Task states that will not turn into running any more. */
export const FAILED_TASK_STATES: ReadonlySet<string> = new Set(['failed', 'rejected']);
