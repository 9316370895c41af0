// The shapes of schema verification (docs/verification.md, "Schema"): what each side has of one table,
// already mapped to destination names, and the differences found. Pure types.

/** One table's comparable definitions, keyed by destination name; each value is a normalized text. */
export interface TableShape {
  /** Column name -> `<type> [COLLATE …] [GENERATED …] [DEFAULT …] [NOT NULL]`. */
  columns: Map<string, string>;
  /** Constraint name -> pg_get_constraintdef (PK, UNIQUE, CHECK, FK, EXCLUDE). */
  constraints: Map<string, string>;
  /** Index name -> pg_get_indexdef without the name (indexes backing a constraint are the constraint's). */
  indexes: Map<string, string>;
}

export interface SchemaDifference {
  /** What differs: `table`, `column <name>`, `constraint <name>`, `index <name>`, `view <schema.name>`, … */
  object: string;
  kind: 'missing' | 'extra' | 'different';
  /** The source's definition under destination names (null: the source has none). */
  source: string | null;
  destination: string | null;
}

export interface TableSchemaReport {
  /** source "schema.name" (a partition: its own name) */
  table: string;
  target: string;
  differences: SchemaDifference[];
}

export interface SchemaReport {
  /** Tables (and partitions) with a difference. */
  tables: TableSchemaReport[];
  /** Views, materialized views, routines, triggers, rules, policies and sequences the task creates. */
  objects: SchemaDifference[];
  compared: { tables: number; columns: number; constraints: number; indexes: number; objects: number; sequences: number };
  /** Differences in all (the lists above may be cut: see omitted). */
  differences: number;
  /** Differences left out of the lists (the report travels through the workflow history). */
  omitted: number;
  /** Source objects schema sync does not create (listed by the precheck): not compared. */
  notCompared: number;
  durationMs: number;
  /**
   * The task streams and the source's schema kept changing (migrations) in every comparison: the
   * differences found are not confirmed, and not counted as the report's differences.
   */
  unsettled?: boolean;
  /**
   * Why nothing could be compared (a server refused the catalog queries for good, e.g. one without a
   * catalog function they use): the row comparison still runs; this counts as one unsettled part.
   */
  error?: string;
}
