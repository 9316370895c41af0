// Parse tree -> SQL for the destination, with pgsql-deparser, checked by parsing the output again.
//
// pgsql-deparser 18.3.8 is not lossless: it drops INCLUDE (...), WITH (...) and USING INDEX TABLESPACE of
// PRIMARY KEY / UNIQUE / EXCLUDE constraints, leaves `USING INDEX name` unquoted, prints a schema-qualified
// exclusion operator as its schema alone, and prints a DEFAULT of
// `x AT TIME ZONE 'utc'` without the parentheses the grammar needs. The subclass below fixes those for the
// statements pg-dts emits. And whatever else it might get wrong, the output is only used when the parser
// reads it back to exactly the tree that was deparsed (token positions aside); otherwise the caller gets a
// clear refusal instead of a statement that means something else on the destination.
import type { Constraint, Node, TableLikeClause } from 'libpg-query';
import type * as DeparserLib from 'pgsql-deparser';
import { nodeBody, nodeType, parseStatements, stringList, treeShape } from './parser';

type Context = Parameters<DeparserLib.Deparser['Constraint']>[1];

// Loaded on first use: DDL is rare, and the deparser costs a worker ~9 MB of memory it would otherwise
// hold for nothing (the streams' memory bound is 300 MB).
let lib: typeof DeparserLib | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const deparserLib = (): typeof DeparserLib => (lib ??= require('pgsql-deparser') as typeof DeparserLib);

const quote = (name: string): string => deparserLib().QuoteUtils.quoteIdentifier(name);

/** Expressions a DEFAULT (a b_expr in the grammar) may hold without parentheses. */
const PLAIN_DEFAULT = new Set(['A_Const', 'ColumnRef', 'TypeCast', 'SQLValueFunction', 'A_ArrayExpr', 'ParamRef', 'CoalesceExpr', 'MinMaxExpr', 'CaseExpr']);

let ddlDeparser: ReturnType<typeof defineDdlDeparser> | undefined;

function defineDdlDeparser(Deparser: typeof DeparserLib.Deparser) {
  return class DdlDeparser extends Deparser {
    override needsBExprParens(node: Node): boolean {
      if (super.needsBExprParens(node)) return true;
      const type = nodeType(node);
      if (type === 'A_Expr') return false; // binary operators: the base class decided
      // SQL-syntax calls (x AT TIME ZONE y, x IS NORMALIZED, ...) are a_expr only; ordinary calls are fine.
      if (type === 'FuncCall') return nodeBody<{ funcformat?: string }>(node).funcformat === 'COERCE_SQL_SYNTAX';
      return !PLAIN_DEFAULT.has(type);
    }

    /** The parser gives LIKE's relation as a bare RangeVar, which the base class prints as nothing. */
    override TableLikeClause(node: TableLikeClause, context: Context): string {
      const relation = node.relation && !('RangeVar' in node.relation) ? ({ RangeVar: node.relation } as unknown as TableLikeClause['relation']) : node.relation;
      return super.TableLikeClause({ ...node, relation }, context);
    }

    /** INCLUDE, WITH and USING INDEX TABLESPACE of an index-backed constraint (all dropped by the base class). */
    private indexParameters(node: Constraint, context: Context): string[] {
      const out: string[] = [];
      const including = stringList(node.including).map(quote);
      if (including.length) out.push(`INCLUDE (${including.join(', ')})`);
      if (node.options?.length) out.push(`WITH (${node.options.map((o) => this.visit(o, context)).join(', ')})`);
      if (node.indexspace) out.push('USING INDEX TABLESPACE', quote(node.indexspace));
      return out;
    }

    override Constraint(node: Constraint, context: Context): string {
      const out: string[] = [];
      if (node.contype === 'CONSTR_PRIMARY' || node.contype === 'CONSTR_UNIQUE') {
        if (node.conname) out.push('CONSTRAINT', quote(node.conname));
        out.push(node.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE');
        if (node.nulls_not_distinct) out.push('NULLS NOT DISTINCT');
        if (node.indexname) {
          out.push('USING INDEX', quote(node.indexname));
        } else {
          const keys = stringList(node.keys).map(quote);
          if (keys.length) {
            if (node.without_overlaps) keys[keys.length - 1] += ' WITHOUT OVERLAPS';
            out.push(`(${keys.join(', ')})`);
          }
          out.push(...this.indexParameters(node, context));
        }
      } else if (node.contype === 'CONSTR_EXCLUSION') {
        if (node.conname) out.push('CONSTRAINT', quote(node.conname));
        out.push('EXCLUDE');
        if (node.access_method) out.push('USING', quote(node.access_method));
        // Each element is [IndexElem, [operator name parts]]; a qualified operator needs OPERATOR(...).
        const elements = (node.exclusions ?? []).map((x) => {
          const [elem, op] = nodeBody<{ items?: Node[] }>(x).items ?? [];
          const parts = stringList(nodeBody<{ items?: Node[] }>(op).items);
          const operator = parts.length > 1 ? `OPERATOR(${parts.slice(0, -1).map(quote).join('.')}.${parts[parts.length - 1]})` : parts[0];
          return `${this.visit(elem!, context)} WITH ${operator}`;
        });
        out.push(`(${elements.join(', ')})`, ...this.indexParameters(node, context));
        if (node.where_clause) out.push(`WHERE (${this.visit(node.where_clause, context)})`);
      } else {
        return super.Constraint(node, context);
      }
      if (node.deferrable) out.push('DEFERRABLE');
      if (node.initdeferred) out.push('INITIALLY DEFERRED');
      return out.join(' ');
    }
  };
}

/** Removes drop behaviors that are the default: the deparser would print `DROP COLUMN x RESTRICT`. */
function withoutDefaultBehavior(tree: unknown): unknown {
  if (Array.isArray(tree)) return tree.map(withoutDefaultBehavior);
  if (!tree || typeof tree !== 'object') return tree;
  return Object.fromEntries(
    Object.entries(tree)
      .filter(([k, v]) => !(k === 'behavior' && v === 'DROP_RESTRICT'))
      .map(([k, v]) => [k, withoutDefaultBehavior(v)]),
  );
}

export type Deparsed = { ok: true; sql: string } | { ok: false; detail: string };

/** SQL for one statement's tree, only if it parses back to the same tree. */
export function deparseExact(stmt: Node): Deparsed {
  let sql: string;
  try {
    ddlDeparser ??= defineDdlDeparser(deparserLib().Deparser);
    sql = new ddlDeparser(withoutDefaultBehavior(stmt) as Node, { pretty: false }).deparseQuery();
  } catch (err) {
    return { ok: false, detail: `pgsql-deparser cannot print it: ${(err as Error).message}` };
  }
  let back;
  try {
    back = parseStatements(sql);
  } catch (err) {
    return { ok: false, detail: `pgsql-deparser printed invalid SQL (${(err as Error).message}): ${sql}` };
  }
  if (back.length !== 1 || treeShape(back[0]!.stmt) !== treeShape(stmt)) {
    return { ok: false, detail: `pgsql-deparser does not reproduce the statement exactly (it printed: ${sql})` };
  }
  return { ok: true, sql };
}
