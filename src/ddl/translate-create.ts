// CREATE TABLE: replicated for plain and partitioned (PARTITION BY) tables created in a schema the task
// selects as a whole (the new table joins the selection), with columns, defaults, NOT NULL, and PRIMARY KEY /
// UNIQUE / CHECK / EXCLUDE / FOREIGN KEY constraints mapped to destination names. A partition (PARTITION OF)
// is replicated when its parent is a table the task syncs, wherever the partition's schema: its rows are
// published through the root, so without it on the destination the stream would stop at its first row.
import type { ColumnDef, Constraint, CreateStmt, Node, RangeVar, TableLikeClause } from 'libpg-query';
import { isIdentityMapping, objectEntryFor } from '../catalog/names';
import { applyTree, existingTableProblem, skip, type Problem } from './decision';
import { constraintLabel, DefinitionMapper } from './definitions';
import { refText, scopeOf, targetRangeVar, type NameMapper } from './mapping';
import { nodeBody, nodeType } from './parser';
import { ident } from '../util/sql';
import type { DdlContext, DdlDecision, DroppedPart } from './types';

function unsupportedForm(stmt: CreateStmt): string | null {
  const persistence = stmt.relation?.relpersistence;
  if (persistence === 't' || stmt.relation?.schemaname?.startsWith('pg_temp')) return 'temporary tables are not replicated';
  if (persistence === 'u') return 'unlogged tables are not replicated (their changes are not in the WAL)';
  if (stmt.inhRelations?.length) return 'tables with INHERITS are not replicated';
  if (stmt.ofTypename) return 'typed tables (OF type) are not replicated';
  return null;
}

export function translateCreateTable(stmt: CreateStmt, ctx: DdlContext, names: NameMapper): DdlDecision {
  if (stmt.partbound) return translateCreatePartition(stmt, ctx, names);
  const form = unsupportedForm(stmt);
  if (form) return skip('unsupported', form);
  const schema = stmt.relation!.schemaname ?? ctx.searchPath[0];
  if (!schema) return skip('unsupported', 'no schema to create the table in: the search path is empty');
  const source = { schema, name: stmt.relation!.relname! };
  if (!ctx.selectsWholeSchema(schema)) {
    return skip('outside-selection', `${refText(source)} was created in schema ${schema}, which the task does not select as a whole (only whole-schema selections adopt new tables; add it with modifyObjects)`);
  }
  if (objectEntryFor(ctx.mapping, schema)?.excludeTables?.includes(source.name)) {
    return skip('outside-selection', `${refText(source)} is in excludeTables of schema ${schema}`);
  }
  if (!ctx.ddlEnabled(source)) return skip('ddl-disabled', `DDL is disabled ("ddl": false) for schema ${schema}`);

  const scope = scopeOf(ctx.mapping, source);
  // PARTITION BY names key columns (or expressions over them) by their source names.
  for (const p of stmt.partspec?.partParams ?? []) {
    const elem = nodeBody<{ name?: string; expr?: unknown }>(p as Node);
    if (elem.expr || (elem.name && scope.column(elem.name) !== elem.name)) {
      return skip('unsupported', `the partition key of ${refText(source)} is an expression or a column renamed on the destination; create it there yourself and add it with modifyObjects`);
    }
  }
  const defs = new DefinitionMapper(ctx, names, scope);
  const dropped: DroppedPart[] = [];
  const elements: Node[] = [];
  for (const element of stmt.tableElts ?? []) {
    if (nodeType(element) === 'ColumnDef') {
      const problem = defs.column(nodeBody<ColumnDef>(element), dropped);
      if (problem?.reason === 'unsupported') return skip('unsupported', problem.detail);
      if (problem) dropped.push({ reason: problem.reason as DroppedPart['reason'], detail: problem.detail });
      else elements.push(element);
    } else if (nodeType(element) === 'Constraint') {
      const { list, unsupported } = defs.constraintList([element], (c: Constraint) => `${constraintLabel(c)} of ${refText(source)}`, dropped);
      if (unsupported) return skip('unsupported', unsupported.detail);
      elements.push(...list);
    } else if (nodeType(element) === 'TableLikeClause') {
      const problem = likeProblem(nodeBody<TableLikeClause>(element), ctx);
      if (problem) return skip(problem.reason, problem.detail);
      elements.push(element);
    } else {
      return skip('unsupported', `CREATE TABLE element ${nodeType(element)} is not replicated`);
    }
  }
  stmt.tableElts = elements;
  if (!elements.length) delete stmt.tableElts;
  stmt.relation = targetRangeVar(stmt.relation!, scope.target);
  delete stmt.tablespacename; // tablespaces are the destination's own business (as in the schema phase)
  return applyTree(ctx, names, { CreateStmt: stmt } as Node, [{ type: 'create-table', table: source }], dropped);
}

/**
 * LIKE copies a definition the statement does not spell out: exact on the destination only from the same
 * table there, i.e. a synced table whose columns keep their names (none renamed or excluded). Mapped in place.
 */
function likeProblem(like: TableLikeClause, ctx: DdlContext): Problem | null {
  const rv = like.relation!;
  const written = rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname!;
  const ref = ctx.resolveTable(rv.schemaname ? { schema: rv.schemaname, name: rv.relname! } : { name: rv.relname! });
  const problem = existingTableProblem(ctx, ref, written);
  if (problem) return { reason: problem.reason, detail: `LIKE ${written}: ${problem.detail}` };
  if (!isIdentityMapping(ctx.mapping, ref!)) {
    return { reason: 'unsupported', detail: `LIKE ${written}: its columns are renamed or excluded on the destination, so the copied definition would differ` };
  }
  like.relation = targetRangeVar(rv, scopeOf(ctx.mapping, ref!).target);
  return null;
}

/** CREATE TABLE … PARTITION OF a synced table: the partition under its mapped name, of the mapped parent. */
function translateCreatePartition(stmt: CreateStmt, ctx: DdlContext, names: NameMapper): DdlDecision {
  const persistence = stmt.relation?.relpersistence;
  if (persistence === 't' || persistence === 'u') return skip('unsupported', 'temporary or unlogged partitions are not replicated');
  const parentVar = nodeBody<RangeVar>((stmt.inhRelations ?? [])[0] as Node);
  const written = { schema: parentVar.schemaname, name: parentVar.relname! };
  const parent = ctx.resolveTable(written);
  const problem = existingTableProblem(ctx, parent, written.schema ? `${written.schema}.${written.name}` : written.name);
  if (problem) return skip(problem.reason, problem.detail);
  if (stmt.tableElts?.length) return skip('unsupported', `partition ${stmt.relation!.relname} declares its own columns or constraints, which is not replicated; create it on the destination yourself`);
  const schema = stmt.relation!.schemaname ?? ctx.searchPath[0];
  if (!schema) return skip('unsupported', 'no schema to create the partition in: the search path is empty');
  const parentTarget = scopeOf(ctx.mapping, parent!).target;
  const target = scopeOf(ctx.mapping, { schema, name: stmt.relation!.relname! }).target;
  stmt.inhRelations = [{ RangeVar: targetRangeVar(parentVar, parentTarget) } as Node];
  stmt.relation = targetRangeVar(stmt.relation!, target);
  delete stmt.tablespacename;
  const decision = applyTree(ctx, names, { CreateStmt: stmt } as Node, [{ type: 'alter-table', table: parent! }]);
  // A partition may live in a schema the task does not select: the destination needs that schema too.
  if (decision.kind === 'apply' && target.schema !== parentTarget.schema) decision.statements.unshift(`CREATE SCHEMA IF NOT EXISTS ${ident(target.schema)}`);
  return decision;
}
