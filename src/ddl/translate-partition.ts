// ALTER TABLE <parent> ATTACH PARTITION / DETACH PARTITION [CONCURRENTLY | FINALIZE] on a table the task syncs.
//
// ATTACH: the attached table's rows become rows of the parent. When the task already synced that table
// (a table created in a whole-selected schema, `CREATE TABLE p_2027 (LIKE p INCLUDING ALL)`, loaded, then
// attached) the destination has the same rows and the ATTACH is exact. Otherwise the destination does not
// have them: the partition is created there (LIKE the destination parent), attached, and the parent is
// copied again (recopy.ts), so the rows of the attached table arrive too.
//
// DETACH: replayed as a plain DETACH (CONCURRENTLY cannot run inside the applier's transaction, and
// FINALIZE completes on the source what already happened at once on the destination). The detached table
// keeps its rows on both sides; in a schema the task selects whole it stays synced as a table of its own (the
// capture publishes it in the detaching transaction), elsewhere the task stops following it (noted).
import type { AlterTableCmd, AlterTableStmt, Node, PartitionCmd } from 'libpg-query';
import { isIdentityMapping, type TableRef } from '../catalog/names';
import { ident, qualified } from '../util/sql';
import { applyNothing, applyTree, skip } from './decision';
import { refText, scopeOf, targetRangeVar, type NameMapper } from './mapping';
import { nodeBody } from './parser';
import type { DdlContext, DdlDecision, DdlEffect, DroppedPart } from './types';

const PARTITION_COMMANDS = new Set(['AT_AttachPartition', 'AT_DetachPartition', 'AT_DetachPartitionFinalize']);

export const isPartitionCommand = (cmd: AlterTableCmd): boolean => PARTITION_COMMANDS.has(String(cmd.subtype));

/** `parent` is resolved, selected and has DDL enabled (checked by the caller). */
export function translatePartitionCommand(stmt: AlterTableStmt, ctx: DdlContext, names: NameMapper, parent: TableRef): DdlDecision {
  if ((stmt.cmds ?? []).length !== 1) return skip('unsupported', 'ATTACH/DETACH PARTITION together with other subcommands is not replicated');
  const cmd = nodeBody<AlterTableCmd>(stmt.cmds![0]!);
  const partCmd = nodeBody<PartitionCmd>(cmd.def);
  const rv = partCmd.name!;
  const schema = rv.schemaname ?? ctx.resolveTable({ name: rv.relname! })?.schema ?? ctx.searchPath[0];
  if (!schema) return skip('unsupported', 'no schema for the partition: the search path is empty');
  const partition: TableRef = { schema, name: rv.relname! };
  const parentScope = scopeOf(ctx.mapping, parent);
  const target = scopeOf(ctx.mapping, partition).target;
  stmt.relation = targetRangeVar(stmt.relation!, parentScope.target);
  partCmd.name = targetRangeVar(rv, target);
  const subtype = String(cmd.subtype);
  if (subtype === 'AT_DetachPartitionFinalize') return applyNothing(ctx, names, []);
  if (subtype === 'AT_DetachPartition') {
    delete partCmd.concurrent;
    const dropped: DroppedPart[] = ctx.selectsWholeSchema(partition.schema)
      ? []
      : [{ reason: 'outside-selection', detail: `${refText(partition)} is detached from ${refText(parent)} and is not in a schema the task selects whole: it stays on the destination as it is now, no longer synced` }];
    return applyTree(ctx, names, { AlterTableStmt: stmt } as Node, [{ type: 'alter-table', table: parent }], dropped);
  }
  if (!isIdentityMapping(ctx.mapping, parent)) {
    return skip('unsupported', `${refText(parent)} has renamed or excluded columns on the destination: attach ${refText(partition)} there yourself, then copy it again with modifyObjects`);
  }
  const effects: DdlEffect[] = [{ type: 'alter-table', table: parent }];
  const synced = ctx.isSelected(partition);
  if (!synced) effects.push({ type: 'recopy-table', table: parent, reason: `ATTACH PARTITION brought the rows of ${refText(partition)}, which the task did not sync, into ${refText(parent)}` });
  const decision = applyTree(ctx, names, { AlterTableStmt: stmt } as Node, effects);
  if (decision.kind === 'apply' && !synced) {
    // The destination has no such table: an empty one of the parent's shape, filled by the copy.
    decision.statements.unshift(
      ...(target.schema !== parentScope.target.schema ? [`CREATE SCHEMA IF NOT EXISTS ${ident(target.schema)}`] : []),
      `CREATE TABLE IF NOT EXISTS ${qualified(target)} (LIKE ${qualified(parentScope.target)})`,
    );
  }
  return decision;
}
