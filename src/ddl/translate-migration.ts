// Everyday migration DDL on objects other than tables: DROP INDEX, sequences (translate-sequence.ts),
// types and enums (translate-type.ts), COMMENT ON (translate-comment.ts). ALTER INDEX ... RENAME and
// RENAME / VALIDATE CONSTRAINT are with the table's renames and ALTERs. Returns null for statements of
// other kinds.
import type { CommentStmt, DropStmt, Node } from 'libpg-query';
import { targetTableName } from '../catalog/names';
import { existingTableProblem, type BehaviorCheck } from './decision';
import { refText, type NameMapper } from './mapping';
import { nodeBody, nodeType } from './parser';
import { qualifiedList, translateDropOf, type DropTarget } from './schema-objects';
import { translateComment } from './translate-comment';
import { translateSequenceDdl } from './translate-sequence';
import { translateTypeDdl } from './translate-type';
import type { DdlContext, DdlDecision } from './types';

/**
 * DROP INDEX of indexes of synced tables (the capture says which table each dropped index was on), in
 * their table's destination schema; CONCURRENTLY removed, IF EXISTS added (translateDropOf).
 */
function dropIndex(stmt: DropStmt, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck): DdlDecision {
  return translateDropOf('index', stmt, ctx, names, behavior, (index): DropTarget => {
    const label = `index ${index.schema}.${index.name}`;
    if (!index.table) return { problem: { reason: 'unsupported', detail: `DROP INDEX ${index.schema}.${index.name}: the capture does not say which table the index was on` } };
    const problem = existingTableProblem(ctx, index.table, refText(index.table));
    if (problem) return { problem: { reason: problem.reason, detail: `${label}: ${problem.detail}` } };
    return { kept: qualifiedList({ schema: targetTableName(ctx.mapping, index.table).schema, name: index.name }), table: index.table };
  });
}

export function translateMigrationDdl(node: Node, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck, _sql: string): DdlDecision | null {
  const type = nodeType(node);
  if (type === 'DropStmt' && nodeBody<DropStmt>(node).removeType === 'OBJECT_INDEX') return dropIndex(nodeBody<DropStmt>(node), ctx, names, behavior);
  if (type === 'CommentStmt') return translateComment(nodeBody<CommentStmt>(node), ctx, names);
  return translateSequenceDdl(node, ctx, names, behavior) ?? translateTypeDdl(node, ctx, names, behavior);
}
