// Building DdlDecisions: a refusal with its reason, or the deparsed destination statement.
import type { Node } from 'libpg-query';
import type { TableRef } from '../catalog/names';
import { deparseExact } from './deparse';
import { unsafeExpression } from './expression-safety';
import type { NameMapper } from './mapping';
import type { DdlContext, DdlDecision, DdlEffect, DroppedPart, SkipReason } from './types';

export const skip = (reason: SkipReason, detail: string): DdlDecision => ({ kind: 'skip', reason, detail });

/** A reason not to replicate a statement or a part of it. */
export interface Problem {
  reason: SkipReason;
  detail: string;
}

export const isProblem = (x: unknown): x is Problem => !!x && typeof x === 'object' && 'reason' in x && 'detail' in x;

/**
 * The destination statement for a rewritten tree (refused when the deparser cannot print it exactly).
 * `evaluated: false` for statements that store code without running it (a view's query, a function's body,
 * a trigger's WHEN): their expressions are not checked by expression-safety.ts; the caller decides.
 */
export function applyTree(ctx: DdlContext, names: NameMapper, stmt: Node, effects: DdlEffect[], dropped: DroppedPart[] = [], evaluated = true): DdlDecision {
  const unsafe = evaluated ? unsafeExpression(stmt) : null;
  if (unsafe) return skip('unsafe-expression', unsafe);
  const out = deparseExact(stmt);
  if (!out.ok) return skip('unsupported', out.detail);
  return { kind: 'apply', statements: [out.sql], effects, dropped, searchPath: names.searchPath(ctx.searchPath) };
}

/** A statement that changes nothing on the destination but whose effect the applier must still know. */
export function applyNothing(ctx: DdlContext, names: NameMapper, effects: DdlEffect[]): DdlDecision {
  return { kind: 'apply', statements: [], effects, dropped: [], searchPath: names.searchPath(ctx.searchPath) };
}

/** Reports an explicit CASCADE / RESTRICT of the statement being translated (checked after the selection). */
export type BehaviorCheck = () => Problem | null;

/** The checks every statement on an existing table goes through, in this order. */
export function existingTableProblem(ctx: DdlContext, ref: TableRef | null, written: string): Problem | null {
  if (!ref) return { reason: 'outside-selection', detail: `table ${written} is not a table the task knows on the source` };
  if (!ctx.isSelected(ref)) return { reason: 'outside-selection', detail: `table ${ref.schema}.${ref.name} is not selected by the task` };
  if (!ctx.ddlEnabled(ref)) return { reason: 'ddl-disabled', detail: `DDL is disabled ("ddl": false) for ${ref.schema}.${ref.name}` };
  return null;
}
