// Generates destination DDL from source definitions, with names mapped. Every statement is idempotent
// (IF NOT EXISTS, or duplicate_object swallowed) so a retried schema step converges instead of failing.
import type { TaskSpec } from '../spec/schema';
import { tableKey, targetTableName, type TableRef } from '../catalog/names';
import { ident, literal, qualified } from '../util/sql';
import type { SequenceDef, TableDef } from './introspect';
import type { UserTypeDef } from './user-types';

export interface SchemaPlan {
  /** Schemas, types, sequences and tables with their PK/UNIQUE/CHECK: needed before data is copied. */
  beforeData: string[];
  /**
   * After the data, per table (groups are independent and run in parallel, each in order): deferred
   * PK/UNIQUE constraints, then secondary indexes — cheaper to build once than to maintain row by row.
   */
  afterData: string[][];
  /** Foreign keys: after every group, since they need the referenced keys. */
  foreignKeys: string[];
  /** Foreign keys not created because the referenced table is not selected. */
  skippedForeignKeys: string[];
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces server-printed qualified names with others, only where one stands as a whole name, in ONE pass:
 * one regular expression for all names (longest first, so "public.t_id_seq" wins over "public.t"), built
 * once per plan — a regex per name and statement made planning 1 000 tables take seconds.
 */
export function nameReplacer(renames: readonly (readonly [string, string])[]): (sql: string) => string {
  if (!renames.length) return (sql) => sql;
  const to = new Map<string, string>();
  for (const [from, target] of renames) if (!to.has(from)) to.set(from, target);
  const alternatives = [...to.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(?<![A-Za-z0-9_$".])(?:${alternatives.join('|')})(?![A-Za-z0-9_$"])`, 'g');
  return (sql) => sql.replace(pattern, (m) => to.get(m) ?? m);
}

/** Replaces a server-printed qualified name with another, only where it stands as a whole name. */
export function replaceQualifiedName(sql: string, from: string, to: string): string {
  return nameReplacer([[from, to]])(sql);
}

const ignoreDuplicate = (statement: string): string =>
  `DO $pgdts$ BEGIN ${statement}; EXCEPTION WHEN duplicate_object OR duplicate_table THEN NULL; END $pgdts$`;

function sequenceOptions(s: SequenceDef): string {
  return `START WITH ${s.start} INCREMENT BY ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} CACHE ${s.cache} ${s.cycle ? 'CYCLE' : 'NO CYCLE'}`;
}

export class DdlGenerator {
  private readonly renames: [string, string][] = [];

  constructor(
    private readonly spec: TaskSpec,
    private readonly tables: TableDef[],
    private readonly types: UserTypeDef[],
    tableRegclassText: Map<string, string>,
    /** Create PK/UNIQUE after the data (tables that are the task's own and start empty). */
    private readonly deferKeys = false,
  ) {
    for (const t of types) this.renames.push([t.sqlText, qualified(this.mapped(t.ref))]);
    for (const def of tables) {
      for (const { sequence } of def.ownedSequences) this.renames.push([sequence.regclassText, qualified(this.mapped(sequence.ref))]);
      const text = tableRegclassText.get(tableKey(def.ref));
      if (text) this.renames.push([text, qualified(this.mapped(def.ref))]);
    }
    this.rewrite = nameReplacer(this.renames);
  }

  private readonly rewrite: (sql: string) => string;

  private mapped(ref: TableRef): TableRef {
    return targetTableName(this.spec, ref);
  }


  private typeStatement(t: UserTypeDef): string {
    const name = qualified(this.mapped(t.ref));
    switch (t.kind) {
      case 'enum':
        return ignoreDuplicate(`CREATE TYPE ${name} AS ENUM (${t.labels.map(literal).join(', ')})`);
      case 'composite':
        return ignoreDuplicate(`CREATE TYPE ${name} AS (${t.attributes.map((a) => `${ident(a.name)} ${this.rewrite(a.typeSql)}`).join(', ')})`);
      case 'domain': {
        const parts = [`CREATE DOMAIN ${name} AS ${this.rewrite(t.baseTypeSql ?? 'text')}`];
        if (t.defaultSql) parts.push(`DEFAULT ${this.rewrite(t.defaultSql)}`);
        if (t.notNull) parts.push('NOT NULL');
        parts.push(...t.checks.map((c) => this.rewrite(c)));
        return ignoreDuplicate(parts.join(' '));
      }
    }
  }

  private columnSql(c: TableDef['columns'][number]): string {
    const parts = [ident(c.name), this.rewrite(c.typeSql)];
    if (c.generatedSql) parts.push(`GENERATED ALWAYS AS (${this.rewrite(c.generatedSql)}) STORED`);
    if (c.identity) {
      const kind = c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT';
      const opts = c.identitySequence ? ` (${sequenceOptions(c.identitySequence)})` : '';
      parts.push(`GENERATED ${kind} AS IDENTITY${opts}`);
    }
    if (c.defaultSql && !c.identity) parts.push(`DEFAULT ${this.rewrite(c.defaultSql)}`);
    if (c.notNull) parts.push('NOT NULL');
    return parts.join(' ');
  }

  private tableStatement(def: TableDef): string {
    const items = def.columns.map((c) => this.columnSql(c));
    for (const con of def.constraints) {
      if (con.type === 'f' || (this.deferKeys && (con.type === 'p' || con.type === 'u'))) continue;
      items.push(`CONSTRAINT ${ident(con.name)} ${this.rewrite(con.definition)}`);
    }
    return `CREATE TABLE IF NOT EXISTS ${qualified(this.mapped(def.ref))} (\n  ${items.join(',\n  ')}\n)`;
  }

  /** ADD CONSTRAINT only if absent: a retried step must converge (a second PRIMARY KEY is an error). */
  private keyStatement(def: TableDef, con: TableDef['constraints'][number]): string {
    const table = qualified(this.mapped(def.ref));
    return (
      `DO $pgdts$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = ${literal(table)}::regclass AND conname = ${literal(con.name)}) ` +
      `THEN ALTER TABLE ${table} ADD CONSTRAINT ${ident(con.name)} ${this.rewrite(con.definition)}; END IF; END $pgdts$`
    );
  }

  private indexStatement(def: TableDef, index: { definition: string }): string {
    const withIfNotExists = index.definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS ');
    return this.rewrite(withIfNotExists);
  }

  private foreignKeyStatement(def: TableDef, con: TableDef['constraints'][number]): string | null {
    const selected = this.tables.some((t) => tableKey(t.ref) === tableKey(con.refTable!));
    if (!selected) return null;
    // pg_get_constraintdef: FOREIGN KEY (cols) REFERENCES tbl(cols) [MATCH ..] [ON ..] [DEFERRABLE ..] [NOT VALID]
    const tail = /REFERENCES\s+(?:"(?:[^"]|"")*"|[^\s(])+\s*\((?:"(?:[^"]|"")*"|[^)])*\)(.*)$/s.exec(con.definition)?.[1] ?? '';
    const stmt =
      `ALTER TABLE ${qualified(this.mapped(def.ref))} ADD CONSTRAINT ${ident(con.name)} ` +
      `FOREIGN KEY (${con.columns.map(ident).join(', ')}) REFERENCES ${qualified(this.mapped(con.refTable!))} ` +
      `(${con.refColumns!.map(ident).join(', ')})${tail}`;
    return ignoreDuplicate(stmt);
  }

  plan(): SchemaPlan {
    const schemas = new Set<string>();
    for (const t of this.types) schemas.add(this.mapped(t.ref).schema);
    for (const def of this.tables) {
      schemas.add(this.mapped(def.ref).schema);
      for (const { sequence } of def.ownedSequences) schemas.add(this.mapped(sequence.ref).schema);
    }
    const beforeData = [...schemas].map((s) => `CREATE SCHEMA IF NOT EXISTS ${ident(s)}`);
    beforeData.push(...this.types.map((t) => this.typeStatement(t)));
    for (const def of this.tables) {
      for (const { sequence } of def.ownedSequences) {
        beforeData.push(`CREATE SEQUENCE IF NOT EXISTS ${qualified(this.mapped(sequence.ref))} AS ${sequence.dataType} ${sequenceOptions(sequence)}`);
      }
    }
    beforeData.push(...this.tables.map((def) => this.tableStatement(def)));
    for (const def of this.tables) {
      for (const { sequence, column } of def.ownedSequences) {
        beforeData.push(`ALTER SEQUENCE ${qualified(this.mapped(sequence.ref))} OWNED BY ${qualified(this.mapped(def.ref))}.${ident(column)}`);
      }
    }
    const afterData: string[][] = [];
    const foreignKeys: string[] = [];
    const skippedForeignKeys: string[] = [];
    for (const def of this.tables) {
      const keys = this.deferKeys ? def.constraints.filter((c) => c.type === 'p' || c.type === 'u').map((c) => this.keyStatement(def, c)) : [];
      const group = [...keys, ...def.indexes.map((i) => this.indexStatement(def, i))];
      if (group.length) afterData.push(group);
    }
    for (const def of this.tables) {
      for (const con of def.constraints.filter((c) => c.type === 'f')) {
        const stmt = this.foreignKeyStatement(def, con);
        if (stmt) foreignKeys.push(stmt);
        else skippedForeignKeys.push(`${tableKey(def.ref)}.${con.name} -> ${tableKey(con.refTable!)}`);
      }
    }
    return { beforeData, afterData, foreignKeys, skippedForeignKeys };
  }
}
