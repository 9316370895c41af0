// Row filters (`objects[].tables[].where`): which expressions pg-dts accepts, checked twice.
//
// 1. parseRowFilter (pure, no database): the text is parsed by PostgreSQL's own parser (libpg-query) and
//    accepted only as ONE boolean expression over the table's own columns, built from a short list of
//    node types. The full sync embeds the text as `WHERE (filter) AND <key range>` and the publication as
//    `WHERE (filter)`, so this check is what guarantees the text cannot end the parenthesis, add a clause
//    or a statement, or hide the rest of the query in a comment.
// 2. checkRowFilter (against the source): on PostgreSQL 15+ the filter is a publication row filter, so the
//    server's own verdict is taken by creating a throwaway publication inside a transaction that is
//    rolled back (before 15: a partial index on an empty temporary copy of the table, same immutability check). The server knows what the parser cannot: column types, overloads (`date_trunc` is
//    immutable on timestamp, stable on timestamptz), user-defined types, operators and collations.
//
// Immutable only: the full sync evaluates the filter once per row at the snapshot and pgoutput evaluates
// it again for every change; a filter whose value depends on the time, the session or a random draw
// would select different rows in the two, and the destination would silently diverge.
import { loadModule, parseSync, scanSync } from 'libpg-query';
import type { ClientBase } from 'pg';
import { ident, qualified } from '../util/sql';
import type { TableRef } from './names';

export type RowFilterVerdict = { ok: true; columns: string[] } | { ok: false; reason: string };

/** What a user is told a row filter may contain (the precheck's fix text, the docs). */
export const ROW_FILTER_RULES =
  "a boolean expression over the table's own columns (bare column names as in the source), constants, built-in " +
  "operators and types, and immutable built-in functions (e.g. lower(status) = 'open' AND amount > 100); " +
  'no subqueries, no volatile or stable functions (now(), random(), current_date), no system columns, no parameters, no comments or semicolons';

/** Columns every table has that are not data (ctid, xmin, ...): their values are not the row's. */
const SYSTEM_COLUMNS = new Set(['ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid']);

/**
 * pg_catalog functions accepted by name: every overload is an immutable, plain (not aggregate, window or
 * set-returning) function. test/e2e/row-filter.test.ts checks this list against a real catalog.
 */
export const IMMUTABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  // text
  'lower', 'upper', 'initcap', 'char_length', 'character_length', 'octet_length', 'bit_length', 'btrim', 'ltrim',
  'rtrim', 'substr', 'substring', 'position', 'strpos', 'split_part', 'left', 'right', 'lpad', 'rpad', 'replace',
  'translate', 'reverse', 'repeat', 'overlay', 'starts_with', 'regexp_like', 'regexp_match', 'regexp_replace',
  'regexp_count', 'regexp_instr', 'regexp_substr', 'ascii', 'chr', 'to_hex', 'md5', 'sha224', 'sha256', 'sha384',
  'sha512', 'encode', 'decode', 'quote_ident', 'string_to_array', 'normalize', 'is_normalized',
  // numbers
  'abs', 'round', 'trunc', 'floor', 'ceil', 'ceiling', 'sign', 'mod', 'div', 'power', 'sqrt', 'cbrt', 'exp', 'ln',
  'log', 'log10', 'gcd', 'lcm', 'width_bucket', 'scale', 'min_scale', 'trim_scale',
  // date and time (only the forms that do not read the clock or the session's time zone)
  'isfinite', 'make_date', 'make_time', 'make_timestamp', 'make_interval', 'justify_days', 'justify_hours',
  'justify_interval',
  // json
  'jsonb_typeof', 'json_typeof', 'jsonb_array_length', 'json_array_length', 'jsonb_extract_path',
  'jsonb_extract_path_text', 'json_extract_path', 'json_extract_path_text', 'jsonb_exists', 'jsonb_exists_any',
  'jsonb_exists_all', 'jsonb_path_exists', 'jsonb_path_match',
  // arrays, ranges, network, misc
  'array_length', 'array_lower', 'array_upper', 'array_ndims', 'array_dims', 'cardinality', 'array_position',
  'array_positions', 'lower_inc', 'upper_inc', 'lower_inf', 'upper_inf', 'isempty', 'host', 'family', 'masklen',
  'network', 'broadcast', 'abbrev', 'inet_same_family', 'num_nulls', 'num_nonnulls',
  // the functions behind casts, which a filter may also call by name
  'int2', 'int4', 'int8', 'float4', 'float8', 'bool', 'text', 'varchar', 'bpchar',
]);

/**
 * pg_catalog functions with both immutable and stable overloads (the stable ones read the session's time
 * zone or the clock): accepted by the parser check; which overload the arguments pick, and so whether it is
 * allowed, only the server can tell (checkRowFilter). E.g. date_trunc('day', a_timestamp) is fine,
 * date_trunc('day', a_timestamptz) is not.
 */
export const MIXED_VOLATILITY_FUNCTIONS: ReadonlySet<string> = new Set([
  'date_trunc', 'date_part', 'extract', 'date', 'timezone', 'age', 'length', 'numeric', 'to_timestamp', 'overlaps',
]);

/** Functions users reach for that change between calls or transactions: named in the rejection. */
const NOT_IMMUTABLE: Record<string, string> = {
  now: 'stable: it is the transaction start time, so the copy and the stream would judge rows at different times',
  random: 'volatile: a new value on every call',
  clock_timestamp: 'volatile: it reads the clock',
  statement_timestamp: 'stable: it reads the clock',
  transaction_timestamp: 'stable: it reads the clock',
  timeofday: 'volatile: it reads the clock',
  gen_random_uuid: 'volatile: a new value on every call',
  nextval: 'volatile: it advances a sequence (a side effect)',
  currval: 'volatile: it reads session state',
  setval: 'volatile: it changes a sequence (a side effect)',
  to_char: 'stable: its output depends on locale settings',
  to_date: 'stable: it depends on session settings',
  to_number: 'stable: it depends on locale settings',
  concat: 'stable: it formats values with session settings (use || instead)',
  concat_ws: 'stable: it formats values with session settings (use || instead)',
  format: 'stable: it formats values with session settings',
  array_to_string: 'stable: it formats values with session settings',
};

/** Built-in types a cast may name without a schema (the parser qualifies SQL's own, e.g. integer, itself). */
export const BUILTIN_TYPES: ReadonlySet<string> = new Set([
  'text', 'name', 'char', 'bpchar', 'varchar', 'bool', 'int2', 'int4', 'int8', 'float4', 'float8', 'numeric',
  'money', 'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval', 'uuid', 'json', 'jsonb', 'bytea',
  'inet', 'cidr', 'macaddr', 'macaddr8', 'bit', 'varbit', 'xml', 'oid', 'int4range', 'int8range', 'numrange',
  'daterange', 'tsrange', 'tstzrange',
]);

/** A_Expr kinds that are operators over values (what `x = 1`, `x IN (...)`, `x LIKE ...` parse to). */
const EXPR_KINDS = new Set([
  'AEXPR_OP', 'AEXPR_OP_ANY', 'AEXPR_OP_ALL', 'AEXPR_DISTINCT', 'AEXPR_NOT_DISTINCT', 'AEXPR_NULLIF', 'AEXPR_IN',
  'AEXPR_LIKE', 'AEXPR_ILIKE', 'AEXPR_SIMILAR', 'AEXPR_BETWEEN', 'AEXPR_NOT_BETWEEN', 'AEXPR_BETWEEN_SYM',
  'AEXPR_NOT_BETWEEN_SYM',
]);

/**
 * Operators whose result is a number or a string, never a boolean: such a filter is not a condition. `~` is
 * one only as a prefix (bitwise NOT); between two operands it is a regular-expression match.
 */
const VALUE_OPERATORS = new Set(['+', '-', '*', '/', '%', '^', '||', '|', '&', '#', '<<', '>>']);
const isValueOperator = (body: Json): boolean => {
  const op = nameList(body.name).at(-1)!;
  return VALUE_OPERATORS.has(op) || (op === '~' && !body.lexpr);
};

const MAX_LENGTH = 10_000;

let loaded: Promise<void> | undefined;

/** Loads the parser (WebAssembly) once; parseRowFilter needs it. */
export function loadRowFilterParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

type Json = { [key: string]: unknown };

class Rejected extends Error {}

const reject = (reason: string): never => {
  throw new Rejected(reason);
};

/** `[{String: {sval}}]` name lists (operators, functions, types, collations) as plain strings. */
function nameList(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((n) => ((n as Json).String as Json | undefined)?.sval as string | undefined ?? reject('unexpected name'));
}

/** A name may be bare or qualified with pg_catalog; any other schema means a user-defined object. */
function builtinName(names: string[], what: string): string {
  const shown = names.join('.');
  if (names.length === 2 && names[0] === 'pg_catalog') return names[1]!;
  if (names.length === 1) return names[0]!;
  return reject(`${what} ${shown} is not built in: only pg_catalog's ${what}s are allowed`);
}

/** Walks the parse tree of the expression; throws Rejected at the first thing not allowed. */
class Walker {
  readonly used = new Set<string>();
  constructor(private readonly columns: ReadonlySet<string>) {}

  node(value: unknown): void {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) return value.forEach((v) => this.node(v));
    const entries = Object.entries(value as Json);
    if (entries.length !== 1) reject('unexpected expression structure');
    const [type, body] = entries[0]! as [string, Json];
    switch (type) {
      case 'A_Const':
        return; // a literal: its text is data, not SQL
      case 'ColumnRef':
        return this.column(body);
      case 'A_Expr':
        return this.operator(body);
      case 'BoolExpr':
      case 'CoalesceExpr':
      case 'MinMaxExpr':
      case 'RowExpr':
        return this.node(body.args);
      case 'NullTest':
      case 'BooleanTest':
        return this.node(body.arg);
      case 'CaseExpr':
        this.node(body.arg);
        this.node(body.args);
        return this.node(body.defresult);
      case 'CaseWhen':
        this.node(body.expr);
        return this.node(body.result);
      case 'A_ArrayExpr':
        return this.node(body.elements);
      case 'List':
        return this.node(body.items);
      case 'TypeCast':
        return this.cast(body);
      case 'CollateClause':
        builtinName(nameList(body.collname), 'collation');
        return this.node(body.arg);
      case 'FuncCall':
        return this.call(body);
      case 'SubLink':
        return reject('subqueries are not allowed (a filter may only read the row being copied)');
      case 'ParamRef':
        return reject('parameters ($1, ...) are not allowed');
      case 'SQLValueFunction':
        return reject('CURRENT_DATE, CURRENT_TIMESTAMP, LOCALTIME, CURRENT_USER and the like are not immutable');
      case 'A_Indirection':
        return reject('array subscripts and field selections (a[1], (c).f) are not allowed in a publication row filter');
      default:
        return reject(`${type} is not allowed in a row filter`);
    }
  }

  private column(body: Json): void {
    const fields = body.fields as Json[];
    if (fields.length !== 1 || !fields[0]!.String) {
      reject(fields.some((f) => f.A_Star) ? '"*" is not allowed' : `write bare column names (not ${fields.map((f) => ((f.String as Json)?.sval as string) ?? '*').join('.')})`);
    }
    const name = (fields[0]!.String as Json).sval as string;
    if (SYSTEM_COLUMNS.has(name)) reject(`system column ${name} is not allowed`);
    if (!this.columns.has(name)) reject(`unknown column "${name}" (columns: ${[...this.columns].slice(0, 20).join(', ')}${this.columns.size > 20 ? ', ...' : ''})`);
    this.used.add(name);
  }

  private operator(body: Json): void {
    if (!EXPR_KINDS.has(body.kind as string)) reject(`${String(body.kind)} is not allowed`);
    builtinName(nameList(body.name), 'operator');
    this.node(body.lexpr);
    this.node(body.rexpr);
  }

  private cast(body: Json): void {
    const typeName = body.typeName as Json;
    if (typeName.setof || typeName.pct_type) reject('unsupported type name');
    const names = nameList(typeName.names);
    const type = builtinName(names, 'type');
    if (names.length === 1 && !BUILTIN_TYPES.has(type)) reject(`type ${type} is not a built-in type pg-dts knows (write a built-in type, e.g. text, int4, date)`);
    for (const mod of (typeName.typmods as Json[] | undefined) ?? []) if (!mod.A_Const) reject('type modifiers must be constants');
    this.node(body.arg);
  }

  private call(body: Json): void {
    const fn = builtinName(nameList(body.funcname), 'function');
    if (body.agg_star || body.agg_distinct || body.agg_order || body.agg_filter || body.agg_within_group || body.over) {
      reject(`${fn}(...): aggregates and window functions are not allowed`);
    }
    if (NOT_IMMUTABLE[fn]) reject(`function ${fn}() is not immutable (${NOT_IMMUTABLE[fn]})`);
    if (!IMMUTABLE_FUNCTIONS.has(fn) && !MIXED_VOLATILITY_FUNCTIONS.has(fn)) {
      reject(`function ${fn}() is not one of the immutable built-in functions pg-dts accepts (see docs/row-filters.md)`);
    }
    this.node(body.args);
  }
}

/** The parse tree without token positions, for comparing two parses of the same expression. */
const shape = (tree: unknown): string => JSON.stringify(tree, (k, v) => (k === 'location' || k.endsWith('_start') || k.endsWith('_end') ? undefined : v));

/** SelectStmt fields a filter's text could add after WHERE, as the user wrote them. */
const CLAUSES: Record<string, string> = {
  sortClause: 'ORDER BY', limitCount: 'LIMIT', limitOffset: 'OFFSET', lockingClause: 'FOR UPDATE/SHARE',
  windowClause: 'WINDOW', groupClause: 'GROUP BY', havingClause: 'HAVING', intoClause: 'INTO',
};

function singleWhere(sql: string): Json {
  const parsed = parseSync(sql);
  const stmts = parsed.stmts ?? [];
  if (stmts.length !== 1) reject('one expression is allowed, not several statements');
  const select = (stmts[0]!.stmt as Json).SelectStmt as Json | undefined;
  if (!select) reject('not an expression');
  // `SELECT 1 WHERE <expr>` has exactly these; anything else (ORDER BY, UNION, LIMIT, INTO, FOR UPDATE, ...)
  // came from the filter's text.
  if (select!.op !== 'SETOP_NONE') reject('only an expression is allowed (the text adds UNION/INTERSECT/EXCEPT)');
  for (const key of Object.keys(select!)) {
    if (!['targetList', 'whereClause', 'limitOption', 'op'].includes(key)) reject(`only an expression is allowed (the text adds ${CLAUSES[key] ?? key})`);
  }
  return select!;
}

function check(expr: string, columns: ReadonlySet<string>): string[] {
  if (!expr.trim()) reject('the filter is empty');
  if (expr.length > MAX_LENGTH) reject(`the filter is longer than ${MAX_LENGTH} characters`);
  let tokens;
  try {
    tokens = scanSync(expr).tokens;
  } catch (err) {
    return reject(`not valid SQL: ${(err as Error).message}`);
  }
  for (const t of tokens) {
    if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT') reject('comments (-- or /* */) are not allowed');
    if (t.text === ';') reject('a semicolon is not allowed (one expression, not statements)');
    // A backslash in a plain '...' literal means an escape when standard_conforming_strings is off: the
    // server would then end the string elsewhere than this parser did. E'...' means the same either way.
    if (t.tokenName === 'SCONST' && t.text.startsWith("'") && t.text.includes('\\')) reject("a backslash in a '...' string is ambiguous (standard_conforming_strings): write the string as E'...'");
  }
  let where: unknown;
  try {
    where = singleWhere(`SELECT 1 WHERE ${expr}`).whereClause;
    // The same text inside parentheses, as the copy and the publication embed it, must be the same tree:
    // then `(filter)` is one self-contained operand whatever follows it.
    const wrapped = ((singleWhere(`SELECT 1 WHERE NOT (${expr})`).whereClause as Json).BoolExpr as Json | undefined)?.args as unknown[] | undefined;
    if (!where || wrapped?.length !== 1 || shape(wrapped[0]) !== shape(where)) reject('not a single self-contained expression');
  } catch (err) {
    if (err instanceof Rejected) throw err;
    return reject(`not a valid SQL expression: ${(err as Error).message}`);
  }
  const top = Object.entries(where as Json)[0]!;
  const [type, body] = top as [string, Json];
  const valueConst = type === 'A_Const' && !('boolval' in body) && !body.isnull;
  const valueOp = type === 'A_Expr' && body.kind === 'AEXPR_OP' && isValueOperator(body);
  if (valueConst || valueOp || type === 'A_ArrayExpr' || type === 'RowExpr') reject('not a condition (true or false for each row) but a value');
  const walker = new Walker(columns);
  walker.node(where);
  return [...walker.used];
}

/**
 * Whether `expr` is an acceptable row filter over a table with these (source) columns. Pure; call
 * loadRowFilterParser() once first. On success, `columns` lists the columns the filter reads.
 */
export function parseRowFilter(expr: string, columns: Iterable<string>): RowFilterVerdict {
  if (!loaded) throw new Error('parseRowFilter: call loadRowFilterParser() first');
  try {
    return { ok: true, columns: check(expr, new Set(columns)) };
  } catch (err) {
    if (err instanceof Rejected) return { ok: false, reason: err.message };
    throw err;
  }
}

/** A row filter that fails the checks, named with its table: what the full sync throws. */
export class RowFilterError extends Error {
  constructor(readonly table: TableRef, readonly reason: string) {
    super(`row filter (where) of ${table.schema}.${table.name}: ${reason}. Allowed: ${ROW_FILTER_RULES}`);
    this.name = 'RowFilterError';
  }
}

/** The parser check, throwing RowFilterError: for callers that must not go on with a bad filter. */
export async function assertRowFilter(table: TableRef, expr: string, columns: Iterable<string>): Promise<void> {
  await loadRowFilterParser();
  const verdict = parseRowFilter(expr, columns);
  if (!verdict.ok) throw new RowFilterError(table, verdict.reason);
}

/**
 * The server's verdict on a source without publication row filters (before 15), where the task evaluates
 * the filter itself: the filter becomes the predicate of an index on an empty temporary copy of the
 * table's columns, inside a transaction that is rolled back. PostgreSQL then checks what it checks for a
 * publication row filter that matters here — that every function and operator the chosen overloads call
 * is immutable (`date_trunc` on timestamptz is not), that the expression is boolean and its types and
 * casts exist — without touching the table (no lock beyond reading its definition, no scan).
 */
async function checkWithoutPublicationFilters(db: ClientBase, table: TableRef, expr: string): Promise<string | null> {
  const copy = `pg_dts_filter_check_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  await db.query('BEGIN');
  try {
    await db.query(`SET LOCAL lock_timeout = '10s'`);
    await db.query(`CREATE TEMPORARY TABLE ${ident(copy)} (LIKE ${qualified(table)})`);
    await db.query(`CREATE INDEX ON pg_temp.${ident(copy)} ((true)) WHERE (${expr})`);
    return null;
  } catch (err) {
    const e = err as { message: string; code?: string };
    if (e.code === '42501') return `the source could not check it: ${e.message} (the task's user needs the TEMPORARY privilege on the source database)`;
    return `the source server rejects it: ${e.message}`;
  } finally {
    await db.query('ROLLBACK');
  }
}

/**
 * Both checks against the source: the parser's, with the table's real columns, then (PostgreSQL 15+) the
 * server's, by creating a publication with the filter inside a transaction that is rolled back — nothing is
 * left behind. Returns null when the filter is accepted, else the reason (the caller names the table).
 * Before 15 (no publication row filters) the server judges it as an index predicate instead
 * (checkWithoutPublicationFilters). `db` must not be inside a transaction.
 */
export async function checkRowFilter(db: ClientBase, table: TableRef, expr: string): Promise<string | null> {
  await loadRowFilterParser();
  const { rows } = await db.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_attribute a
      WHERE a.attrelid = (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2)
        AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [table.schema, table.name],
  );
  if (!rows.length) return `table ${table.schema}.${table.name} not found on the source`;
  const verdict = parseRowFilter(expr, rows.map((r) => r.name));
  if (!verdict.ok) return verdict.reason;
  const version = Number((await db.query('SHOW server_version_num')).rows[0].server_version_num);
  if (version < 150000) return checkWithoutPublicationFilters(db, table, expr);
  // Same form as the task's own publication (replication-objects.ts): via the partition root, so a
  // partitioned table's filter is judged as it will be used.
  const publication = `pg_dts_filter_check_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  await db.query('BEGIN');
  try {
    await db.query(`SET LOCAL lock_timeout = '10s'`);
    await db.query(`CREATE PUBLICATION ${ident(publication)} FOR TABLE ${qualified(table)} WHERE (${expr}) WITH (publish_via_partition_root = true)`);
    return null;
  } catch (err) {
    const e = err as { message: string; detail?: string; code?: string };
    if (e.code === '42501') return `the source could not check it: ${e.message} (the task's user must own the table to publish it)`;
    return `the source server rejects it: ${e.message}${e.detail ? ` (${e.detail})` : ''}`;
  } finally {
    await db.query('ROLLBACK');
  }
}
