// The task spec: the one JSON document a user writes to describe a synchronization task.
// Pure (no I/O): the workflow validates its input with it, the CLI validates before starting anything,
// and the JSON Schema users see is generated from it, so the three can never disagree.
import { z } from 'zod';
import { DURATION_PATTERN, MIN_VERIFY_EVERY_SECONDS, parseDuration } from './duration';
import { tagsSchema } from './tags';

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
    .describe(
      'name of an environment variable, on the worker, holding the password; it must start with the worker\'s PG_DTS_SECRET_ENV_PREFIX (default PG_DTS_PW_)',
    ),
  passwordFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      'path, on the worker, of a file holding the password: inside the worker\'s PG_DTS_SECRET_DIR (default /run/secrets/pg-dts), absolute or relative to it',
    ),
});

/** Bytes of `text` in UTF-8 (PostgreSQL's identifier limit is in bytes). Pure: no Buffer in the workflow sandbox. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

const IDENTIFIER_BYTES = 'PostgreSQL identifiers are at most 63 bytes in UTF-8; shorten it';
// max(63) (in UTF-16 units) only gives the JSON Schema its maxLength; the limit itself is the byte count.
// Both say the same, and validate.ts drops the duplicate line.
const identifier = z
  .string()
  .min(1)
  .max(63, { message: IDENTIFIER_BYTES })
  .refine((name) => utf8Length(name) <= 63, { message: IDENTIFIER_BYTES });

/** Row operations a table's changes are applied for; `truncate` is listed with them (DTS counts it as DML). */
export const dmlOperations = ['insert', 'update', 'delete', 'truncate'] as const;

/** Which changes of a schema or table are applied. A table's own setting overrides its schema's. */
const operationFields = {
  dml: z
    .array(z.enum(dmlOperations))
    .refine((ops) => new Set(ops).size === ops.length, { message: 'lists an operation twice' })
    .optional()
    .describe('row operations applied (any of insert, update, delete, truncate); default: all. [] applies none'),
  ddl: z.boolean().optional().describe('apply the DDL replicated for these objects (default true)'),
};

const tableObject = z.strictObject({
  name: identifier.describe('source table name'),
  rename: identifier.optional().describe('table name on the destination'),
  where: z
    .string()
    .min(1)
    .optional()
    .describe(
      'row filter: a boolean SQL expression over this table\'s columns (no subqueries, no volatile functions). ' +
        'An update that leaves the filter becomes a delete on the destination, one that enters it an insert',
    ),
  excludeColumns: z.array(identifier).optional().describe('source columns not synced (not created on the destination)'),
  columns: z
    .record(identifier, identifier)
    .optional()
    .describe('column renames: { "source column": "destination column" }'),
  ...operationFields,
});

const tableEntry = z.union([identifier, tableObject]);

const objectEntry = z.strictObject({
  schema: identifier.describe('source schema name'),
  rename: identifier.optional().describe('schema name on the destination'),
  tables: z
    .array(tableEntry)
    .min(1, { message: 'list at least one table, or omit "tables" to select the whole schema' })
    .optional()
    .describe('tables to sync; omitted: every table of the schema'),
  excludeTables: z
    .array(identifier)
    .optional()
    .describe('with a whole schema selected (no "tables"): tables of it not to sync'),
  ...operationFields,
});

/** The selection, in the spec and in the `modifyObjects` signal (which replaces it while the task runs). */
export const objectsSchema = z.array(objectEntry).min(1, { message: 'select at least one schema' }).describe('what to sync');

/** A bulk rename applied to every name of one kind that has no explicit rename: replace, then prefix/suffix. */
const renameRule = z
  .strictObject({
    prefix: z.string().optional().describe('prepended to the name'),
    suffix: z.string().optional().describe('appended to the name'),
    replace: z
      .array(z.strictObject({ from: z.string().min(1), to: z.string() }))
      .optional()
      .describe('substring replacements, applied in order, every occurrence'),
  })
  .describe('bulk rename: replacements first, then prefix and suffix; applied after nameCase');

/** A rate limit: absent means unlimited, so a positive finite number is the only thing to accept. */
const rate = (what: string) =>
  z.number().positive({ message: 'must be a number greater than 0 (omit it for no limit)' }).optional().describe(what);

const ROWS_FULL = 'rows per second copied into the destination during full sync';
const ROWS_INCR = 'row changes per second applied to the destination during incremental sync';
const MBPS = 'megabytes (1e6 bytes) per second';

/**
 * Rate limits, in the spec and in the `throttle` signal (which replaces the whole setting).
 * Exported on its own so the workflow can validate a signal payload with exactly the spec's rules.
 */
export const throttleSchema = z
  .strictObject({
    full: z
      .strictObject({
        sourceQps: rate(
          'read requests per second against the source during full sync; pg-dts streams with COPY and counts one request per 1 000 rows read (the fetch of a row-by-row reader), so N caps reading at N x 1 000 rows/s',
        ),
        rps: rate(ROWS_FULL),
        mbps: rate(`${MBPS} copied during full sync`),
      })
      .optional()
      .describe('limits of the full sync; an absent limit is unlimited'),
    incremental: z
      .strictObject({
        rps: rate(ROWS_INCR),
        mbps: rate(`${MBPS} applied during incremental sync`),
      })
      .optional()
      .describe('limits of the incremental sync; an absent limit is unlimited'),
  })
  .describe('rate limits; absent: unlimited. The "throttle" signal replaces this setting while the task runs');

export type Throttle = z.output<typeof throttleSchema>;

/**
 * Validates a throttle setting arriving outside a spec (signal, CLI flags). Returns problems instead of
 * throwing because a signal handler must never throw (that would fail the workflow task).
 */
export function parseThrottle(input: unknown): { ok: true; throttle: Throttle } | { ok: false; problems: string[] } {
  const result = throttleSchema.safeParse(input);
  if (result.success) return { ok: true, throttle: result.data };
  const problems = result.error.issues.flatMap((issue) => {
    const where = ['throttle', ...issue.path.map(String)].join('.');
    return issue.code === 'unrecognized_keys' ? issue.keys.map((k) => `${where}.${k}: unknown field`) : [`${where}: ${issue.message}`];
  });
  return { ok: false, problems };
}

/** Request headers a webhook spec may not set: pg-dts sets them, or they change how the request is framed. */
const RESERVED_HEADERS = ['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect'];

/** Where alerts go and when they fire (evaluated on the worker: src/alerts/, docs/metrics-alerts.md). */
const alertsSchema = z
  .strictObject({
    webhook: z
      .strictObject({
        url: z
          .string()
          .regex(/^https?:\/\/[^\s/?#]+[^\s]*$/i, { message: 'must be an http:// or https:// URL, e.g. https://hooks.example.com/pg-dts' })
          .describe('the URL alerts are POSTed to as JSON'),
        headers: z
          .record(z.string(), z.string())
          // checked here, not in the key schema: zod words a bad record key only as "Invalid key in record"
          .superRefine((headers, ctx) => {
            for (const [name, value] of Object.entries(headers)) {
              if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'must be an HTTP header name (letters, digits, "-")' });
              else if (RESERVED_HEADERS.includes(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: 'frames the request or its connection (pg-dts sets what it needs): remove it' });
              // A line break would end the header and start another one (or the body): header injection.
              // eslint-disable-next-line no-control-regex
              if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'must not contain line breaks or other control characters' });
            }
          })
          .optional()
          .describe('extra request headers, e.g. { "Authorization": "Bearer ..." }; they are stored in the task history like the rest of the spec'),
      })
      .describe('the webhook every alert is POSTed to'),
    lag: z
      .strictObject({
        seconds: z.number().positive({ message: 'must be a number of seconds greater than 0' }).describe('lag threshold in seconds'),
        forSeconds: z.number().min(0, { message: 'must be 0 or more seconds' }).default(60).describe('how long the lag must stay above the threshold before the alert fires (default 60)'),
      })
      .optional()
      .describe('fire when the replication lag stays above `seconds` for `forSeconds`; resolved when it falls back'),
    retainedWalBytes: z
      .number()
      .positive({ message: 'must be a number of bytes greater than 0' })
      // refine, not .int(): zod reports .int() as invalid_type, which validate.ts words as "missing"
      .refine(Number.isInteger, { message: 'must be a whole number of bytes' })
      .optional()
      .describe('fire when the slot retains more WAL than this on the source; resolved when it falls back'),
    onFailure: z.boolean().default(true).describe('alert when the task fails (default true)'),
    ddlRefused: z
      .union([
        z.literal(false),
        z.strictObject({
          everySeconds: z.number().min(0, { message: 'must be 0 or more seconds' }).default(60)
            .describe('at most one alert per this many seconds; refusals meanwhile are listed in the next one (default 60)'),
        }),
      ])
      .optional()
      .describe('alert when the stream does not replicate a DDL statement (on unless false; default { "everySeconds": 60 })'),
  })
  .describe('alerts POSTed to a webhook: lag, retained WAL, task failure, DDL not replicated');

/** Modes a task verifies itself in: not `rows`, whose report (in the history) holds row values. */
export const continuousVerifyModes = ['count', 'checksum'] as const;

/** Continuous verification (docs/verification.md): a verifyTask run every `every` while the task streams. */
const verifySchema = z
  .strictObject({
    every: z
      .string()
      .regex(DURATION_PATTERN, { message: 'must be a duration like "30m", "6h" or "1d" (whole numbers with s, m, h or d; "1h30m" combines them)' })
      .refine((text) => (parseDuration(text) ?? Infinity) >= MIN_VERIFY_EVERY_SECONDS * 1000, {
        message: `must be at least ${MIN_VERIFY_EVERY_SECONDS}s (each run compares every selected table on both servers); e.g. "6h"`,
      })
      .describe(`how often to verify while the task streams: a duration like "30m", "6h", "1d" or "1h30m", at least ${MIN_VERIFY_EVERY_SECONDS}s`),
    mode: z
      .enum(continuousVerifyModes, {
        error: 'must be "count" or "checksum" (rows mode lists row values: run pg-dts verify --mode rows when a difference is reported)',
      })
      .default('checksum')
      .describe('count: row counts per key range; checksum (default): counts and a checksum of every row'),
  })
  .describe('verify the destination against the source periodically while the task streams (pg-dts verify as a child workflow); a difference is shown in status and alerted (verify-difference)');

export const syncTypeValues = ['schema', 'full', 'incremental'] as const;

export const taskSpecSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, {
        message: 'must be 1-63 characters: letters, digits, "_", "-" or ".", starting with a letter or digit',
      })
      .describe('task name; the pg-dts CLI uses it as the workflow id'),
    tags: tagsSchema.optional(),
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
    objects: objectsSchema,
    renameRules: z
      .strictObject({ schemas: renameRule.optional(), tables: renameRule.optional(), columns: renameRule.optional() })
      .optional()
      .describe('bulk renames of schemas, tables and columns; explicit renames in "objects" win over them'),
    replicaIdentity: z
      .enum(['full', 'keep'])
      .default('full')
      .describe(
        'full: set REPLICA IDENTITY FULL on the selected source tables at start (row filters and key changes need the old row; restored at release); keep: leave it (precheck warns)',
      ),
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
        diskSpaceProbe: z
          .boolean()
          .default(false)
          .describe(
            'measure the destination\'s free disk space by running `df` on the database host (COPY ... FROM PROGRAM, needs superuser or pg_execute_server_program); default false: destination-space only reports the data size',
          ),
      })
      .default({ ignoreWarnings: [], diskSpaceProbe: false }),
    throttle: throttleSchema.optional(),
    alerts: alertsSchema.optional(),
    verify: verifySchema.optional(),
    continueAsNewEvents: z
      .number()
      .int()
      .min(200)
      .max(50_000)
      .default(10_000)
      .describe('history events after which a running task continues as new (state carried over), keeping its history short'),
    full: z
      .strictObject({
        concurrency: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(2)
          .describe('chunks copied at once (one source and one destination session each); more helps only with more cores on both servers'),
        chunkRows: z
          .number()
          .int()
          .min(100)
          .default(10_000_000)
          .describe('a table estimated to hold more rows than this is split into key ranges of about this many rows'),
        chunkMB: z
          .number()
          .int()
          .min(1)
          .default(1024)
          .describe('a table larger than this (MB on disk, incl. TOAST) is split into ranges of about this size'),
      })
      .default({ concurrency: 2, chunkRows: 10_000_000, chunkMB: 1024 })
      .describe('how the full data sync copies: parallelism and chunk size'),
  })
  .describe('pg-dts synchronization task');

export type TaskSpecInput = z.input<typeof taskSpecSchema>;
export type TaskSpec = z.output<typeof taskSpecSchema>;
export type Endpoint = TaskSpec['source'];
export type SyncType = (typeof syncTypeValues)[number];
export type ObjectEntry = TaskSpec['objects'][number];
export type TableObject = z.output<typeof tableObject>;
export type RenameRule = z.output<typeof renameRule>;
export type AlertsSpec = z.output<typeof alertsSchema>;
export type VerifySpec = z.output<typeof verifySchema>;
export type DmlOperation = (typeof dmlOperations)[number];
