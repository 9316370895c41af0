// What the precheck knows about both sides once it has looked: plain data, so every item is a pure
// function over it (unit tests build these by hand). Gathered by source.ts, tables.ts, structure.ts and
// destination.ts with set-based catalog queries: one query per concern, whatever the number of tables.
import type { TableRef } from '../../catalog/names';
import type { OwnershipFacts } from '../../stream/ownership';
import type { NonTableObjectFacts, ObjectExtensionFacts } from './non-table-objects';
import type { DependencyPresence, TableDependency } from './table-dependencies';

/** One selected source table, as the catalog has it. */
export interface TableFacts {
  ref: TableRef;
  /** pg_class.relkind: 'r' ordinary, 'p' partitioned, 'f' foreign, ... */
  relkind: string;
  relispartition: boolean;
  /** The session user has the owner's privileges (or is superuser): needed for publications and REPLICA IDENTITY. */
  owned: boolean;
  /** SELECT on the table and USAGE on its schema. */
  canSelect: boolean;
  /** pg_class.relreplident: d(efault), n(othing), f(ull), i(ndex). */
  replicaIdentity: string;
  /** Column names in attnum order (dropped columns left out). */
  columns: string[];
  /** The key pg-dts uses: the PK, else the first valid non-partial, non-expression unique index on NOT NULL columns. */
  key: { index: string; primary: boolean; columns: string[] } | null;
  /** Columns in the partition keys of a partitioned table and of its partitioned partitions; empty otherwise. */
  partitionKeyColumns: string[];
  /** Their pg_get_partkeydef() texts joined by "; " (expressions name columns only in here); null otherwise. */
  partitionKeyDef: string | null;
  /** pg_total_relation_size, partitions included for a partitioned table. */
  bytes: number;
}

export interface InheritanceLink {
  parent: TableRef;
  child: TableRef;
}

/** A selected partition and the root of its partition tree. */
export interface PartitionOfRoot {
  partition: TableRef;
  root: TableRef;
}

/** A column default calling nextval() of a sequence (serial columns included). */
export interface SequenceUse {
  table: TableRef;
  column: string;
  sequence: TableRef;
  /** The table owning the sequence (OWNED BY / identity), if any. */
  owner: TableRef | null;
}

export interface ExtensionMember {
  kind: 'table' | 'schema';
  /** "schema.table" or "schema". */
  name: string;
  extension: string;
}

export interface OpenTransaction {
  /** null for a prepared transaction (it has no backend). */
  pid: number | null;
  ageSeconds: number;
  database: string | null;
  user: string | null;
  /** pg_stat_activity.state, or 'prepared <gid>'. */
  state: string;
}

/**
 * One entry per selected table with a `where`, judged by src/catalog/row-filter.ts (facts/row-filters.ts).
 * Optional fields: a fact built without the validator leaves them out and the items assume the worst.
 */
export interface RowFilterFacts {
  table: TableRef;
  where: string;
  /** Why the filter cannot be used (syntax, unknown column, volatile function, ...); null = valid. */
  problem?: string | null;
  /** Source columns the filter reads (known when the parser accepted it). */
  columns?: string[];
}

export interface SourceFacts {
  versionNum: number;
  walLevel: string;
  encoding: string;
  user: string;
  database: string;
  isSuperuser: boolean;
  /** REPLICATION attribute or superuser. */
  canReplicate: boolean;
  /** CREATE on the database (CREATE PUBLICATION needs it). */
  canCreateInDatabase: boolean;
  freeSlots: number;
  freeWalSenders: number;
  /** synchronized_standby_slots (PostgreSQL 17+); null before 17. */
  synchronizedStandbySlots: string | null;
  /** Physical standbys the source knows of: physical slots plus physical walsenders without a slot. */
  standbys: number;
  /** Transactions holding an xid, older than the threshold (slot creation waits for them), and old prepared ones. */
  longTransactions: OpenTransaction[];
  longTransactionSeconds: number;
  /** Superuser or pg_read_all_stats: other roles' sessions are visible in pg_stat_activity. */
  seesAllSessions: boolean;
  /** The selected tables that exist, in selection order. */
  tables: TableFacts[];
  /** Non-partition inheritance with a selected table on either end. */
  inheritance: InheritanceLink[];
  partitionsOfRoots: PartitionOfRoot[];
  /** Partitioned selected tables -> their partitions that are foreign tables. */
  foreignPartitions: PartitionOfRoot[];
  sequences: SequenceUse[];
  /** Selected tables that are TimescaleDB hypertables. */
  hypertables: TableRef[];
  extensionMembers: ExtensionMember[];
  rowFilters: RowFilterFacts[];
  /** The task's names on the source and who owns them (gathered when the precheck knows the task). */
  ownership?: OwnershipFacts;
  /** Extensions and user objects the selected tables' definitions need (table-dependencies.ts). */
  tableDependencies?: TableDependency[];
  /** Views, routines, triggers, rules, policies schema sync will not create, and extensions they need (non-table-objects.ts). */
  nonTableObjects?: NonTableObjectFacts;
}

export interface TargetSchemaFacts {
  name: string;
  exists: boolean;
  canCreate: boolean;
}

export type SpaceFacts =
  | { measured: true; freeBytes: number; mount: string }
  | { measured: false; reason: string };

export interface DestinationFacts {
  versionNum: number;
  encoding: string;
  user: string;
  database: string;
  isSuperuser: boolean;
  canCreateInDatabase: boolean;
  /** Target schemas of the selection, plus pg-dts's own `_pg_dts`. */
  schemas: TargetSchemaFacts[];
  /** Relations already at the selection's target names (any kind). */
  existingTargets: TableRef[];
  /** pg_replication_origin_* functions pg-dts calls that the user may not execute. */
  missingOriginFunctions: string[];
  /** May SET session_replication_role (superuser, or SET granted on it, PostgreSQL 15+). */
  canSetReplicationRole: boolean;
  space: SpaceFacts;
  /** The task's names on the destination and who owns them (gathered when the precheck knows the task). */
  ownership?: OwnershipFacts;
  /** Which of the source's tableDependencies the destination has (or can install). */
  dependencyPresence?: DependencyPresence;
  /** Existing targets this task created in an earlier run that never completed (src/schema/created-objects.ts). */
  ownLeftovers?: TableRef[];
  /** The extensions in the source's nonTableObjects, as the destination has them. */
  objectExtensions?: ObjectExtensionFacts[];
}

/** The schema pg-dts keeps its progress and bookkeeping in, on the destination. */
export const PG_DTS_SCHEMA = '_pg_dts';
