// Everyday migration DDL on objects other than tables: indexes (DROP, ALTER ... RENAME), constraints
// (VALIDATE, RENAME), sequences, types and enums, COMMENT ON. Returns null for statements of other kinds.
import type { Node } from 'libpg-query';
import type { BehaviorCheck } from './decision';
import type { NameMapper } from './mapping';
import type { DdlContext, DdlDecision } from './types';

export function translateMigrationDdl(_node: Node, _ctx: DdlContext, _names: NameMapper, _behavior: BehaviorCheck, _sql: string): DdlDecision | null {
  return null;
}
