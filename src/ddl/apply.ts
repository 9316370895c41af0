// From a captured DDL message to what the applier does with it: the statements to run on the destination
// (names mapped), or a refusal with its reason — logged and counted in `status`, never silent.
// The translation itself is pure (translate.ts); this adds what only the stream knows: the session's
// replication role, whether the DDL ran nested in a function, whether its transaction already changed rows
// of selected tables, and the task's selection as it stands.
import type { Mapping, TableRef } from '../catalog/names';
import { objectEntryFor, tableOperations } from '../catalog/names';
import type { CapturedDdl } from './capture';
import { capturedNames, keepSourceNames } from './keep-names';
import { findFiredStatement } from './statements';
import { translateDdl } from './translate';
import type { CapturedObject, DdlDecision, DdlEffect, ObjectKind, SkipReason } from './types';

/** Why a DDL was not replicated: the translator's reasons and the stream's own. */
export type RefusalReason = SkipReason | 'replica-role' | 'in-function' | 'mixed-with-rows' | 'capture-failed' | 'unparsable' | 'unverified' | 'name-collision' | 'partition-missing' | 'repair-refused';

export type ReplayDecision =
  | { kind: 'apply'; statement: string; statements: string[]; effects: DdlEffect[]; searchPath: string[]; notes: string[]; commitAfter?: true }
  | { kind: 'refuse'; reason: RefusalReason; statement: string; detail: string };

export interface Selection {
  /** The table is synced by the task now (listed, or in a schema selected whole). */
  isSelected(ref: TableRef): boolean;
}

/** Splits a quoted-as-needed qualified identity (`app."My Table"`) into its parts. */
export function splitIdentity(identity: string): string[] {
  const parts: string[] = [];
  const re = /"((?:[^"]|"")*)"|([^."]+)/g;
  for (let m = re.exec(identity); m; m = re.exec(identity)) parts.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!);
  return parts;
}

/** Is `schema` selected whole (no "tables" list), `table` not excluded from it? */
export function inWholeSchema(mapping: Mapping, ref: TableRef): boolean {
  const entry = objectEntryFor(mapping, ref.schema);
  return !!entry && !entry.tables && !(entry.excludeTables ?? []).includes(ref.name);
}

export function decideDdl(captured: CapturedDdl, mapping: Mapping, selection: Selection, txnChangedTables: ReadonlySet<string>): ReplayDecision {
  const refuse = (reason: RefusalReason, detail: string, statement = captured.query): ReplayDecision => ({ kind: 'refuse', reason, statement, detail });
  if (captured.captureError) return refuse('capture-failed', `the source could not capture it: ${captured.captureError}`);
  if (captured.role === 'replica') {
    return refuse('replica-role', 'run in a session with session_replication_role = replica (another replication applying it): not replicated again');
  }
  const fired = findFiredStatement(captured.query, { tag: captured.tag, ordinal: captured.ordinal, nested: captured.nested });
  if (fired.kind === 'in-function') return refuse('in-function', fired.detail);
  if (fired.kind === 'unparsable') return refuse('unparsable', fired.detail);
  const statement = fired.statement.sql;
  const tables = capturedTables(captured);
  if (txnChangedTables.size) {
    return refuse('mixed-with-rows', `its transaction had already changed rows of ${[...txnChangedTables].join(', ')}: DDL and data of selected tables in one transaction are not replicated`, statement);
  }
  const decision: DdlDecision = translateDdl(statement, {
    mapping,
    searchPath: captured.searchPath,
    resolveTable: (name) => resolveTable(name, tables, captured.searchPath),
    isSelected: (ref) => selection.isSelected(ref),
    selectsWholeSchema: (schema) => {
      const entry = objectEntryFor(mapping, schema);
      return !!entry && !entry.tables;
    },
    ddlEnabled: (ref) => tableOperations(mapping, ref).ddl,
    resolveObject: (kind, name) => resolveObject(captured, kind, name),
  });
  if (decision.kind === 'skip') return refuse(decision.reason, decision.detail, statement);
  if (captured.unverified) {
    return refuse('unverified', `the capture was not written by the event trigger of a finished ${captured.tag} (the recorder was called from inside another statement): not replayed`, statement);
  }
  // Constraints and indexes the statement created under names PostgreSQL generated: the source's names.
  const named = capturedNames(captured, (schema, identity) => {
    const parts = splitIdentity(identity);
    return parts.length === 2 && parts[0] === schema ? { schema, name: parts[1]! } : null;
  }).filter((t) => selection.isSelected(t.table) || captured.tag === 'CREATE TABLE');
  const renames = decision.statements.length ? keepSourceNames(named, mapping) : [];
  return {
    kind: 'apply', statement, statements: [...decision.statements, ...renames], effects: decision.effects, searchPath: decision.searchPath,
    notes: decision.dropped.map((d) => `${d.reason}: ${d.detail}`),
    ...(decision.commitAfter ? { commitAfter: true as const } : {}),
  };
}

/** Tables (and the schemas of other objects) the capture saw the statement touch. */
function capturedTables(c: CapturedDdl): { refs: TableRef[]; schemas: string[]; dropping: boolean } {
  const refs: TableRef[] = [];
  const schemas: string[] = [];
  for (const o of c.objects ?? []) {
    if (o.schema) schemas.push(o.schema);
    if (o.type === 'table' || o.type === 'table column' || o.type === 'table constraint') {
      // A constraint's identity is `name on schema.table`.
      const parts = splitIdentity(o.type === 'table constraint' ? o.identity.slice(o.identity.lastIndexOf(' on ') + 4) : o.identity);
      if (parts.length >= 2) refs.push({ schema: parts[0]!, name: parts[1]! });
    }
  }
  for (const d of c.dropped ?? []) {
    if (d.schema) schemas.push(d.schema);
    if (d.type === 'table' && d.schema && d.name) refs.push({ schema: d.schema, name: d.name });
  }
  return { refs, schemas, dropping: !!c.dropped?.length };
}

const OBJECT_TYPES: Record<ObjectKind, string[]> = { index: ['index'], sequence: ['sequence'], type: ['type', 'composite type'] };

/** An index, sequence or type the statement named -> the captured object (its schema, its table). */
function resolveObject(c: CapturedDdl, kind: ObjectKind, name: { schema?: string; name: string }): CapturedObject | null {
  const fits = (schema: string | null, objName: string | null): boolean => !!schema && objName === name.name && (!name.schema || name.schema === schema);
  for (const d of c.dropped ?? []) {
    if (OBJECT_TYPES[kind].includes(d.type) && fits(d.schema, d.name)) return { schema: d.schema!, name: d.name!, ...(d.table ? { table: d.table } : {}) };
  }
  for (const o of c.objects ?? []) {
    if (!OBJECT_TYPES[kind].includes(o.type)) continue;
    // A type's identity may carry [] (its array type) — never the one a statement names.
    const parts = splitIdentity(o.identity);
    if (parts.length === 2 && fits(parts[0]!, parts[1]!)) return { schema: parts[0]!, name: parts[1]!, ...(o.table ? { table: o.table } : {}) };
  }
  return null;
}

/**
 * A name as the statement wrote it -> the source table. Qualified names are what they say; an unqualified
 * one is the captured table of that name, else lives where the statement's other objects do (an index is
 * always in its table's schema), else in the first schema of the session's search path.
 */
function resolveTable(name: { schema?: string; name: string }, seen: ReturnType<typeof capturedTables>, searchPath: string[]): TableRef | null {
  const match = seen.refs.find((r) => r.name === name.name && (!name.schema || r.schema === name.schema));
  if (match) return match;
  // A DROP names what it dropped: a name not among them (DROP … IF EXISTS of a missing table) is nothing.
  if (seen.dropping) return null;
  if (name.schema) return { schema: name.schema, name: name.name };
  const schema = seen.schemas[0] ?? searchPath[0];
  return schema ? { schema, name: name.name } : null;
}

