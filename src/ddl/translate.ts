// One captured DDL statement -> what to run on the destination, or why nothing is run.
//
// Pure: the caller (the applier) supplies the selection and name resolution through DdlContext, and runs
// the result inside its destination transaction. Replicated: CREATE TABLE, DROP TABLE, ALTER TABLE
// (RENAME TO, RENAME COLUMN, ADD/DROP COLUMN, ALTER COLUMN TYPE/DEFAULT/NOT NULL, ADD/DROP CONSTRAINT) and
// CREATE INDEX. Everything else is skipped as unsupported.
//
// Why a statement is skipped, in the order the checks run (the first that applies is reported):
//   unsupported          the kind of statement is not replicated (or its form: TEMP, UNLOGGED, INHERITS, OF type, ...)
//   outside-selection    the table is not synced by the task (for CREATE: its schema is not selected whole)
//   ddl-disabled         the table's (or schema's) "ddl" is false
//   cascade-or-restrict  CASCADE or RESTRICT written in a DROP / ALTER (what it removes depends on the source's
//                        dependencies, which the destination does not share)
//   unsupported          one subcommand of an ALTER TABLE is not replicated (the whole statement is skipped)
//   excluded-column      the statement only concerns excluded columns (otherwise just those parts are left out
//                        and listed in the decision's `dropped`)
//   unsafe-expression    an expression calls a function that is not a side-effect-free built-in, a non-built-in
//                        operator or a subquery: it would run on the destination with the task's rights
//                        (expression-safety.ts; built-in calls are pinned to pg_catalog)
//   unsupported          pgsql-deparser cannot print the rewritten statement back exactly
import type { AlterTableStmt, CreateStmt, DropStmt, IndexStmt, Node, RenameStmt } from 'libpg-query';
import { commandTag } from './command-tag';
import { skip, type BehaviorCheck } from './decision';
import { explicitDropBehavior } from './drop-behavior';
import { NameMapper } from './mapping';
import { nodeBody, nodeType, parseStatements } from './parser';
import { translateAlterTable } from './translate-alter';
import { translateCreateTable } from './translate-create';
import { translateDropTable } from './translate-drop';
import { translateCreateIndex } from './translate-index';
import { translateRename } from './translate-rename';
import { translateMigrationDdl } from './translate-migration';
import { translateObjectDdl } from './translate-objects';
import type { DdlContext, DdlDecision } from './types';

export type { DdlContext, DdlDecision, DdlEffect, DroppedPart, SkipReason } from './types';

/** Translates one statement (e.g. findFiredStatement's `statement.sql`). The parser must be loaded. */
export function translateDdl(sql: string, ctx: DdlContext): DdlDecision {
  let stmts;
  try {
    stmts = parseStatements(sql);
  } catch (err) {
    return skip('unsupported', `cannot parse the statement: ${(err as Error).message}`);
  }
  if (stmts.length !== 1) return skip('unsupported', `expected one statement, got ${stmts.length}: pass the fired statement (findFiredStatement), not the whole query`);
  const node = stmts[0]!.stmt!;
  const names = new NameMapper(ctx.mapping);
  const behavior: BehaviorCheck = () => {
    const word = explicitDropBehavior(sql, node);
    return word ? { reason: 'cascade-or-restrict', detail: `${word} is written in the statement: what it removes depends on the source's own dependencies, so it is not replicated (run it on the destination yourself)` } : null;
  };
  switch (nodeType(node)) {
    case 'CreateStmt':
      return translateCreateTable(nodeBody<CreateStmt>(node), ctx, names);
    case 'AlterTableStmt':
      return translateAlterTable(nodeBody<AlterTableStmt>(node), ctx, names, behavior);
    case 'RenameStmt':
      return translateRename(nodeBody<RenameStmt>(node), ctx, names, behavior);
    case 'IndexStmt':
      return translateCreateIndex(nodeBody<IndexStmt>(node), ctx, names);
    case 'DropStmt': {
      const drop = nodeBody<DropStmt>(node);
      if (drop.removeType === 'OBJECT_TABLE') return translateDropTable(drop, ctx, names, behavior);
      break;
    }
  }
  // Statements on other kinds of objects: everyday migration DDL (indexes, constraints, sequences, types,
  // comments), then views, routines, triggers, rules and policies. Each returns null when it is not theirs.
  return (
    translateMigrationDdl(node as Node, ctx, names, behavior, sql) ??
    translateObjectDdl(node as Node, ctx, names, behavior, sql) ??
    skip('unsupported', `${commandTag(node as Node)} is not replicated`)
  );
}
