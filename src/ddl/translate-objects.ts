// DDL of non-table objects: views, materialized views (incl. REFRESH), functions, procedures, aggregates,
// triggers, rules, policies. Returns null for statements of other kinds.
import type { Node } from 'libpg-query';
import type { BehaviorCheck } from './decision';
import type { NameMapper } from './mapping';
import type { DdlContext, DdlDecision } from './types';

export function translateObjectDdl(_node: Node, _ctx: DdlContext, _names: NameMapper, _behavior: BehaviorCheck, _sql: string): DdlDecision | null {
  return null;
}
