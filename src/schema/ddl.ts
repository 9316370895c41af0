// Generates destination DDL from source definitions, with names mapped (schemas, tables, types and
// sequences through the name rewriter below, columns through column-map.ts). Every statement is
// idempotent (IF NOT EXISTS, guarded DO blocks, or duplicate_object swallowed) so a retried schema step
// converges instead of failing, and so does conflictingTables=ignore over tables that exist.
import { columnMapper, isIdentityMapping, tableKey, targetSchemaName, targetTableName, type Mapping, type TableRef } from '../catalog/names';
import { ident, literal, qualified } from '../util/sql';
import { mapConstraintDef, mapExpression, mapIndexDef, mapPartitionKey, type ColumnLookup, type Mapped } from './column-map';
import type { ColumnDef, ConstraintDef, SequenceDef, TableDef } from './introspect';
import type { UserTypeDef } from './user-types';
import {
  addConstraintIfAbsent, attachIndex, commentOn, createSequence, ignoreDuplicate, indexIfNotExists, renameAttachedIndex, sequenceOptions,
} from './statements';

export interface SchemaPlan {
  /** Schemas, types, sequences, tables and partitions with CHECK (and PK/UNIQUE unless deferred): before data. */
  beforeData: string[];
  /**
   * After the data, per selected table with its partitions (groups are independent and run in parallel,
   * each in order): deferred PK/UNIQUE, then secondary indexes — cheaper to build once than to maintain
   * row by row — and the comments on them.
   */
  afterData: string[][];
  /** Foreign keys: after every group, since they need the referenced keys. */
  foreignKeys: string[];
  /** Foreign keys not created because the referenced table is not selected. */
  skippedForeignKeys: string[];
  /** Constraints, indexes and generated columns not created because they use an excluded column. */
  skippedForExcludedColumns: string[];
}

export interface PlanInput {
  spec: Mapping;
  /** The selected tables; a partitioned one carries its partitions. */
  tables: TableDef[];
  types: UserTypeDef[];
  /** Sequences of wholly selected schemas that no planned column owns or uses. */
  standaloneSequences: SequenceDef[];
  /** Source schemas to create (the selected ones and those of every planned object), with comments. */
  schemas: { name: string; comment: string | null }[];
  /** How the server prints each planned table and partition as a regclass (search_path ''), by tableKey. */
  regclassText: Map<string, string>;
  /** Create PK/UNIQUE after the data (tables that are the task's own and start empty). */
  deferKeys?: boolean;
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

/** The spec asks for something the schema cannot have (e.g. a partition key column excluded). */
export class SchemaSpecError extends Error {}

/** One table of the plan (a selected table or one of its partitions) and how its columns map. */
interface TableCtx {
  def: TableDef;
  /** The selected table it belongs to: the spec's per-table column rules are the root's. */
  root: TableDef;
  target: TableRef;
  /** null: the mapping changes no column name (definitions are used as the server printed them). */
  lookup: ColumnLookup | null;
  /** The lookup even when it changes nothing (a foreign key to a table whose columns are renamed needs it). */
  anyLookup: ColumnLookup;
  /** Destination column names (excluded ones absent), for the table's own statements. */
  column: (source: string) => string | null;
}

export class DdlGenerator {
  private readonly rewrite: (sql: string) => string;
  private readonly contexts = new Map<string, TableCtx>();
  private readonly skipped: string[] = [];

  constructor(private readonly input: PlanInput) {
    const renames: [string, string][] = [];
    for (const t of input.types) renames.push([t.sqlText, qualified(this.mapped(t.ref))]);
    for (const s of this.sequences()) renames.push([s.seq.regclassText, qualified(this.mapped(s.seq.ref))]);
    for (const root of input.tables) {
      for (const def of [root, ...root.partitions]) {
        for (const c of def.columns) if (c.identitySequence) renames.push([c.identitySequence.regclassText, qualified(this.mapped(c.identitySequence.ref))]);
        const text = input.regclassText.get(tableKey(def.ref));
        if (text) renames.push([text, qualified(this.mapped(def.ref))]);
        this.contexts.set(tableKey(def.ref), this.context(def, root));
      }
    }
    this.rewrite = nameReplacer(renames);
  }

  private get spec(): Mapping {
    return this.input.spec;
  }

  private mapped(ref: TableRef): TableRef {
    return targetTableName(this.spec, ref);
  }

  private context(def: TableDef, root: TableDef): TableCtx {
    const mapper = columnMapper(this.spec, root.ref);
    const names = new Set(root.columns.map((c) => c.name));
    const lookup: ColumnLookup = (c) => (names.has(c) ? mapper(c) : undefined);
    return { def, root, target: this.mapped(def.ref), lookup: isIdentityMapping(this.spec, root.ref) ? null : lookup, anyLookup: lookup, column: mapper };
  }

  /**
   * A definition with the table's columns mapped, then the other names; null (and reported) when it uses
   * an excluded column. Identity mappings skip the parser: the server's text is used as printed.
   */
  private mapDef(ctx: TableCtx, sql: string, map: (lookup: ColumnLookup) => Mapped, what: string, parse = ctx.lookup !== null): string | null {
    if (!parse) return this.rewrite(sql);
    const m = map(ctx.anyLookup);
    if (m.excluded.length) {
      this.skipped.push(`${tableKey(ctx.def.ref)}: ${what} uses excluded column(s) ${m.excluded.join(', ')}`);
      return null;
    }
    return this.rewrite(m.sql);
  }

  private constraintSql(ctx: TableCtx, con: ConstraintDef): string | null {
    const kind = { p: 'primary key', u: 'unique constraint', c: 'check constraint', f: 'foreign key', x: 'exclusion constraint' }[con.type];
    const ref = con.refTable ? this.contexts.get(tableKey(con.refTable)) : undefined;
    const parse = ctx.lookup !== null || (ref?.lookup ?? null) !== null;
    return this.mapDef(ctx, con.definition, (own) => mapConstraintDef(con.definition, own, ref?.anyLookup ?? own), `${kind} ${con.name}`, parse);
  }

  private sequenceList?: { seq: SequenceDef; owner?: { table: TableRef; column: string } }[];

  /** Owned (serial) and default-named sequences of the planned tables, then the standalone ones; each once. */
  private sequences(): { seq: SequenceDef; owner?: { table: TableRef; column: string } }[] {
    return (this.sequenceList ??= this.collectSequences());
  }

  private collectSequences(): { seq: SequenceDef; owner?: { table: TableRef; column: string } }[] {
    const out = new Map<number, { seq: SequenceDef; owner?: { table: TableRef; column: string } }>();
    for (const root of this.input.tables) {
      for (const def of [root, ...root.partitions]) {
        for (const o of def.ownedSequences) out.set(o.sequence.oid, { seq: o.sequence, owner: { table: def.ref, column: o.column } });
        for (const s of def.defaultSequences) if (!out.has(s.oid)) out.set(s.oid, { seq: s });
      }
    }
    for (const s of this.input.standaloneSequences) if (!out.has(s.oid)) out.set(s.oid, { seq: s });
    return [...out.values()];
  }

  private typeStatements(t: UserTypeDef): string[] {
    const name = qualified(this.mapped(t.ref));
    const out: string[] = [];
    switch (t.kind) {
      case 'enum':
        out.push(ignoreDuplicate(`CREATE TYPE ${name} AS ENUM (${t.labels.map(literal).join(', ')})`));
        break;
      case 'composite':
        out.push(ignoreDuplicate(`CREATE TYPE ${name} AS (${t.attributes.map((a) => `${ident(a.name)} ${this.rewrite(a.typeSql)}`).join(', ')})`));
        break;
      case 'domain': {
        const parts = [`CREATE DOMAIN ${name} AS ${this.rewrite(t.baseTypeSql ?? 'text')}`];
        if (t.collationSql) parts.push(t.collationSql);
        if (t.defaultSql) parts.push(`DEFAULT ${this.rewrite(t.defaultSql)}`);
        if (t.notNull) parts.push('NOT NULL');
        parts.push(...t.checks.map((c) => `CONSTRAINT ${ident(c.name)} ${this.rewrite(c.definition)}`));
        out.push(ignoreDuplicate(parts.join(' ')));
        for (const c of t.checks) if (c.comment) out.push(commentOn(`CONSTRAINT ${ident(c.name)} ON DOMAIN ${name}`, c.comment));
        break;
      }
    }
    if (t.comment) out.push(commentOn(`${t.kind === 'domain' ? 'DOMAIN' : 'TYPE'} ${name}`, t.comment));
    return out;
  }

  /** A column of an ordinary or partitioned table; null when it is excluded or cannot be created. */
  private columnSql(ctx: TableCtx, c: ColumnDef): string | null {
    const name = ctx.column(c.name);
    if (name === null) return null;
    const parts = [ident(name), this.rewrite(c.typeSql)];
    if (c.collationSql) parts.push(c.collationSql);
    if (c.generatedSql) {
      const expr = this.mapDef(ctx, c.generatedSql, (own) => mapExpression(c.generatedSql!, own), `generated column ${c.name}`);
      if (expr === null) return null;
      parts.push(`GENERATED ALWAYS AS (${expr}) STORED`);
    }
    if (c.identity) {
      const kind = c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT';
      const seq = c.identitySequence;
      // The sequence's own name, so it is the source's even where the server would choose another.
      const opts = seq ? ` (SEQUENCE NAME ${qualified(this.mapped(seq.ref))} ${sequenceOptions(seq)})` : '';
      parts.push(`GENERATED ${kind} AS IDENTITY${opts}`);
    }
    if (c.defaultSql && !c.identity) parts.push(`DEFAULT ${this.rewrite(c.defaultSql)}`);
    if (c.notNull) parts.push('NOT NULL');
    return parts.join(' ');
  }

  private isKey = (con: ConstraintDef): boolean => con.type === 'p' || con.type === 'u' || con.type === 'x';

  private partitionKey(ctx: TableCtx): string {
    const key = ctx.def.partitionKey!;
    if (!ctx.lookup) return key;
    const m = mapPartitionKey(key, ctx.lookup);
    if (m.excluded.length) {
      throw new SchemaSpecError(
        `objects[].tables[] entry ${tableKey(ctx.root.ref)}: excludeColumns lists ${m.excluded.join(', ')}, part of the partition key of ` +
          `${tableKey(ctx.def.ref)} (${key}); a partitioned table cannot be created without it: remove it from excludeColumns`,
      );
    }
    return m.sql;
  }

  /** A CHECK marked NOT VALID is added by ALTER TABLE: inside CREATE TABLE the server would validate it. */
  private notValid = (con: ConstraintDef): boolean => con.type === 'c' && / NOT VALID$/.test(con.definition);

  private tableStatements(ctx: TableCtx): string[] {
    const items = ctx.def.columns.map((c) => this.columnSql(ctx, c)).filter((c): c is string => c !== null);
    const later: string[] = [];
    for (const con of ctx.def.constraints) {
      if (con.type === 'f' || con.inherited || (this.input.deferKeys && this.isKey(con))) continue;
      const def = this.constraintSql(ctx, con);
      if (def && this.notValid(con)) later.push(addConstraintIfAbsent(ctx.target, con.name, def));
      else if (def) items.push(`CONSTRAINT ${ident(con.name)} ${def}`);
    }
    const partitioned = ctx.def.kind === 'p' ? ` PARTITION BY ${this.partitionKey(ctx)}` : '';
    return [`CREATE TABLE IF NOT EXISTS ${qualified(ctx.target)} (\n  ${items.join(',\n  ')}\n)${partitioned}`, ...later];
  }

  /**
   * A partition: created from its parent (columns, inherited constraints and keys), then what is its own —
   * NOT NULL and defaults that differ from the parent's, and its local constraints.
   */
  private partitionStatements(ctx: TableCtx, parent: TableDef): string[] {
    const info = ctx.def.partition!;
    const partitioned = ctx.def.kind === 'p' ? ` PARTITION BY ${this.partitionKey(ctx)}` : '';
    const out = [`CREATE TABLE IF NOT EXISTS ${qualified(ctx.target)} PARTITION OF ${qualified(this.mapped(info.parent))} ${info.bound}${partitioned}`];
    for (const c of ctx.def.columns) {
      const name = ctx.column(c.name);
      const from = parent.columns.find((p) => p.name === c.name);
      if (name === null || !from) continue;
      const column = `ALTER TABLE ${qualified(ctx.target)} ALTER COLUMN ${ident(name)}`;
      if (c.notNull && !from.notNull) out.push(`${column} SET NOT NULL`);
      if (c.defaultSql !== from.defaultSql && !c.generatedSql && !c.identity) {
        out.push(c.defaultSql ? `${column} SET DEFAULT ${this.rewrite(c.defaultSql)}` : `${column} DROP DEFAULT`);
      }
    }
    for (const con of ctx.def.constraints) {
      if (con.type === 'f' || con.inherited || (this.input.deferKeys && this.isKey(con))) continue;
      const def = this.constraintSql(ctx, con);
      if (def) out.push(addConstraintIfAbsent(ctx.target, con.name, def));
    }
    return out;
  }

  /** Comments that can be made before the data: tables, columns, CHECK constraints, identity sequences. */
  private tableComments(ctx: TableCtx): string[] {
    const table = qualified(ctx.target);
    const out: string[] = [];
    if (ctx.def.comment) out.push(commentOn(`TABLE ${table}`, ctx.def.comment));
    for (const c of ctx.def.columns) {
      const name = ctx.column(c.name);
      if (name !== null && c.comment) out.push(commentOn(`COLUMN ${table}.${ident(name)}`, c.comment));
      const seq = c.identitySequence;
      if (name !== null && seq?.comment && !ctx.def.partition) out.push(commentOn(`SEQUENCE ${qualified(this.mapped(seq.ref))}`, seq.comment));
    }
    for (const con of ctx.def.constraints) {
      if (con.type === 'c' && con.comment && !this.skippedConstraint(ctx, con)) out.push(commentOn(`CONSTRAINT ${ident(con.name)} ON ${table}`, con.comment));
    }
    return out;
  }

  /** True when the constraint was not created for using an excluded column (its comment then has no object). */
  private skippedConstraint(ctx: TableCtx, con: ConstraintDef): boolean {
    if (!ctx.lookup) return false;
    const own = ctx.lookup;
    return mapConstraintDef(con.definition, own, own).excluded.length > 0;
  }

  /** After the data, one selected table with its partitions: keys, key names, indexes, attachments, comments. */
  private afterDataGroup(root: TableDef): string[] {
    const tree = [root, ...root.partitions].map((d) => this.contexts.get(tableKey(d.ref))!);
    const out: string[] = [];
    if (this.input.deferKeys) {
      for (const ctx of tree) {
        for (const con of ctx.def.constraints.filter((c) => this.isKey(c) && !c.inherited)) {
          const def = this.constraintSql(ctx, con);
          if (def) out.push(addConstraintIfAbsent(ctx.target, con.name, def));
        }
      }
    }
    const indexOf = (ctx: TableCtx, name: string): TableRef => ({ schema: ctx.target.schema, name });
    const parentCtx = (ctx: TableCtx): TableCtx => this.contexts.get(tableKey(ctx.def.partition!.parent))!;
    for (const ctx of tree) {
      for (const con of ctx.def.constraints.filter((c) => this.isKey(c) && c.inherited && c.parentIndex)) {
        out.push(renameAttachedIndex(ctx.target, indexOf(parentCtx(ctx), con.parentIndex!), con.name));
      }
    }
    const created = new Set<string>();
    for (const ctx of tree) {
      for (const index of ctx.def.indexes.filter((i) => !i.constraint)) {
        const def = this.mapDef(ctx, index.definition, (own) => mapIndexDef(index.definition, own), `index ${index.name}`);
        if (def === null) continue;
        out.push(indexIfNotExists(def));
        created.add(`${tableKey(ctx.def.ref)}.${index.name}`);
      }
    }
    // Deepest first: a partitioned index becomes valid once all of its partitions' indexes are attached.
    for (const ctx of [...tree].reverse()) {
      if (!ctx.def.partition) continue;
      for (const index of ctx.def.indexes.filter((i) => !i.constraint && i.parentIndex && created.has(`${tableKey(ctx.def.ref)}.${i.name}`))) {
        out.push(attachIndex(indexOf(parentCtx(ctx), index.parentIndex!), indexOf(ctx, index.name)));
      }
    }
    for (const ctx of tree) {
      for (const index of ctx.def.indexes) {
        if (index.comment && (index.constraint || created.has(`${tableKey(ctx.def.ref)}.${index.name}`))) {
          out.push(commentOn(`INDEX ${qualified(indexOf(ctx, index.name))}`, index.comment));
        }
      }
      for (const con of ctx.def.constraints.filter((c) => this.isKey(c) && c.comment && !this.skippedConstraint(ctx, c))) {
        out.push(commentOn(`CONSTRAINT ${ident(con.name)} ON ${qualified(ctx.target)}`, con.comment!));
      }
    }
    return out;
  }

  private foreignKeyStatements(ctx: TableCtx, con: ConstraintDef): string[] | null {
    if (!this.contexts.has(tableKey(con.refTable!))) return null;
    const def = this.constraintSql(ctx, con);
    if (def === null) return [];
    const table = qualified(ctx.target);
    const out = [ignoreDuplicate(`ALTER TABLE ${table} ADD CONSTRAINT ${ident(con.name)} ${def}`)];
    if (con.comment) out.push(commentOn(`CONSTRAINT ${ident(con.name)} ON ${table}`, con.comment));
    return out;
  }

  plan(): SchemaPlan {
    const { spec, tables } = this.input;
    const beforeData: string[] = [];
    const schemas = new Map<string, string | null>();
    for (const s of this.input.schemas) schemas.set(targetSchemaName(spec, s.name), s.comment);
    const addSchema = (ref: TableRef): void => {
      const name = this.mapped(ref).schema;
      if (!schemas.has(name)) schemas.set(name, null);
    };
    for (const t of this.input.types) addSchema(t.ref);
    for (const s of this.sequences()) addSchema(s.seq.ref);
    for (const ctx of this.contexts.values()) addSchema(ctx.def.ref);
    for (const [name, comment] of schemas) {
      beforeData.push(`CREATE SCHEMA IF NOT EXISTS ${ident(name)}`);
      if (comment) beforeData.push(commentOn(`SCHEMA ${ident(name)}`, comment));
    }
    for (const t of this.input.types) beforeData.push(...this.typeStatements(t));
    for (const { seq } of this.sequences()) {
      beforeData.push(createSequence(this.mapped(seq.ref), seq));
      if (seq.comment) beforeData.push(commentOn(`SEQUENCE ${qualified(this.mapped(seq.ref))}`, seq.comment));
    }
    for (const root of tables) {
      for (const def of [root, ...root.partitions]) {
        const ctx = this.contexts.get(tableKey(def.ref))!;
        if (def.partition) beforeData.push(...this.partitionStatements(ctx, this.contexts.get(tableKey(def.partition.parent))!.def));
        else beforeData.push(...this.tableStatements(ctx));
      }
    }
    for (const { seq, owner } of this.sequences()) {
      const ctx = owner && this.contexts.get(tableKey(owner.table));
      const column = ctx ? ctx.column(owner!.column) : null;
      if (ctx && column !== null) beforeData.push(`ALTER SEQUENCE ${qualified(this.mapped(seq.ref))} OWNED BY ${qualified(ctx.target)}.${ident(column)}`);
    }
    for (const ctx of this.contexts.values()) beforeData.push(...this.tableComments(ctx));

    const afterData = tables.map((root) => this.afterDataGroup(root)).filter((g) => g.length > 0);
    const foreignKeys: string[] = [];
    const skippedForeignKeys: string[] = [];
    for (const ctx of this.contexts.values()) {
      for (const con of ctx.def.constraints.filter((c) => c.type === 'f' && !c.inherited)) {
        const stmts = this.foreignKeyStatements(ctx, con);
        if (stmts) foreignKeys.push(...stmts);
        else skippedForeignKeys.push(`${tableKey(ctx.def.ref)}.${con.name} -> ${tableKey(con.refTable!)}`);
      }
    }
    return { beforeData, afterData, foreignKeys, skippedForeignKeys, skippedForExcludedColumns: [...new Set(this.skipped)] };
  }
}
