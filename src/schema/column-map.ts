// Column renames inside server-printed definitions (CHECK, generated columns, index and constraint
// definitions, partition keys).
//
// Why this way: the destination table is created with its destination column names, and keys and indexes
// may be built after the data, long after the table exists — so every definition must already carry the
// destination names when it runs (creating with source names and `ALTER TABLE … RENAME COLUMN` would not
// reach statements that run later, nor a table that already exists under conflictingTables=ignore).
// The real PostgreSQL parser (libpg-query) finds which identifiers are column references; only those
// tokens are replaced, at their byte offsets, in the server's own text. Nothing is deparsed: the
// deparser drops clauses (e.g. `UNIQUE … INCLUDE (…)`), while the server's text is exact by definition.
import { loadModule, parseSync, scanSync } from 'libpg-query';
import { ident } from '../util/sql';

let loading: Promise<void> | undefined;

/** The parser is WebAssembly: load it once before any of the functions below is called. */
export function loadColumnParser(): Promise<void> {
  return (loading ??= loadModule());
}

/**
 * A table's columns as the mapping sees them: the destination name of a source column, null when it
 * is excluded, undefined when the name is not a column of the table (left as it is).
 */
export type ColumnLookup = (sourceColumn: string) => string | null | undefined;

export interface Mapped {
  sql: string;
  /** Excluded source columns the definition uses: the object cannot be created on the destination. */
  excluded: string[];
}

interface Token {
  start: number;
  end: number;
  text: string;
}

interface Edit {
  start: number;
  end: number;
  name: string;
}

/** Byte offsets (the parser's) -> replaced text. */
function applyEdits(sql: string, edits: Edit[]): string {
  const bytes = Buffer.from(sql, 'utf8');
  const parts: Buffer[] = [];
  let at = 0;
  for (const e of [...edits].sort((a, b) => a.start - b.start)) {
    if (e.start < at) continue; // the same token found twice
    parts.push(bytes.subarray(at, e.start), Buffer.from(ident(e.name), 'utf8'));
    at = e.end;
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts).toString('utf8');
}

/** The name an identifier token stands for (the server quotes every name that needs it). */
function identifierOf(text: string): string {
  return text.startsWith('"') ? text.slice(1, -1).replace(/""/g, '"') : text.toLowerCase();
}

type Node = Record<string, unknown>;

/** Every single-name ColumnRef in the tree (qualified refs do not occur in these definitions). */
function columnRefs(node: unknown, out: { name: string; location: number }[] = []): { name: string; location: number }[] {
  if (Array.isArray(node)) {
    for (const n of node) columnRefs(n, out);
  } else if (node && typeof node === 'object') {
    const ref = (node as Node).ColumnRef as { fields?: Node[]; location?: number } | undefined;
    if (ref) {
      const fields = ref.fields ?? [];
      const first = fields[0]?.String as { sval: string } | undefined;
      if (fields.length === 1 && first && ref.location !== undefined) out.push({ name: first.sval, location: ref.location });
    } else {
      for (const v of Object.values(node)) columnRefs(v, out);
    }
  }
  return out;
}

class Rewriter {
  readonly edits: Edit[] = [];
  readonly excluded = new Set<string>();
  private tokens: Token[];

  constructor(
    readonly sql: string,
    private readonly own: ColumnLookup,
    /** Bytes of a wrapper before the definition itself (not part of any list). */
    private readonly prefixBytes = 0,
  ) {
    this.tokens = scanSync(sql).tokens;
  }

  tokenAt(location: number): Token {
    const t = this.tokens.find((x) => x.start === location);
    if (!t) throw new Error(`no token at offset ${location} of: ${this.sql}`);
    return t;
  }

  /** Replaces the name token `t` (which must spell `expected`) with its mapped name. */
  rename(t: Token, expected: string, lookup: ColumnLookup = this.own): void {
    const name = identifierOf(t.text);
    if (name !== expected) throw new Error(`cannot map columns: expected column ${expected} at "${t.text}" in: ${this.sql}`);
    const target = lookup(name);
    if (target === null) this.excluded.add(name);
    else if (target !== undefined && target !== name) this.edits.push({ start: t.start, end: t.end, name: target });
  }

  /** Column references inside expressions, found by the parser. */
  expressions(tree: unknown): void {
    for (const ref of columnRefs(tree)) this.rename(this.tokenAt(ref.location), ref.name);
  }

  /**
   * The parenthesised lists at nesting depth 0, each with the depth-0 tokens between it and the list
   * before it (upper-cased): `PRIMARY KEY (a, b)`, `INCLUDE (c)`, `REFERENCES t(x)`, `SET NULL (a)`,
   * `EXCLUDE USING gist (r WITH &&)`. Each list holds its elements' tokens.
   */
  topLevelLists(): { before: string[]; elements: Token[][] }[] {
    const lists: { before: string[]; elements: Token[][] }[] = [];
    let depth = 0;
    let seen: string[] = [];
    let current: { before: string[]; elements: Token[][] } | undefined;
    let element: Token[] = [];
    for (const t of this.tokens.filter((x) => x.start >= this.prefixBytes)) {
      if (t.text === '(') {
        if (depth === 0) {
          current = { before: seen, elements: [] };
          element = [];
        } else element.push(t);
        depth++;
      } else if (t.text === ')') {
        depth--;
        if (depth === 0 && current) {
          if (element.length) current.elements.push(element);
          lists.push(current);
          current = undefined;
          seen = [];
        } else element.push(t);
      } else if (depth === 1 && t.text === ',') {
        current!.elements.push(element);
        element = [];
      } else if (depth >= 1) {
        element.push(t);
      } else {
        seen = [...seen, t.text.toUpperCase()];
      }
    }
    return lists;
  }

  result(): Mapped {
    return { sql: applyEdits(this.sql, this.edits), excluded: [...this.excluded] };
  }
}

function statementOf(sql: string): Node {
  const stmt = parseSync(sql).stmts?.[0]?.stmt as Node | undefined;
  if (!stmt) throw new Error(`cannot parse: ${sql}`);
  return stmt;
}

/** A bare expression: a generated column's, a CHECK's or a WHERE's. */
export function mapExpression(expr: string, own: ColumnLookup): Mapped {
  const prefix = 'SELECT ';
  const r = new Rewriter(prefix + expr, own);
  r.expressions(statementOf(r.sql));
  const out = r.result();
  return { sql: out.sql.slice(prefix.length), excluded: out.excluded };
}

const nameOf = (n: Node): string => (n.String as { sval: string }).sval;

/**
 * pg_get_constraintdef() output (PRIMARY KEY, UNIQUE, FOREIGN KEY, CHECK, EXCLUDE). `referenced` maps the
 * referenced table's columns of a foreign key.
 */
export function mapConstraintDef(def: string, own: ColumnLookup, referenced: ColumnLookup = own): Mapped {
  const prefix = 'ALTER TABLE t ADD ';
  const r = new Rewriter(prefix + def, own, prefix.length);
  const stmt = statementOf(r.sql).AlterTableStmt as { cmds: { AlterTableCmd: { def: { Constraint: Node } } }[] };
  const con = stmt.cmds[0]!.AlterTableCmd.def.Constraint;
  r.expressions([con.raw_expr, con.where_clause, con.exclusions]);
  const names = (k: string): string[] => ((con[k] as Node[] | undefined) ?? []).map(nameOf);
  // Which AST list each parenthesised list of names is, told by the keywords before it.
  let lists = r.topLevelLists();
  const take = (pred: (before: string[]) => boolean, key: string, lookup: ColumnLookup): void => {
    const i = lists.findIndex((l) => pred(l.before));
    if (i < 0 || !names(key).length) return;
    const list = lists[i]!;
    lists = lists.filter((_, j) => j !== i);
    const want = names(key);
    if (list.elements.length !== want.length) throw new Error(`cannot map columns of ${key} in: ${def}`);
    list.elements.forEach((e, j) => r.rename(e[0]!, want[j]!, lookup));
  };
  const last = (b: string[]): string | undefined => b[b.length - 1];
  take((b) => last(b) === 'KEY' && b.includes('FOREIGN'), 'fk_attrs', own);
  take((b) => last(b) === 'KEY' && b.includes('PRIMARY'), 'keys', own);
  take((b) => b[0] === 'UNIQUE', 'keys', own);
  take((b) => last(b) === 'INCLUDE', 'including', own);
  take((b) => b[0] === 'REFERENCES', 'pk_attrs', referenced);
  take((b) => (last(b) === 'NULL' || last(b) === 'DEFAULT') && b.includes('SET'), 'fk_del_set_cols', own);
  // EXCLUDE: each element is `column WITH op` or `(expression) WITH op`.
  const exclusions = (con.exclusions as { List: { items: Node[] } }[] | undefined) ?? [];
  if (exclusions.length) {
    const list = lists.find((l) => l.before[0] === 'EXCLUDE');
    if (!list || list.elements.length !== exclusions.length) throw new Error(`cannot map columns of EXCLUDE in: ${def}`);
    exclusions.forEach((x, j) => {
      const elem = x.List.items[0]!.IndexElem as { name?: string };
      if (elem.name) r.rename(list.elements[j]![0]!, elem.name);
    });
  }
  const out = r.result();
  return { sql: out.sql.slice(prefix.length), excluded: out.excluded };
}

/** pg_get_indexdef() output: key columns, expressions, INCLUDE and the partial index predicate. */
export function mapIndexDef(def: string, own: ColumnLookup): Mapped {
  const r = new Rewriter(def, own);
  const stmt = statementOf(def).IndexStmt as { indexParams: { IndexElem: { name?: string } }[]; indexIncludingParams?: { IndexElem: { name?: string } }[] };
  r.expressions(stmt);
  const lists = r.topLevelLists();
  const params = lists[0];
  if (!params || params.elements.length !== stmt.indexParams.length) throw new Error(`cannot map index columns in: ${def}`);
  stmt.indexParams.forEach((p, j) => {
    if (p.IndexElem.name) r.rename(params.elements[j]![0]!, p.IndexElem.name);
  });
  const including = stmt.indexIncludingParams ?? [];
  if (including.length) {
    const list = lists.find((l) => l.before[l.before.length - 1] === 'INCLUDE');
    if (!list || list.elements.length !== including.length) throw new Error(`cannot map INCLUDE columns in: ${def}`);
    including.forEach((p, j) => r.rename(list.elements[j]![0]!, p.IndexElem.name!));
  }
  return r.result();
}

/** pg_get_partkeydef() output, e.g. `RANGE (at, lower(kind))`. */
export function mapPartitionKey(keydef: string, own: ColumnLookup): Mapped {
  const prefix = 'CREATE TABLE t () PARTITION BY ';
  const r = new Rewriter(prefix + keydef, own);
  const stmt = statementOf(r.sql).CreateStmt as { partspec: { partParams: { PartitionElem: { name?: string; expr?: unknown; location: number } }[] } };
  for (const p of stmt.partspec.partParams) {
    if (p.PartitionElem.name) r.rename(r.tokenAt(p.PartitionElem.location), p.PartitionElem.name);
    else r.expressions(p.PartitionElem.expr);
  }
  const out = r.result();
  return { sql: out.sql.slice(prefix.length), excluded: out.excluded };
}
