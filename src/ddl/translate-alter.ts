// ALTER TABLE with one or more subcommands: ADD COLUMN, DROP COLUMN, ALTER COLUMN ... TYPE [USING],
// SET/DROP DEFAULT, SET/DROP NOT NULL, SET STATISTICS, SET/RESET (column options), ADD/DROP/VALIDATE
// CONSTRAINT, SET/RESET (storage parameters). A subcommand about an excluded
// column (or a constraint that uses one, or a foreign key to a table not synced) is left out and reported;
// any other subcommand makes the whole statement unsupported (applying only part of it could leave the
// destination in a state the source never had).
import type { AlterTableCmd, AlterTableStmt, ColumnDef, Constraint, Node } from 'libpg-query';
import { applyTree, existingTableProblem, skip, type BehaviorCheck, type Problem } from './decision';
import { constraintLabel, DefinitionMapper } from './definitions';
import { constraintExists, guarded } from './guard';
import { refText, scopeOf, targetRangeVar, type NameMapper, type TableScope } from './mapping';
import { nodeBody } from './parser';
import { recopyReason } from './recopy';
import { isPartitionCommand, translatePartitionCommand } from './translate-partition';
import type { DdlContext, DdlDecision, DdlEffect, DroppedPart } from './types';

/** Subcommands naming an existing column in `name`. */
const COLUMN_COMMANDS: Record<string, string> = {
  AT_DropColumn: 'DROP COLUMN',
  AT_AlterColumnType: 'ALTER COLUMN ... TYPE',
  AT_ColumnDefault: 'ALTER COLUMN ... SET/DROP DEFAULT',
  AT_SetNotNull: 'ALTER COLUMN ... SET NOT NULL',
  AT_DropNotNull: 'ALTER COLUMN ... DROP NOT NULL',
  AT_SetStatistics: 'ALTER COLUMN ... SET STATISTICS',
  AT_SetOptions: 'ALTER COLUMN ... SET (...)',
  AT_ResetOptions: 'ALTER COLUMN ... RESET (...)',
};

class AlterMapper {
  readonly dropped: DroppedPart[] = [];
  private readonly defs: DefinitionMapper;

  constructor(
    ctx: DdlContext,
    private readonly names: NameMapper,
    private readonly scope: TableScope,
  ) {
    this.defs = new DefinitionMapper(ctx, names, scope);
  }

  private get table(): string {
    return refText(this.scope.source);
  }

  /** Maps one subcommand in place; a Problem when it is left out (or, if unsupported, the statement refused). */
  command(cmd: AlterTableCmd): Problem | null {
    const subtype = String(cmd.subtype);
    if (subtype === 'AT_AddColumn') return this.defs.column(nodeBody<ColumnDef>(cmd.def), this.dropped);
    if (subtype === 'AT_AddConstraint') {
      const con = nodeBody<Constraint>(cmd.def);
      return this.defs.constraint(con, `ADD ${constraintLabel(con)} on ${this.table}`);
    }
    // After ADD CONSTRAINT ... NOT VALID: constraint names are kept on the destination.
    if (subtype === 'AT_ValidateConstraint') return null;
    // Storage parameters (fillfactor, autovacuum_*): the table's own settings, names of PostgreSQL's.
    if (subtype === 'AT_SetRelOptions' || subtype === 'AT_ResetRelOptions') return null;
    if (subtype === 'AT_DropConstraint') {
      // Constraint names are kept on the destination. One may be missing there for good reasons (the
      // schema phase leaves out constraints on excluded columns and foreign keys to tables not synced), so
      // dropping it must not fail the task: IF EXISTS.
      cmd.missing_ok = true;
      return null;
    }
    const what = COLUMN_COMMANDS[subtype];
    if (!what) return { reason: 'unsupported', detail: `ALTER TABLE subcommand ${subtype.replace(/^AT_/, '')} is not replicated` };
    // SET STATISTICS by column number (an index's expression column) names no column to map.
    if (!cmd.name) return { reason: 'unsupported', detail: `${what} by column number is not replicated` };
    const source = cmd.name;
    const mapped = this.scope.column(source);
    if (mapped === null) return { reason: 'excluded-column', detail: `${what} of column ${source} of ${this.table}: the column is in excludeColumns, not on the destination` };
    cmd.name = mapped;
    if (subtype === 'AT_AlterColumnType') {
      const def = nodeBody<ColumnDef>(cmd.def);
      this.names.typeName(def.typeName);
      // raw_default holds the USING expression.
      const excluded = this.names.expression(def.raw_default, this.scope);
      if (excluded.length) return { reason: 'excluded-column', detail: `the USING expression of ${what} of column ${source} uses excluded column(s) ${excluded.join(', ')}: left out on the destination` };
    } else if (subtype === 'AT_ColumnDefault') {
      this.names.expression(cmd.def, this.scope);
    }
    return null;
  }
}

export function translateAlterTable(stmt: AlterTableStmt, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck): DdlDecision {
  if (stmt.objtype !== 'OBJECT_TABLE') return skip('unsupported', `ALTER ${String(stmt.objtype).replace(/^OBJECT_/, '')} is not replicated`);
  const rv = stmt.relation!;
  const source = ctx.resolveTable(rv.schemaname ? { schema: rv.schemaname, name: rv.relname! } : { name: rv.relname! });
  const problem = existingTableProblem(ctx, source, rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname!) ?? behavior();
  if (problem) return skip(problem.reason, problem.detail);
  if ((stmt.cmds ?? []).some((n) => isPartitionCommand(nodeBody<AlterTableCmd>(n)))) return translatePartitionCommand(stmt, ctx, names, source!);
  const scope = scopeOf(ctx.mapping, source!);
  const mapper = new AlterMapper(ctx, names, scope);
  const kept: Node[] = [];
  const leftOut: Problem[] = [];
  const recopies: string[] = [];
  for (const n of stmt.cmds ?? []) {
    // Before mapping: what the source evaluated, as written there.
    const recopy = recopyReason(nodeBody<AlterTableCmd>(n));
    const p = mapper.command(nodeBody<AlterTableCmd>(n));
    if (!p && recopy) recopies.push(recopy);
    if (p?.reason === 'unsupported') return skip('unsupported', p.detail);
    if (p) leftOut.push(p);
    else kept.push(n);
  }
  if (!kept.length) {
    const first = leftOut[0]!;
    return skip(first.reason, leftOut.map((p) => p.detail).join('; '));
  }
  stmt.cmds = kept;
  stmt.relation = targetRangeVar(rv, scope.target);
  const dropped = [...mapper.dropped, ...leftOut.map((p) => ({ reason: p.reason as DroppedPart['reason'], detail: p.detail }))];
  const effects: DdlEffect[] = [{ type: 'alter-table', table: source! }];
  if (recopies.length) effects.push({ type: 'recopy-table', table: source!, reason: recopies.join('; ') });
  const decision = applyTree(ctx, names, { AlterTableStmt: stmt } as Node, effects, dropped);
  // VALIDATE alone (as migrations write it) of a constraint the destination left out (it uses an excluded
  // column, or references a table not synced) has nothing to validate there.
  const only = kept.length === 1 ? nodeBody<AlterTableCmd>(kept[0]) : null;
  return only?.subtype === 'AT_ValidateConstraint' ? guarded(decision, constraintExists(scope.target, only.name!)) : decision;
}
