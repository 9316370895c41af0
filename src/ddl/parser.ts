// PostgreSQL's own parser (libpg-query, WebAssembly) for DDL replication: loaded once, then synchronous.
// Everything in src/ddl reads statements through these helpers, so the parser's conventions (byte offsets,
// omitted zero values) are handled in one place.
import { loadModule, parseSync, scanSync, type Node, type RawStmt, type ScanToken } from 'libpg-query';

let loading: Promise<void> | undefined;

/** Loads the parser once; every other function of src/ddl needs it loaded. */
export function loadDdlParser(): Promise<void> {
  return (loading ??= loadModule());
}

/** The raw statements of a query string (empty statements, `;;`, are not in the list). */
export function parseStatements(sql: string): RawStmt[] {
  return parseSync(sql).stmts ?? [];
}

export function scanTokens(sql: string): ScanToken[] {
  return scanSync(sql).tokens ?? [];
}

/** The node's type and body: `{ CreateStmt: {...} }` -> ['CreateStmt', {...}]. */
export function nodeType(node: Node | undefined): string {
  return node ? Object.keys(node)[0] ?? '' : '';
}

export function nodeBody<T = Record<string, unknown>>(node: Node | undefined): T {
  return (node ? Object.values(node)[0] : {}) as T;
}

/**
 * A parse tree without token positions, as a string: two parses of one statement compare equal however
 * the statement is spaced, quoted or parenthesised (parentheses leave no node in a raw parse tree).
 */
export function treeShape(tree: unknown): string {
  return JSON.stringify(tree, (key, value: unknown) => {
    if (key === 'location' || key === 'stmt_location' || key === 'stmt_len' || key.endsWith('_start') || key.endsWith('_end')) return undefined;
    // Key order is not meaning: a rewritten node may list its fields in another order than the parser.
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return value;
  });
}

/** The parser's offsets count UTF-8 bytes, not JavaScript characters. */
export function byteSlice(sql: string | Buffer, start: number, end?: number): string {
  const bytes = typeof sql === 'string' ? Buffer.from(sql, 'utf8') : sql;
  return bytes.subarray(start, end).toString('utf8');
}

/** `[{String: {sval}}]` name lists (qualified names, operator names) as plain strings. */
export function stringList(list: Node[] | undefined): string[] {
  return (list ?? []).map((n) => {
    const s = (n as { String?: { sval?: string } }).String;
    if (!s) throw new Error(`expected a name, found ${nodeType(n)}`);
    return s.sval ?? '';
  });
}

export const stringNode = (sval: string): Node => ({ String: { sval } }) as Node;
