// View and materialized view definitions compared across server versions. pg_get_viewdef prints a
// query over one relation with every column qualified before PostgreSQL 16 (`SELECT items.id FROM
// vs.items`) and bare from 16 on (`SELECT id FROM vs.items`), so a task from 15 to 17 would show every
// such view as different. Two definitions are the same when their parse trees (the real parser, after
// loadColumnParser) are, once positions are dropped and, in a SELECT over a single relation, column
// references qualified by that relation are made bare — what the newer server prints.
import { parseSync } from 'libpg-query';

type Node = Record<string, unknown>;

/** The name a single-relation FROM list lets columns go without (alias, else the relation's name), or null. */
function singleRelation(select: Node): string | null {
  const from = select.fromClause as Node[] | undefined;
  const rv = from?.length === 1 ? (from[0]!.RangeVar as Node | undefined) : undefined;
  if (!rv) return null;
  return ((rv.alias as Node | undefined)?.aliasname as string | undefined) ?? (rv.relname as string);
}

function normalize(node: unknown, bare: string | null): unknown {
  if (Array.isArray(node)) return node.map((n) => normalize(n, bare));
  if (!node || typeof node !== 'object') return node;
  const out: Node = {};
  for (const [key, value] of Object.entries(node as Node)) {
    if (key === 'location' || key === 'stmt_location' || key === 'stmt_len') continue;
    if (key === 'SelectStmt') out[key] = normalize(value, singleRelation(value as Node));
    else if (key === 'ColumnRef') {
      const fields = ((value as Node).fields as Node[] | undefined) ?? [];
      const first = (fields[0]?.String as Node | undefined)?.sval;
      out[key] = { fields: fields.length === 2 && bare !== null && first === bare ? fields.slice(1) : fields };
    } else out[key] = normalize(value, bare);
  }
  return out;
}

const tree = (sql: string): string => JSON.stringify(normalize(parseSync(sql).stmts, null));

/** Whether two view (or materialized view) definitions are the same query; false when either does not parse. */
export function sameViewDefinition(a: string, b: string): boolean {
  try {
    return tree(a) === tree(b);
  } catch {
    return false;
  }
}
