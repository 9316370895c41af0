// Small idempotent statement builders: every statement of a schema plan may run again (a retried
// activity, or conflictingTables=ignore over tables that already exist) and must then change nothing.
import { ident, literal, qualified } from '../util/sql';
import type { TableRef } from '../catalog/names';
import type { SequenceDef } from './introspect';

/** Runs a statement, treating "already exists" as done. */
export const ignoreDuplicate = (statement: string): string =>
  `DO $pgdts$ BEGIN ${statement}; EXCEPTION WHEN duplicate_object OR duplicate_table THEN NULL; END $pgdts$`;

/** ADD CONSTRAINT only if absent: a retried step must converge (a second PRIMARY KEY is an error). */
export function addConstraintIfAbsent(table: TableRef, name: string, definition: string): string {
  return (
    `DO $pgdts$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = ${literal(qualified(table))}::regclass AND conname = ${literal(name)}) ` +
    `THEN ALTER TABLE ${qualified(table)} ADD CONSTRAINT ${ident(name)} ${definition}; END IF; END $pgdts$`
  );
}

export function sequenceOptions(s: SequenceDef): string {
  return `START WITH ${s.start} INCREMENT BY ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} CACHE ${s.cache} ${s.cycle ? 'CYCLE' : 'NO CYCLE'}`;
}

export function createSequence(target: TableRef, s: SequenceDef): string {
  return `CREATE SEQUENCE IF NOT EXISTS ${qualified(target)} AS ${s.dataType} ${sequenceOptions(s)}`;
}

/** COMMENT ON … (idempotent by nature: it replaces the comment). `what` is e.g. `TABLE "s"."t"`. */
export const commentOn = (what: string, comment: string): string => `COMMENT ON ${what} IS ${literal(comment)}`;

/**
 * Gives a partition's key constraint (created by the parent's, under a name the server chose) its source
 * name: the index attached to `parentIndex` on `table` is renamed, which renames its constraint too.
 */
export function renameAttachedIndex(table: TableRef, parentIndex: TableRef, name: string): string {
  return (
    `DO $pgdts$ DECLARE cur name; BEGIN ` +
    `SELECT c.relname INTO cur FROM pg_inherits h JOIN pg_index x ON x.indexrelid = h.inhrelid JOIN pg_class c ON c.oid = h.inhrelid ` +
    `WHERE h.inhparent = to_regclass(${literal(qualified(parentIndex))}) AND x.indrelid = ${literal(qualified(table))}::regclass; ` +
    `IF cur IS NOT NULL AND cur <> ${literal(name)} THEN ` +
    `EXECUTE format('ALTER INDEX %I.%I RENAME TO %I', ${literal(table.schema)}, cur, ${literal(name)}); END IF; END $pgdts$`
  );
}

/** Attaches a partition's index to its parent's (pg_dump's way), unless it already is. */
export function attachIndex(parentIndex: TableRef, index: TableRef): string {
  return (
    `DO $pgdts$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = ${literal(qualified(index))}::regclass) ` +
    `THEN ALTER INDEX ${qualified(parentIndex)} ATTACH PARTITION ${qualified(index)}; END IF; END $pgdts$`
  );
}

/** `CREATE [UNIQUE] INDEX name` -> `… IF NOT EXISTS name`. */
export const indexIfNotExists = (definition: string): string =>
  definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS ');
