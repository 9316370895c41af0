// ALTER TABLE ... RENAME TO, RENAME COLUMN, RENAME CONSTRAINT, and ALTER INDEX ... RENAME TO.
//
// A table rename is followed only where the selection follows it: a table selected through its whole
// schema stays selected under its new name, while a table listed by name in objects[].tables would leave
// the selection (the list still names the old table), so that rename needs the user's modifyObjects.
import type { Node, RenameStmt } from 'libpg-query';
import { objectEntryFor, targetTableName } from '../catalog/names';
import { commandTag } from './command-tag';
import { applyNothing, applyTree, existingTableProblem, skip, type BehaviorCheck } from './decision';
import { constraintExists, guarded } from './guard';
import { refText, scopeOf, targetRangeVar, type NameMapper } from './mapping';
import type { DdlContext, DdlDecision } from './types';

function renameTable(stmt: RenameStmt, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck): DdlDecision {
  const rv = stmt.relation!;
  const from = ctx.resolveTable(rv.schemaname ? { schema: rv.schemaname, name: rv.relname! } : { name: rv.relname! });
  const problem = existingTableProblem(ctx, from, rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname!) ?? behavior();
  if (problem) return skip(problem.reason, problem.detail);
  const to = { schema: from!.schema, name: stmt.newname! };
  const entry = objectEntryFor(ctx.mapping, from!.schema);
  if (entry?.tables) {
    return skip(
      'unsupported',
      `${refText(from!)} is listed by name in objects[].tables, so renaming it to ${stmt.newname} takes it out of the task's selection: ` +
        'rename it on the destination yourself and send modifyObjects with the new name',
    );
  }
  if (entry?.excludeTables?.includes(to.name)) {
    return skip('outside-selection', `${refText(from!)} was renamed to ${to.name}, which is in excludeTables: it leaves the selection (the destination keeps the old table)`);
  }
  const fromTarget = targetTableName(ctx.mapping, from!);
  const toTarget = targetTableName(ctx.mapping, to);
  const effects = [{ type: 'rename-table' as const, from: from!, to }];
  // E.g. "Orders" -> orders under nameCase lower: the destination name does not change.
  if (fromTarget.schema === toTarget.schema && fromTarget.name === toTarget.name) return applyNothing(ctx, names, effects);
  stmt.relation = targetRangeVar(rv, fromTarget);
  stmt.newname = toTarget.name;
  return applyTree(ctx, names, { RenameStmt: stmt } as Node, effects);
}

function renameColumn(stmt: RenameStmt, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck): DdlDecision {
  const rv = stmt.relation!;
  const table = ctx.resolveTable(rv.schemaname ? { schema: rv.schemaname, name: rv.relname! } : { name: rv.relname! });
  const problem = existingTableProblem(ctx, table, rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname!) ?? behavior();
  if (problem) return skip(problem.reason, problem.detail);
  const scope = scopeOf(ctx.mapping, table!);
  const from = scope.column(stmt.subname!);
  const to = scope.column(stmt.newname!);
  const what = `RENAME COLUMN ${stmt.subname} TO ${stmt.newname} of ${refText(table!)}`;
  if (from === null) return skip('excluded-column', `${what}: ${stmt.subname} is in excludeColumns, not on the destination`);
  if (to === null) return skip('excluded-column', `${what}: the new name is in excludeColumns; the destination keeps column ${from} (update excludeColumns/columns with modifyObjects)`);
  const effects = [{ type: 'alter-table' as const, table: table! }];
  if (from === to) return applyNothing(ctx, names, effects);
  stmt.relation = targetRangeVar(rv, scope.target);
  stmt.subname = from;
  stmt.newname = to;
  return applyTree(ctx, names, { RenameStmt: stmt } as Node, effects);
}

/** ALTER TABLE ... RENAME CONSTRAINT: constraint names are kept on the destination. */
function renameConstraint(stmt: RenameStmt, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck): DdlDecision {
  const rv = stmt.relation!;
  const table = ctx.resolveTable(rv.schemaname ? { schema: rv.schemaname, name: rv.relname! } : { name: rv.relname! });
  const problem = existingTableProblem(ctx, table, rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname!) ?? behavior();
  if (problem) return skip(problem.reason, problem.detail);
  const target = targetTableName(ctx.mapping, table!);
  stmt.relation = targetRangeVar(rv, target);
  // A constraint the destination left out (excluded column, foreign key to a table not synced) stays out.
  return guarded(applyTree(ctx, names, { RenameStmt: stmt } as Node, [{ type: 'alter-table', table: table! }]), constraintExists(target, stmt.subname!));
}

/**
 * ALTER INDEX ... RENAME TO, on an index of a synced table: the index lives in its table's destination
 * schema under its own name. The capture names the renamed index (and its table) by its new name.
 */
function renameIndex(stmt: RenameStmt, ctx: DdlContext, names: NameMapper): DdlDecision {
  const rv = stmt.relation!;
  const written = rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname!;
  const index = ctx.resolveObject?.('index', rv.schemaname ? { schema: rv.schemaname, name: stmt.newname! } : { name: stmt.newname! }) ?? null;
  if (!index) return skip('outside-selection', `ALTER INDEX ${written}: the source renamed no index of that name (IF EXISTS of a missing index, or not an index)`);
  if (!index.table) return skip('unsupported', `ALTER INDEX ${written}: the capture does not say which table the index is on`);
  const problem = existingTableProblem(ctx, index.table, refText(index.table));
  if (problem) return skip(problem.reason, `index ${written}: ${problem.detail}`);
  const target = targetTableName(ctx.mapping, index.table);
  stmt.relation = targetRangeVar(rv, { schema: target.schema, name: rv.relname! });
  // The destination has no index where the schema phase or CREATE INDEX left it out (excluded column).
  stmt.missing_ok = true;
  return applyTree(ctx, names, { RenameStmt: stmt } as Node, [{ type: 'alter-table', table: index.table }]);
}

export function translateRename(stmt: RenameStmt, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck): DdlDecision {
  if (stmt.renameType === 'OBJECT_TABLE') return renameTable(stmt, ctx, names, behavior);
  if (stmt.renameType === 'OBJECT_COLUMN' && stmt.relationType === 'OBJECT_TABLE') return renameColumn(stmt, ctx, names, behavior);
  if (stmt.renameType === 'OBJECT_TABCONSTRAINT') return renameConstraint(stmt, ctx, names, behavior);
  if (stmt.renameType === 'OBJECT_INDEX') return renameIndex(stmt, ctx, names);
  const what = stmt.renameType === 'OBJECT_COLUMN' ? 'RENAME COLUMN' : 'RENAME';
  return skip('unsupported', `${commandTag({ RenameStmt: stmt } as Node)} ... ${what} is not replicated`);
}
