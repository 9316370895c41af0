// Column definitions and constraints (CREATE TABLE, ALTER TABLE ADD ...) mapped to destination names.
//
// What cannot be reproduced on the destination is reported as a Problem: the caller leaves the part out
// when the reason is an excluded column or a foreign key to a table the task does not sync (the same as
// the schema phase, which creates such tables without those constraints), and refuses the whole
// statement when it is unsupported.
import type { ColumnDef, Constraint, DefElem, IndexElem, Node, RangeVar } from 'libpg-query';
import { scopeOf, targetRangeVar, type NameMapper, type TableScope } from './mapping';
import { nodeBody, nodeType, stringList, stringNode } from './parser';
import type { Problem } from './decision';
import type { DdlContext, DroppedPart } from './types';

const excludedProblem = (what: string, columns: string[]): Problem => ({
  reason: 'excluded-column',
  detail: `${what} uses excluded column(s) ${columns.join(', ')}: left out on the destination`,
});

const isAttribute = (n: Node): boolean => nodeType(n) === 'Constraint' && String(nodeBody<Constraint>(n).contype).startsWith('CONSTR_ATTR_');

export class DefinitionMapper {
  constructor(
    private readonly ctx: DdlContext,
    private readonly names: NameMapper,
    private readonly scope: TableScope,
  ) {}

  /** The table a foreign key references, as a scope; a Problem when the task does not sync it. */
  private referenced(pktable: RangeVar): TableScope | Problem {
    const self = this.scope.source;
    const written = pktable.schemaname ? `${pktable.schemaname}.${pktable.relname}` : pktable.relname!;
    const resolved = this.ctx.resolveTable(pktable.schemaname ? { schema: pktable.schemaname, name: pktable.relname! } : { name: pktable.relname! });
    if (resolved && resolved.schema === self.schema && resolved.name === self.name) return this.scope;
    // A table created with a foreign key to itself is not known to the caller yet.
    if (!resolved && pktable.relname === self.name && (!pktable.schemaname || pktable.schemaname === self.schema)) return this.scope;
    if (!resolved || !this.ctx.isSelected(resolved)) {
      return { reason: 'outside-selection', detail: `references ${written}, a table the task does not sync: left out on the destination` };
    }
    return scopeOf(this.ctx.mapping, resolved);
  }

  private indexElem(elem: IndexElem, excluded: string[]): void {
    if (elem.name) {
      const mapped = this.scope.column(elem.name);
      if (mapped === null) excluded.push(elem.name);
      else elem.name = mapped;
    }
    if (elem.expr) excluded.push(...this.names.expression(elem.expr, this.scope));
  }

  /** Maps a constraint in place; null when it is fine as mapped. */
  constraint(con: Constraint, what: string): Problem | null {
    const excluded: string[] = [];
    switch (con.contype) {
      case 'CONSTR_NULL':
        return null;
      case 'CONSTR_NOTNULL':
        // `NOT NULL col` as a table constraint is PostgreSQL 18 syntax; the column forms are everywhere.
        if (con.keys?.length) return { reason: 'unsupported', detail: `${what}: NOT NULL constraints on named columns (PostgreSQL 18 syntax) are not replicated; use ALTER COLUMN ... SET NOT NULL` };
        return null;
      case 'CONSTR_DEFAULT':
      case 'CONSTR_CHECK':
      case 'CONSTR_GENERATED':
        excluded.push(...this.names.expression(con.raw_expr, this.scope));
        break;
      case 'CONSTR_IDENTITY':
        for (const o of con.options ?? []) {
          const opt = nodeBody<DefElem>(o);
          if (opt.defname === 'sequence_name' && nodeType(opt.arg) === 'List') {
            const list = nodeBody<{ items?: Node[] }>(opt.arg);
            list.items = this.names.objectName(stringList(list.items)).map(stringNode);
          }
        }
        return null;
      case 'CONSTR_PRIMARY':
      case 'CONSTR_UNIQUE':
        excluded.push(...this.names.columnList(con.keys, this.scope), ...this.names.columnList(con.including, this.scope));
        delete con.indexspace; // tablespaces are the destination's own business (as in the schema phase)
        break;
      case 'CONSTR_EXCLUSION':
        for (const x of con.exclusions ?? []) {
          const elem = nodeBody<{ items?: Node[] }>(x).items?.[0];
          if (nodeType(elem) === 'IndexElem') this.indexElem(nodeBody<IndexElem>(elem), excluded);
        }
        excluded.push(...this.names.columnList(con.including, this.scope), ...this.names.expression(con.where_clause, this.scope));
        delete con.indexspace;
        break;
      case 'CONSTR_FOREIGN': {
        excluded.push(...this.names.columnList(con.fk_attrs, this.scope), ...this.names.columnList(con.fk_del_set_cols, this.scope));
        if (excluded.length) return excludedProblem(what, excluded);
        const ref = this.referenced(con.pktable!);
        if ('reason' in ref) return { ...ref, detail: `${what} ${ref.detail}` };
        const refExcluded = this.names.columnList(con.pk_attrs, ref);
        if (refExcluded.length) return excludedProblem(`${what} (referenced columns of ${ref.source.schema}.${ref.source.name})`, refExcluded);
        con.pktable = targetRangeVar(con.pktable!, ref.target);
        return null;
      }
      default:
        if (String(con.contype).startsWith('CONSTR_ATTR_')) return null; // DEFERRABLE, INITIALLY ..., [NOT] ENFORCED
        return { reason: 'unsupported', detail: `${what}: ${String(con.contype)} is not replicated` };
    }
    return excluded.length ? excludedProblem(what, excluded) : null;
  }

  /**
   * Maps constraints in a list, removing those that cannot be reproduced (with the DEFERRABLE / INITIALLY
   * attributes that follow them in a column's list). An unsupported one is returned: the statement is refused.
   */
  constraintList(list: Node[] | undefined, what: (con: Constraint) => string, dropped: DroppedPart[]): { list: Node[]; unsupported?: Problem } {
    const out: Node[] = [];
    let droppingAttributes = false;
    for (const n of list ?? []) {
      if (droppingAttributes && isAttribute(n)) continue;
      droppingAttributes = false;
      if (nodeType(n) !== 'Constraint') {
        out.push(n);
        continue;
      }
      const con = nodeBody<Constraint>(n);
      const problem = this.constraint(con, what(con));
      if (!problem) {
        out.push(n);
        continue;
      }
      if (problem.reason === 'unsupported') return { list: out, unsupported: problem };
      dropped.push({ reason: problem.reason as DroppedPart['reason'], detail: problem.detail });
      droppingAttributes = true;
    }
    return { list: out };
  }

  /** Maps a column definition in place; a Problem when the column itself is excluded or unsupported. */
  column(def: ColumnDef, dropped: DroppedPart[]): Problem | null {
    const source = def.colname!;
    const mapped = this.scope.column(source);
    if (mapped === null) return { reason: 'excluded-column', detail: `column ${source} of ${this.scope.source.schema}.${this.scope.source.name} is in excludeColumns: not added on the destination` };
    def.colname = mapped;
    this.names.typeName(def.typeName);
    if (def.raw_default) {
      const ex = this.names.expression(def.raw_default, this.scope);
      if (ex.length) return excludedProblem(`the default of column ${source}`, ex);
    }
    const { list, unsupported } = this.constraintList(def.constraints, (c) => `${constraintLabel(c)} of column ${source}`, dropped);
    if (unsupported) return unsupported;
    def.constraints = list;
    if (!list.length) delete def.constraints;
    return null;
  }
}

export function constraintLabel(con: Constraint): string {
  const kind: Record<string, string> = {
    CONSTR_CHECK: 'check constraint', CONSTR_PRIMARY: 'primary key', CONSTR_UNIQUE: 'unique constraint',
    CONSTR_FOREIGN: 'foreign key', CONSTR_EXCLUSION: 'exclusion constraint', CONSTR_DEFAULT: 'default',
    CONSTR_GENERATED: 'generated column expression', CONSTR_NOTNULL: 'not-null constraint', CONSTR_IDENTITY: 'identity',
  };
  const label = kind[String(con.contype)] ?? 'constraint';
  return con.conname ? `${label} ${con.conname}` : label;
}
