// The task spec: the one JSON document a user writes to describe a synchronization task.
// Pure (no I/O): the workflow validates its input with it, the CLI validates before starting anything,
// and the JSON Schema users see is generated from it, so the three can never disagree.
import { z } from 'zod';

/** postgres:// or postgresql:// URL; passwords are never accepted inline (see validate.ts). */
const endpoint = z.strictObject({
  url: z
    .string()
    .regex(/^postgres(ql)?:\/\/[^\s]+$/, {
      message: 'must be a libpq URL like postgresql://user@host:5432/dbname (no password)',
    })
    .describe('libpq connection URL without a password, e.g. postgresql://repl@db1:5432/app'),
  passwordEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name' })
    .optional()
    .describe('name of an environment variable, on the worker, holding the password'),
  passwordFile: z.string().min(1).optional().describe('path, on the worker, of a file holding the password'),
});

const identifier = z.string().min(1).max(63, { message: 'PostgreSQL identifiers are at most 63 bytes' });

const tableEntry = z.union([
  identifier,
  z.strictObject({
    name: identifier.describe('source table name'),
    rename: identifier.optional().describe('table name on the destination'),
  }),
]);

const objectEntry = z.strictObject({
  schema: identifier.describe('source schema name'),
  rename: identifier.optional().describe('schema name on the destination'),
  tables: z
    .array(tableEntry)
    .min(1, { message: 'list at least one table, or omit "tables" to select the whole schema' })
    .optional()
    .describe('tables to sync; omitted: every table of the schema'),
});

export const syncTypeValues = ['schema', 'full', 'incremental'] as const;

export const taskSpecSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, {
        message: 'must be 1-63 characters: letters, digits, "_", "-" or ".", starting with a letter or digit',
      })
      .describe('task name; the pg-dts CLI uses it as the workflow id'),
    source: endpoint.describe('the database changes are read from'),
    destination: endpoint.describe('the database changes are written to'),
    syncTypes: z
      .array(z.enum(syncTypeValues))
      .min(1)
      .default(['schema', 'full', 'incremental'])
      .describe('phases to run'),
    conflictingTables: z
      .enum(['precheck', 'ignore'])
      .default('precheck')
      .describe('precheck: fail when a destination table already exists; ignore: keep it and write into it'),
    nameCase: z
      .enum(['default', 'source', 'lower', 'upper'])
      .default('default')
      .describe('default: schema and table names lower-case, columns as in the source'),
    objects: z.array(objectEntry).min(1, { message: 'select at least one schema' }).describe('what to sync'),
    retry: z
      .strictObject({
        connectionMinutes: z.number().int().min(10).max(1440).default(720),
        otherMinutes: z.number().int().min(1).max(1440).default(10),
      })
      .default({ connectionMinutes: 720, otherMinutes: 10 })
      .refine((r) => r.otherMinutes < r.connectionMinutes, {
        message: 'otherMinutes must be less than connectionMinutes',
        path: ['otherMinutes'],
      })
      .describe('how long each class of failure may keep failing before the task fails'),
    precheck: z
      .strictObject({
        ignoreWarnings: z.array(z.string()).default([]).describe('precheck warning ids to accept'),
      })
      .default({ ignoreWarnings: [] }),
  })
  .describe('pg-dts synchronization task');

export type TaskSpecInput = z.input<typeof taskSpecSchema>;
export type TaskSpec = z.output<typeof taskSpecSchema>;
export type Endpoint = TaskSpec['source'];
export type SyncType = (typeof syncTypeValues)[number];
