// Statements on an object the destination may lack for good reasons: the schema phase and replicated
// DDL leave out constraints and indexes on excluded columns and foreign keys to tables not synced. Where
// PostgreSQL has no IF EXISTS (VALIDATE / RENAME CONSTRAINT, COMMENT ON), the statement runs only if the
// object is there; the part that left it out was reported when it happened.
import type { TableRef } from '../catalog/names';
import { literal, qualified } from '../util/sql';
import type { DdlDecision } from './types';

/** The condition "constraint `name` exists on destination table `target`". */
export const constraintExists = (target: TableRef, name: string): string =>
  `SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass(${literal(qualified(target))}) AND conname = ${literal(name)}`;

/** The condition "index `name` exists in destination schema `schema`". */
export const indexExists = (schema: string, name: string): string =>
  `SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${literal(schema)} AND c.relname = ${literal(name)} AND c.relkind IN ('i', 'I')`;

/** Runs each statement of an applied decision only when `condition` returns a row on the destination. */
export function guarded(decision: DdlDecision, condition: string): DdlDecision {
  if (decision.kind !== 'apply') return decision;
  return { ...decision, statements: decision.statements.map((sql) => guardedStatement(sql, condition)) };
}

function guardedStatement(sql: string, condition: string): string {
  // The statement travels as a string literal (EXECUTE), so no text of it can end the DO body early.
  const body = `BEGIN IF EXISTS (${condition}) THEN EXECUTE ${literal(sql)}; END IF; END`;
  let tag = 'pgdts';
  for (let i = 0; body.includes(`$${tag}$`); i++) tag = `pgdts${i}`;
  return `DO $${tag}$ ${body} $${tag}$`;
}
