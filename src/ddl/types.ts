// The contract between DDL capture/apply (the lead's capture*.ts / apply*.ts) and the pure translation.
import type { Mapping, TableRef } from '../catalog/names';

export interface DdlContext {
  /** From src/catalog/names.ts: objects, nameCase, renameRules. */
  mapping: Mapping;
  /**
   * The capturing session's search path as current_schemas(false) gives it (existing schemas only,
   * "$user" expanded, no pg_temp): its first entry is where an unqualified CREATE TABLE created its table.
   */
  searchPath: string[];
  /** The source table a (possibly unqualified) name stands for, from the captured object identities; null if unknown. */
  resolveTable(name: { schema?: string; name: string }): TableRef | null;
  /** The table is currently selected by the task. */
  isSelected(ref: TableRef): boolean;
  /** The schema is selected as a whole (objects entry without "tables"): a table created there is adopted. */
  selectsWholeSchema(schema: string): boolean;
  /** tableOperations(...).ddl for the table (for CREATE: the new table, i.e. its schema's setting). */
  ddlEnabled(ref: TableRef): boolean;
  /**
   * An index, sequence or type as the statement wrote it -> its source schema and name (and, for an index
   * or an owned sequence, its table), from the captured object identities; null if the capture has none.
   */
  resolveObject?(kind: ObjectKind, name: { schema?: string; name: string }): CapturedObject | null;
}

export type ObjectKind = 'index' | 'sequence' | 'type';

export interface CapturedObject {
  schema: string;
  name: string;
  table?: TableRef;
}

export type SkipReason = 'cascade-or-restrict' | 'outside-selection' | 'unsupported' | 'ddl-disabled' | 'excluded-column' | 'unsafe-expression';

/** A part of an applied statement left out on the destination (a subcommand, a column, a constraint). */
export interface DroppedPart {
  reason: 'excluded-column' | 'outside-selection' | 'unsafe-expression';
  detail: string;
}

export type DdlEffect =
  | { type: 'create-table'; table: TableRef } // source name
  | { type: 'drop-table'; table: TableRef }
  | { type: 'rename-table'; from: TableRef; to: TableRef }
  | { type: 'alter-table'; table: TableRef } // the applier must reload this table's shape
  /** Replaying it cannot give the table's existing rows the source's values: copy the table again (recopy.ts). */
  | { type: 'recopy-table'; table: TableRef; reason: string };

export type DdlDecision =
  | {
      kind: 'apply';
      /** Destination SQL, in order, to run inside the applier's transaction. May be empty (a no-op rename). */
      statements: string[];
      effects: DdlEffect[];
      /** Parts of the statement not replicated (the rest is): the applier should log them. */
      dropped: DroppedPart[];
      /**
       * The destination schemas of the capturing session's search path. Table names in `statements` are
       * always qualified; type, function and sequence names the user left unqualified are not, so run the
       * statements with `SELECT pg_catalog.set_config('search_path', <these, quoted and comma-separated>, true)`.
       */
      searchPath: string[];
      /**
       * Commit the destination transaction at the end of this statement's source transaction: a value added
       * by ALTER TYPE ... ADD VALUE cannot be used in the transaction that added it, and the applier would
       * otherwise write the next source transactions' rows into that same destination transaction.
       */
      commitAfter?: true;
    }
  | { kind: 'skip'; reason: SkipReason; detail: string };
