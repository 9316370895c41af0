// Applies decoded pgoutput messages to the destination, exactly once, in batches.
//
// Exactly once: many source transactions are grouped into one destination transaction (a batch). In the
// same round trip as its COMMIT, pg_replication_origin_xact_setup() stamps it with the last source
// commit's end LSN, so the destination's origin progress moves atomically with the data. On restart, transactions
// whose commit lies before that progress are skipped. Only after COMMIT returns is the LSN acknowledged.
//
// Speed: row changes are collapsed to their net effect per row (ChangeBuffer) and written as multi-row
// statements; the writes of one batch run on the destination while the next batch is being decoded.
// A batch is committed as soon as the destination has finished the previous one, so batches are small
// and immediate when the stream is caught up and grow by themselves under a backlog (group commit).
// See docs/apply-pipeline.md.
import type { Client, DatabaseError } from 'pg';
import type { Pgoutput } from 'pg-logical-replication';
import {
  columnMapper, isIdentityMapping, rowFilterOf, tableKey, tableOperations, targetTableName, type ColumnMapper, type Mapping, type SelectedTable,
  type TableRef,
} from '../catalog/names';
import { logger } from '../log';
import { formatLsn, parseLsn, type Lsn } from '../util/lsn';
import { ident, literal, qualified } from '../util/sql';
import { decideDdl, inWholeSchema } from '../ddl/apply';
import { recordRecopy } from '../stream/recopy-requests';
import { ddlLogTable, parseCaptureFailure, parseCapturedRow, type CapturedDdl } from '../ddl/capture';
import { isCapturedTruncate, type CapturedTruncate } from '../ddl/partition-truncate';
import { isCapturedRepair, parseRepair } from '../verify/repair-row';
import { writeRepair } from './repair-write';
import { loadDdlParser } from '../ddl/parser';
import { DdlFailedError, DdlLog } from '../ddl/ddl-log';
import { ChangeBuffer, keyChanges, type LoggedChange, type RelationTarget, type TableEffect } from './change-buffer';
import { loadRelationTarget, mapRow, type TableRules } from './relation-target';
import { resolveFiltered, type FilteredChange, type RowFilterEvaluator } from './row-filter-decision';
import { deleteKeyTakenByMove, multiDelete, multiInsert, multiUpdate, setColumnsOf, signatureColumns } from './set-statements';
import { truncateStatement, type Row, type Statement } from './statements';

const MAX_QUEUED_JOBS = 3;

/** A selected table as the applier needs it: where it goes and which of its changes are applied. */
export interface AppliedTable extends SelectedTable {
  dml: ReadonlySet<string>;
  /** Source column -> destination name (null: excluded); absent when the table keeps its column names. */
  columns?: ColumnMapper;
  /** The spec's row filter (`where`), in source column names. */
  where?: string;
}

/** The applier's view of the selection, from the spec's per-table rules. */
export function appliedTables(spec: Mapping, tables: SelectedTable[]): Map<string, AppliedTable> {
  return new Map(
    tables.map((t) => [
      tableKey(t.source),
      {
        ...t,
        dml: tableOperations(spec, t.source).dml,
        ...(rowFilterOf(spec, t.source) ? { where: rowFilterOf(spec, t.source) } : {}),
        ...(isIdentityMapping(spec, t.source) ? {} : { columns: columnMapper(spec, t.source) }),
      },
    ]),
  );
}

export interface ApplierOptions {
  /** Source commit end LSN already applied (origin progress); earlier transactions are skipped. */
  appliedUpTo: Lsn | null;
  /** A batch closes when it reaches any of these, even if the destination is still busy. */
  maxBatchTransactions: number;
  maxBatchBytes: number;
  /** Changes (or bytes) held before they are written, also inside one big source transaction. */
  maxBufferChanges: number;
  maxBufferBytes: number;
  onCommitted: (lsn: Lsn) => void;
  /** The replication origin the session is bound to (repaired after a failed COMMIT). */
  origin: string;
  /** A queued write failed: the stream must stop now, not when the next message happens to arrive. */
  onFailure?: (err: unknown) => void;
  /**
   * Set after a resumed full sync: some rows were copied from a snapshot later than the slot's start, so
   * transactions committed up to here may already be in the destination and are replayed idempotently
   * (docs/full-sync.md): missing rows are expected, and a key change may find its new key taken.
   */
  catchUpUntil?: Lsn | null;
  /** DDL replication: the task's capture prefix and its mapping (names, selection, per-table ddl switch). */
  /**
   * Source tables (schema.name keys) being copied again (workflows/recopy-table.ts): their rows and DDL are
   * left to the copy and its catch-up stream, as for a table being added.
   */
  suspended?: readonly string[];
  ddl?: {
    prefix: string;
    mapping: Mapping;
    taskId: string;
    /** Adopt tables created (or renamed) in schemas selected whole; false for a stream that serves only
     * its listed tables (catching up tables being added, while the main stream serves the rest). */
    adopt: boolean;
    /** The source's tables in a schema, with their OIDs: an adopted table's name may collide (adoptionCollision). */
    sourceTablesOf?: (schema: string) => Promise<{ name: string; oid: number }[]>;
  };
  /**
   * Sources before 13 publish partitions, not their root: the top of the partition tree a relation is
   * in (null: none). Its changes follow the partitioned table's rules and go to the same-named partition
   * on the destination, so a TRUNCATE of one partition empties only that one.
   */
  partitionRootOf?: (ref: TableRef) => Promise<TableRef | null>;
  /**
   * Sources before 15 cannot filter in the publication: the applier applies the tables' row filters
   * itself, asking this evaluator (row-filter-decision.ts). Unset: the publication filters.
   */
  evaluateRowFilter?: RowFilterEvaluator;
}

export const DEFAULT_APPLIER_LIMITS = {
  maxBatchTransactions: 20_000,
  maxBatchBytes: 64 * 1024 * 1024,
  maxBufferChanges: 10_000,
  maxBufferBytes: 4 * 1024 * 1024,
};

export interface ApplierStats {
  appliedLsn: string | null;
  transactions: number;
  rows: number;
  bytes: number;
  skippedTransactions: number;
  missingRows: number;
  /** Rows missing while replaying the catch-up window of a resumed full sync (expected, not a divergence). */
  catchUpMissingRows: number;
  /** Batches written change by change because their set-wise form broke a unique constraint. */
  replayedBatches: number;
  batches: number;
  /** schema.table.column of source columns the destination table lacks (left out of writes). */
  ignoredColumns: string[];
}

/** A change that breaks a constraint only set-wise (e.g. two rows swapping a unique value). */
const isConstraintViolation = (err: unknown): boolean => /^23/.test((err as DatabaseError)?.code ?? '');

export class Applier {
  private inSourceTxn = false;
  /** Commit LSN of the source transaction being received. */
  private txnFinalLsn: Lsn = 0n;
  /** Source tables whose rows the current transaction changed, and those it created (DDL). */
  private readonly txnRowTables = new Set<string>();
  private readonly txnCreatedTables = new Set<string>();
  readonly ddlLog: DdlLog;
  /** The task's DDL capture table on the source: its inserts are the DDL to replay, nothing else is. */
  private readonly ddlCapture: { schema: string; name: string } | null;
  /** Source tables whose destination name another table has (refused as DDL): their rows are left out. */
  private readonly collided = new Set<string>();
  private readonly adoptionChecked = new Set<string>();
  private readonly suspended: ReadonlySet<string>;
  /** The tables the stream was started with (not adopted since). */
  private readonly listed: ReadonlySet<string>;
  private skipping = false;
  /** The current source transaction lies in the catch-up window (ApplierOptions.catchUpUntil). */
  private catchingUp = false;
  /** The current source transaction changed a selected table (heartbeats and others' txns do not count). */
  private txnChanged = false;
  /**
   * The current source transaction ran a DDL whose effect later transactions may only use once it is
   * committed (ALTER TYPE ... ADD VALUE): its batch ends with it (DdlDecision.commitAfter).
   */
  private commitAtTxnEnd = false;
  /** A BEGIN has been queued and its COMMIT not yet: later writes join that destination transaction. */
  private destTxnOpen = false;
  private buffer = new ChangeBuffer();
  private pendingEnd: Lsn | null = null;
  private pendingTime = 0;
  private batchTxns = 0;
  private batchBytes = 0;
  /** Commit time (ms) of the oldest source transaction received but not yet committed on the destination. */
  private oldestUnappliedMs: number | null = null;
  private readonly submittedBatchTimes: number[] = [];
  private chain: Promise<void> = Promise.resolve();
  /** Queued jobs, oldest first (each removes itself when done). */
  private readonly jobs: Promise<void>[] = [];
  private inflight = 0;
  private failure: unknown = null;
  private readonly relations = new Map<number, RelationTarget>();
  private readonly relationShapes = new Map<number, string>();
  /** The newest source position this session has committed on the destination (or found there). */
  private durableLsn: Lsn | null;
  private readonly preparedNames = new Map<string, string>();
  readonly stats: ApplierStats = {
    appliedLsn: null, transactions: 0, rows: 0, bytes: 0, skippedTransactions: 0, missingRows: 0, catchUpMissingRows: 0, replayedBatches: 0, batches: 0, ignoredColumns: [],
  };
  /**
   * What is committed on the destination: `stats` counts rows as they arrive, and a batch that fails is
   * replayed by the next attempt (which would count it again); the task's totals add these up instead.
   * commitMs: the source commit time of the newest transaction committed (the lag clock when nothing flows).
   */
  readonly committed = { rows: 0, bytes: 0, transactions: 0, commitMs: null as number | null };
  /** Keys replaced by repairs (`pg-dts verify --repair`) in this session. */
  repairedKeys = 0;

  constructor(
    private readonly db: Client,
    private readonly tables: Map<string, AppliedTable>,
    private readonly opts: ApplierOptions,
  ) {
    if (opts.appliedUpTo !== null) this.stats.appliedLsn = formatLsn(opts.appliedUpTo);
    this.durableLsn = opts.appliedUpTo;
    this.ddlLog = new DdlLog(opts.ddl?.taskId ?? '');
    this.ddlCapture = opts.ddl ? ddlLogTable(opts.ddl.taskId) : null;
    this.listed = new Set(tables.keys());
    this.suspended = new Set(opts.suspended ?? []);
  }

  /** True when everything received has been committed on the destination and acknowledged. */
  get idle(): boolean {
    return !this.inSourceTxn && this.inflight === 0 && this.buffer.size === 0 && this.pendingEnd === null && !this.destTxnOpen;
  }

  /** Commit time of the oldest change received but not yet durable on the destination; null if none. */
  get oldestPendingCommitMs(): number | null {
    return this.submittedBatchTimes[0] ?? this.oldestUnappliedMs;
  }

  /**
   * Takes the next message. Returns a promise only when the caller must wait (a write to queue, or
   * backpressure); most row changes are just buffered, and awaiting nothing keeps the hot path cheap.
   */
  handle(msg: Pgoutput.Message, bytes = 0): Promise<void> | void {
    this.throwIfFailed();
    switch (msg.tag) {
      case 'begin':
        return this.begin(msg);
      case 'commit':
        return this.commit(msg);
      case 'relation':
        return this.relation(msg);
      case 'insert':
        if (this.skipping) return;
        if (this.ddlCapture && msg.relation.name === this.ddlCapture.name && msg.relation.schema === this.ddlCapture.schema) {
          const captured = parseCapturedRow(msg.new?.captured as string | undefined);
          if (isCapturedRepair(captured)) return this.repairRows(captured);
          return isCapturedTruncate(captured) ? this.partitionTruncate(captured) : this.ddlMessage(captured);
        }
        return this.rowChange(msg, bytes);
      case 'update':
      case 'delete':
        if (this.skipping) return;
        return this.rowChange(msg, bytes);
      case 'truncate':
        if (this.skipping) return;
        return this.truncate(msg);
      case 'message':
        if (this.skipping || !this.opts.ddl) return;
        return this.logicalMessage(msg);
      default:
        return; // type and origin records carry nothing to apply here
    }
  }

  /** Commits what is complete (at stop), and waits until the destination has it. */
  async drain(): Promise<void> {
    if (!this.inSourceTxn && this.pendingEnd !== null) await this.submitCommit();
    await this.chain;
    this.throwIfFailed();
  }

  /** Abandons a half-written batch (stop in the middle of a source transaction, or after a failure). */
  async rollback(): Promise<void> {
    await this.chain;
    if (this.destTxnOpen || this.failure) await this.db.query('ROLLBACK').catch(() => undefined);
    this.destTxnOpen = false;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /**
   * A table the task syncs: listed at start, or (DDL replication) created or renamed since in a schema
   * the task selects whole. Resolved from the spec, so a restarted stream knows it without being told.
   */
  private selectedTable(ref: TableRef): AppliedTable | undefined {
    if (this.collided.has(tableKey(ref)) || this.suspended.has(tableKey(ref))) return undefined;
    const listed = this.tables.get(tableKey(ref));
    if (listed || !this.opts.ddl?.adopt || !inWholeSchema(this.opts.ddl.mapping, ref)) return listed;
    const adopted = appliedTables(this.opts.ddl.mapping, [{ source: ref, target: targetTableName(this.opts.ddl.mapping, ref) }]).get(tableKey(ref))!;
    this.tables.set(tableKey(ref), adopted);
    return adopted;
  }

  /**
   * A captured DDL statement, at its place among the row changes: rows before it are written first, then
   * the mapped statement runs in the same destination transaction, so the origin's progress covers both.
   * A statement the task does not replicate is refused visibly (log + status), never dropped silently.
   */
  private async ddlMessage(captured: CapturedDdl | null): Promise<void> {
    const ddl = this.opts.ddl!;
    if (!captured) return;
    // The parser (WebAssembly, ~18 MB) is loaded by the first DDL, not by every stream.
    await loadDdlParser();
    const rowsBefore = new Set([...this.txnRowTables].filter((k) => !this.txnCreatedTables.has(k)));
    const decision = decideDdl(captured, ddl.mapping, { isSelected: (ref) => this.selectedTable(ref) !== undefined }, rowsBefore);
    const lsn = formatLsn(this.txnFinalLsn);
    // A stream serving only its listed tables (catching up a table being added or copied again) runs
    // beside the main stream, which replays and judges every other DDL: replaying it here too would run
    // it twice (or fail the hand-over on a refusal that is not this stream's).
    if (!ddl.adopt && (decision.kind === 'refuse' || !decision.effects.some((e) => this.listed.has(tableKey(e.type === 'rename-table' ? e.from : e.table))))) return;
    if (decision.kind === 'refuse') return this.ddlLog.record(decision, lsn);
    if (decision.commitAfter) this.commitAtTxnEnd = true;
    // Names this statement gives tables on the source, checked against the destination when it runs there.
    const createdOnSource = captured.objects?.some((o) => o.type === 'table') ?? false;
    const named = decision.effects.flatMap((e) => (e.type === 'create-table' && createdOnSource ? [e.table] : e.type === 'rename-table' ? [e.to] : []));
    for (const e of decision.effects) {
      if (e.type === 'create-table') this.txnCreatedTables.add(tableKey(e.table));
      if (e.type === 'drop-table') this.tables.delete(tableKey(e.table));
      if (e.type === 'rename-table') this.tables.delete(tableKey(e.from));
    }
    if (!decision.statements.length) return;
    this.txnChanged = true;
    // Every table's next relation message is loaded again (queued after this DDL): the destination's
    // columns or keys may have moved even where the source's relation message looks the same.
    this.relationShapes.clear();
    await this.submitBuffer();
    await this.backpressure();
    this.enqueueInDestTxn(async () => {
      if (await this.refusedAsCollision(named, decision.statement, lsn)) return;
      this.ddlLog.record(decision, lsn);
      await this.db.query(`SELECT pg_catalog.set_config('search_path', $1, true)`, [decision.searchPath.map((s) => ident(s)).join(', ') || 'pg_catalog']);
      for (const sql of decision.statements) {
        try {
          await this.db.query(sql);
        } catch (err) {
          throw new DdlFailedError(sql, lsn, err);
        }
      }
      // Durable with the DDL itself: the workflow copies the table again (src/stream/recopy-requests.ts).
      for (const e of decision.effects) {
        if (e.type !== 'recopy-table') continue;
        const request = { table: e.table, reason: e.reason, lsn };
        await recordRecopy(this.db, ddl.taskId, request);
        this.ddlLog.requestRecopy(request);
      }
    });
  }

  /**
   * A table the source just created or renamed whose destination name is already taken (e.g. "Zed" and
   * then "zed" under the default name case): running the statement would fail the stream, and with IF NOT
   * EXISTS would pour the new table's rows into the other one. Refused as DDL; the table's rows are left
   * out (and its adoption refused again after a restart, see adoptionCollision) until it is renamed.
   */
  private async refusedAsCollision(named: TableRef[], statement: string, lsn: string): Promise<boolean> {
    for (const source of named) {
      const target = targetTableName(this.opts.ddl!.mapping, source);
      const taken = await this.db.query<{ taken: boolean }>('SELECT to_regclass($1) IS NOT NULL AS taken', [qualified(target)]);
      if (!taken.rows[0]!.taken) continue;
      this.collided.add(tableKey(source));
      this.ddlLog.record({
        kind: 'refuse', reason: 'name-collision', statement,
        detail: `${source.schema}.${source.name} maps to ${target.schema}.${target.name} on the destination, which another table already has ` +
          '(name case or renames): its rows are not replicated. Rename it on the source, or give it a rename with modifyObjects',
      }, lsn);
      return true;
    }
    return false;
  }

  /**
   * After a restart the refusal of a colliding CREATE is behind the stream's start: a table adopted from a
   * whole-selected schema is checked against the source's other tables there. The destination name
   * belongs to a listed table, else to the oldest (lowest OID) table that maps to it.
   */
  private async adoptionCollision(ref: TableRef): Promise<boolean> {
    const key = tableKey(ref);
    const lookup = this.opts.ddl?.sourceTablesOf;
    if (!lookup || this.adoptionChecked.has(key)) return this.collided.has(key);
    this.adoptionChecked.add(key);
    const mapping = this.opts.ddl!.mapping;
    const target = tableKey(targetTableName(mapping, ref));
    const same = (await lookup(ref.schema)).filter((t) => tableKey(targetTableName(mapping, { schema: ref.schema, name: t.name })) === target);
    const self = same.find((t) => t.name === ref.name);
    const owner = same.find((t) => this.listed.has(tableKey({ schema: ref.schema, name: t.name }))) ?? same.sort((a, b) => a.oid - b.oid)[0];
    if (!self || !owner || owner.name === ref.name) return false;
    this.collided.add(key);
    this.ddlLog.record({
      kind: 'refuse', reason: 'name-collision', statement: `(rows of ${ref.schema}.${ref.name})`,
      detail: `${ref.schema}.${ref.name} maps to the destination table of ${ref.schema}.${owner.name}: its rows are not replicated. Rename it on the source, or give it a rename with modifyObjects`,
    }, formatLsn(this.txnFinalLsn));
    return true;
  }

  /**
   * A TRUNCATE of one partition of a selected partitioned table (partition-truncate.ts): pgoutput, which
   * publishes partitions through their root, does not send it. The destination partition is emptied at the
   * same place among the transaction's changes; a missing one is reported, not skipped silently.
   */
  private async partitionTruncate(t: CapturedTruncate): Promise<void> {
    const root = this.selectedTable(t.root);
    if (!root || !root.dml.has('truncate')) return;
    if (root.joinedAt && this.txnFinalLsn < parseLsn(root.joinedAt)) return; // its copy already reflects it
    const target = targetTableName(this.opts.ddl!.mapping, t.truncate);
    const lsn = formatLsn(this.txnFinalLsn);
    await this.submitBuffer();
    this.txnChanged = true;
    await this.backpressure();
    this.enqueueInDestTxn(async () => {
      const found = await this.db.query<{ e: boolean }>('SELECT to_regclass($1) IS NOT NULL AS e', [qualified(target)]);
      if (!found.rows[0]!.e) {
        this.ddlLog.record({
          kind: 'refuse', reason: 'partition-missing', statement: `TRUNCATE ${qualified(t.truncate)}`,
          detail: `partition ${t.truncate.schema}.${t.truncate.name} was truncated on the source, but ${target.schema}.${target.name} does not exist on the destination: ` +
            `empty the matching rows of ${root.target.schema}.${root.target.name} there yourself`,
        }, lsn);
        return;
      }
      await this.run(truncateStatement([target], false));
    });
  }

  /**
   * A repair asked by `pg-dts verify --repair` (src/verify/repair-row.ts): at its place in the stream the
   * destination rows of its keys become the source's rows as read, under row locks, in the same source
   * transaction; rows before it are written first. A row that fails its checks, or whose write fails, is
   * refused visibly (status, log) and the stream goes on: the verification's second look reports what is
   * still different.
   */
  private async repairRows(captured: unknown): Promise<void> {
    const lsn = formatLsn(this.txnFinalLsn);
    const req = parseRepair(captured);
    const refuse = (what: string, detail: string): void =>
      this.ddlLog.record({ kind: 'refuse', reason: 'repair-refused', statement: `(repair of ${what})`, detail }, lsn);
    if (typeof req === 'string') return refuse('an unreadable row', req);
    const name = `${req.table.schema}.${req.table.name}`;
    // Being copied again (its copy reads the source later anyway), or served by a catch-up stream beside this one.
    if (this.suspended.has(tableKey(req.table)) || (!this.opts.ddl!.adopt && !this.listed.has(tableKey(req.table)))) return;
    const table = this.selectedTable(req.table);
    if (!table) return refuse(name, `${name} is not a table the task syncs`);
    if (table.joinedAt && this.txnFinalLsn < parseLsn(table.joinedAt)) return; // its copy is later than this read
    await this.submitBuffer();
    this.txnChanged = true;
    await this.backpressure();
    this.enqueueInDestTxn(async () => {
      await this.db.query('SAVEPOINT pgdts_repair');
      try {
        const columnMap = table.columns ? new Map(req.columns.map((c) => [c, table.columns!(c)])) : null;
        const rel = await loadRelationTarget(this.db, table.target, req.keyColumns, { dml: table.dml, columnMap });
        const written = await writeRepair(this.db, rel, req);
        await this.db.query('RELEASE SAVEPOINT pgdts_repair');
        this.repairedKeys += req.keys.length;
        logger.info({ task: this.opts.ddl!.taskId, table: name, lsn, keys: req.keys.length, ...written }, 'rows repaired at their place in the stream');
      } catch (err) {
        await this.db.query('ROLLBACK TO SAVEPOINT pgdts_repair');
        refuse(name, `the repair of ${req.keys.length} key(s) failed on the destination: ${(err as Error).message}`);
      }
    });
  }

  /**
   * A logical message with the task's DDL prefix is never replayed: any role can send one. The trigger's own
   * "could not capture" report becomes a visible refusal; anything else is ignored, counted and logged.
   */
  private logicalMessage(msg: Pgoutput.MessageMessage): Promise<void> | void {
    const parsed = parseCaptureFailure(this.opts.ddl!.prefix, msg);
    if (parsed === null) return;
    if (parsed === 'forged') return this.ddlLog.ignoreForged(formatLsn(this.txnFinalLsn), Buffer.from(msg.content).length);
    return this.ddlMessage(parsed);
  }

  /** The table joined after this transaction's commit: its copy already holds the change. */
  private beforeJoin(rel: RelationTarget): boolean {
    return rel.joinedAt !== undefined && this.txnFinalLsn < rel.joinedAt;
  }

  private begin(msg: Pgoutput.MessageBegin): void {
    this.inSourceTxn = true;
    this.txnChanged = false;
    const finalLsn = parseLsn(msg.commitLsn ?? '0/0');
    this.txnFinalLsn = finalLsn;
    this.txnRowTables.clear();
    this.txnCreatedTables.clear();
    // Progress is a commit *end* LSN; a transaction whose commit record starts before it is already applied.
    this.skipping = this.opts.appliedUpTo !== null && finalLsn < this.opts.appliedUpTo;
    this.catchingUp = this.opts.catchUpUntil != null && finalLsn <= this.opts.catchUpUntil;
    if (!this.skipping && this.oldestUnappliedMs === null) this.oldestUnappliedMs = Number(msg.commitTime as bigint) / 1000;
  }

  private commit(msg: Pgoutput.MessageCommit): Promise<void> | void {
    this.inSourceTxn = false;
    if (this.skipping) {
      this.skipping = false;
      this.stats.skippedTransactions++;
      return;
    }
    this.pendingEnd = parseLsn(msg.commitEndLsn ?? '0/0');
    this.pendingTime = Number(msg.commitTime as bigint) / 1000;
    this.batchTxns++;
    if (this.txnChanged) this.stats.transactions++;
    // A batch ending at a commitAfter DDL commits with the same origin stamp (this transaction's end) as any.
    const full = this.batchTxns >= this.opts.maxBatchTransactions || this.batchBytes >= this.opts.maxBatchBytes || this.commitAtTxnEnd;
    this.commitAtTxnEnd = false;
    // Group commit: if the destination is idle, commit now; otherwise the batch grows until it is not.
    if (this.inflight === 0 || full) return this.submitCommit();
  }

  private relation(msg: Pgoutput.MessageRelation): Promise<void> | void {
    // The walsender resends a relation after any relcache invalidation (autovacuum's ANALYZE is enough):
    // an unchanged shape needs neither a catalog lookup nor a pause in the pipeline.
    const shape = relationShape(msg);
    if (this.relationShapes.get(msg.relationOid) === shape) return;
    this.relationShapes.set(msg.relationOid, shape);
    return this.reloadRelation(msg);
  }

  private async reloadRelation(msg: Pgoutput.MessageRelation): Promise<void> {
    await this.submitBuffer(); // buffered rows belong to the previous shape of the relation
    const partition = await this.partitionOfSelected({ schema: msg.schema, name: msg.name });
    let selected = partition ?? this.selectedTable({ schema: msg.schema, name: msg.name });
    if (selected && !partition && !this.listed.has(tableKey(selected.source)) && (await this.adoptionCollision(selected.source))) selected = undefined;
    if (!selected) {
      this.relations.delete(msg.relationOid);
      return;
    }
    let loaded: RelationTarget | undefined;
    const rules: TableRules = {
      dml: selected.dml, columnMap: columnMapOf(selected, msg),
      ...(selected.joinedAt ? { joinedAt: parseLsn(selected.joinedAt) } : {}),
      ...(selected.where && this.opts.evaluateRowFilter
        ? { rowFilter: { source: { schema: msg.schema, name: msg.name }, where: selected.where, columns: msg.columns.map((c) => ({ name: c.name, typeOid: c.typeOid, typeMod: c.typeMod })) } }
        : {}),
    };
    await this.enqueue(async () => {
      loaded = this.leaveOutMissingColumns(await loadRelationTarget(this.db, selected.target, msg.keyColumns, rules), msg);
    });
    this.throwIfFailed();
    if (loaded) this.relations.set(msg.relationOid, loaded);
  }

  /**
   * A partition published on its own (sources before 13) of a selected partitioned table: that table's
   * rules, written to the partition's destination name. Undefined for anything else.
   */
  private async partitionOfSelected(ref: TableRef): Promise<AppliedTable | undefined> {
    if (!this.opts.partitionRootOf || this.tables.has(tableKey(ref))) return undefined;
    const root = await this.opts.partitionRootOf(ref);
    if (!root || tableKey(root) === tableKey(ref)) return undefined;
    const table = this.selectedTable(root);
    if (!table) return undefined;
    const target = this.opts.ddl ? targetTableName(this.opts.ddl.mapping, ref) : { schema: table.target.schema, name: ref.name };
    return { ...table, target };
  }

  /**
   * Source columns the destination table does not have — added by DDL the task refused (or does not
   * replicate) and not yet added there by hand — are left out of every write, and named in `status`, so
   * the stream keeps going; the values flow again as soon as the column exists on the destination.
   */
  private leaveOutMissingColumns(rel: RelationTarget, msg: Pgoutput.MessageRelation): RelationTarget {
    const missing = msg.columns.map((c) => c.name).filter((c) => {
      const to = rel.columnMap ? rel.columnMap.get(c) : c;
      return to !== null && !rel.columnTypes.has(to ?? c);
    });
    if (!missing.length) return rel;
    const map = new Map(rel.columnMap ?? msg.columns.map((c) => [c.name, c.name]));
    for (const c of missing) {
      map.set(c, null);
      const name = `${msg.schema}.${msg.name}.${c}`;
      if (!this.stats.ignoredColumns.includes(name)) this.stats.ignoredColumns.push(name);
    }
    logger.warn({ table: `${msg.schema}.${msg.name}`, destination: rel.key, columns: missing }, 'source columns missing on the destination are not written');
    return { ...rel, columnMap: map };
  }

  private rowChange(msg: Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete, bytes: number): Promise<void> | void {
    const rel = this.relations.get(msg.relation.relationOid);
    if (!rel || !rel.dml.has(msg.tag) || this.beforeJoin(rel)) return;
    this.txnChanged = true;
    if (this.opts.ddl) this.txnRowTables.add(tableKey(msg.relation));
    this.stats.rows++;
    this.stats.bytes += bytes;
    this.batchBytes += bytes;
    if (this.catchingUp) this.buffer.catchUp = true;
    if (rel.rowFilter) {
      // Decided when the buffer is written, with every other row of the batch (one evaluation per table).
      const old = (msg.tag === 'insert' ? null : (msg.old ?? msg.key ?? null)) as Row | null;
      const change: FilteredChange = { op: msg.tag, rel: rel as FilteredChange['rel'], old, new: (msg.tag === 'delete' ? null : msg.new) as Row | null };
      if (msg.tag === 'delete' && !old) return;
      this.buffer.addFiltered(change, bytes);
      return this.submitIfFull();
    }
    const map = rel.columnMap;
    const mapped = (row: Row): Row => (map ? mapRow(row, map) : row);
    let change: LoggedChange;
    if (msg.tag === 'insert') change = { op: 'insert', rel, row: mapped(msg.new as Row) };
    else {
      // The old key (sent when the key changed, or the full old row) identifies the row; else the new row does.
      const keyRow = (msg.old ?? msg.key ?? (msg.tag === 'update' ? msg.new : null)) as Row | null;
      if (!keyRow) return;
      change = msg.tag === 'update' ? { op: 'update', rel, keyRow: mapped(keyRow), row: mapped(msg.new as Row) } : { op: 'delete', rel, keyRow: mapped(keyRow) };
    }
    // Not mergeable (a key change, or an anomaly only an ordered replay gets right): write it alone.
    if (!this.buffer.add(change, bytes)) return this.submitAlone(change);
    return this.submitIfFull();
  }

  private submitIfFull(): Promise<void> | void {
    if (this.buffer.size >= this.opts.maxBufferChanges || this.buffer.bytes >= this.opts.maxBufferBytes) return this.submitBuffer();
  }

  private async submitAlone(change: LoggedChange): Promise<void> {
    await this.submitBuffer();
    await this.backpressure();
    const catchUp = this.catchingUp;
    this.enqueueInDestTxn(() => this.writeOne(change, catchUp));
  }

  private async truncate(msg: Pgoutput.MessageTruncate): Promise<void> {
    await this.submitBuffer();
    const targets = msg.relations
      .map((r) => this.relations.get(r.relationOid))
      .filter((rel) => rel !== undefined && rel.dml.has('truncate') && !this.beforeJoin(rel))
      .map((rel) => rel!.target);
    if (!targets.length) return;
    this.txnChanged = true;
    const stmt = truncateStatement(targets, msg.restartIdentity);
    await this.backpressure();
    this.enqueueInDestTxn(async () => void (await this.run(stmt)));
  }

  // ---- the write pipeline: jobs run one after another on the destination session ----

  private enqueue(job: () => Promise<void>): Promise<void> {
    this.inflight++;
    const done = this.chain
      .then(() => (this.failure ? undefined : job()))
      .catch((err: unknown) => {
        if (this.failure) return;
        this.failure = err;
        this.opts.onFailure?.(err);
      })
      .finally(() => {
        this.inflight--;
        this.jobs.shift();
        this.onJobDone();
      });
    this.chain = done;
    this.jobs.push(done);
    return done;
  }

  /** At most MAX_QUEUED_JOBS jobs queued: memory stays bounded while decoding and writing overlap. */
  private async backpressure(): Promise<void> {
    while (this.jobs.length >= MAX_QUEUED_JOBS) await this.jobs[0];
    this.throwIfFailed();
  }

  private onJobDone(): void {
    // The destination went idle with complete transactions waiting: commit them now (low lag).
    if (this.inflight === 0 && !this.inSourceTxn && this.pendingEnd !== null && !this.failure) {
      this.submitCommit().catch((err: unknown) => void (this.failure ??= err));
    }
  }

  private openDestTxn(): boolean {
    const needsBegin = !this.destTxnOpen;
    this.destTxnOpen = true;
    return needsBegin;
  }

  private async submitBuffer(): Promise<void> {
    if (this.buffer.size === 0) return;
    await this.backpressure();
    if (this.buffer.size === 0) return;
    const buf = this.buffer;
    this.buffer = new ChangeBuffer();
    this.enqueueInDestTxn(() => this.write(buf));
  }

  /**
   * Queues work inside the open destination transaction, opening one if needed. Synchronous on purpose:
   * callers wait for backpressure first, so nothing can be queued between their check and this job.
   */
  private enqueueInDestTxn(work: () => Promise<void>): void {
    const begin = this.openDestTxn();
    void this.enqueue(async () => {
      if (begin) await this.db.query('BEGIN');
      await work();
    });
  }

  private async submitCommit(): Promise<void> {
    await this.backpressure();
    // Everything below is synchronous, so jobs are queued in stream order even if another caller ran
    // (the idle hook) while this one waited.
    if (this.pendingEnd === null || this.inSourceTxn) return;
    const lsn = this.pendingEnd;
    const time = this.pendingTime;
    const buf = this.buffer;
    const batchStartMs = this.oldestUnappliedMs ?? time;
    this.buffer = new ChangeBuffer();
    this.pendingEnd = null;
    this.oldestUnappliedMs = null;
    this.batchTxns = 0;
    this.batchBytes = 0;
    this.submittedBatchTimes.push(batchStartMs);
    const counted = { rows: this.stats.rows, bytes: this.stats.bytes, transactions: this.stats.transactions, commitMs: time };
    const hasWrites = this.destTxnOpen || buf.size > 0;
    const begin = hasWrites && !this.destTxnOpen;
    this.destTxnOpen = false;
    void this.enqueue(async () => {
      if (hasWrites) {
        if (begin) await this.db.query('BEGIN');
        await this.write(buf);
        await this.commitWithProgress(lsn, time);
        this.stats.batches++;
      }
      // Transactions with nothing for the selected tables need no destination write to be acknowledged.
      this.submittedBatchTimes.shift();
      this.stats.appliedLsn = formatLsn(lsn);
      Object.assign(this.committed, counted);
      this.opts.onCommitted(lsn);
    });
  }

  /**
   * Stamps the transaction with the source position and commits it, in ONE round trip. PostgreSQL
   * advances the origin at abort too once xact_setup has run, so a worker killed between a separate
   * xact_setup and COMMIT would lose the batch (rolled back) yet skip it on restart (origin moved).
   * Sent together, the server runs both even if the client vanishes. If COMMIT itself fails, the origin is
   * put back to the last position known durable before the error is raised.
   */
  private async commitWithProgress(lsn: Lsn, timeMs: number): Promise<void> {
    const setup = `SELECT pg_replication_origin_xact_setup(${literal(formatLsn(lsn))}::pg_lsn, ${literal(new Date(timeMs).toISOString())}::timestamptz)`;
    try {
      await this.db.query(`${setup}; COMMIT`);
    } catch (err) {
      await this.db.query('ROLLBACK').catch(() => undefined);
      await this.restoreOriginProgress().catch((e: unknown) => logger.error({ err: (e as Error).message }, 'could not restore the replication origin after a failed COMMIT'));
      throw err;
    }
    this.durableLsn = lsn;
  }

  /** Puts the origin back to the last committed position (the failed COMMIT's abort moved it forward). */
  private async restoreOriginProgress(): Promise<void> {
    await this.db.query('SELECT pg_replication_origin_session_reset()');
    await this.db.query('SELECT pg_replication_origin_advance($1, $2::pg_lsn)', [this.opts.origin, formatLsn(this.durableLsn ?? 0n)]);
    await this.db.query('SELECT pg_replication_origin_session_setup($1)', [this.opts.origin]);
  }

  // ---- writing one buffer ----

  private async write(buf: ChangeBuffer): Promise<void> {
    if (buf.filtered.length) await this.writeFiltered(buf.filtered, buf.catchUp);
    if (buf.log.length === 0) return;
    if (buf.log.length === 1) return this.writeOne(buf.log[0]!, buf.catchUp);
    // Only tables with unique constraints besides the key can reject a set-wise write that the ordered
    // changes would pass; protect just those batches with a savepoint (each one is a subtransaction).
    const effects = buf.effects();
    if (!effects.some((e) => e.rel.hasOtherUniques)) return this.writeEffects(effects, buf.catchUp);
    await this.db.query('SAVEPOINT pgdts_batch');
    try {
      await this.writeEffects(effects, buf.catchUp);
    } catch (err) {
      if (!isConstraintViolation(err)) throw err;
      await this.db.query('ROLLBACK TO SAVEPOINT pgdts_batch');
      this.stats.replayedBatches++;
      logger.info({ changes: buf.size, reason: (err as Error).message }, 'batch replayed change by change');
      for (const c of buf.log) await this.writeOne(c, buf.catchUp);
    }
    await this.db.query('RELEASE SAVEPOINT pgdts_batch');
  }

  /**
   * Changes of tables whose row filter the applier evaluates: the pre-image rule decides each one, then
   * they are merged and written like any others, in order (a change that cannot be merged goes alone).
   */
  private async writeFiltered(changes: FilteredChange[], catchUp: boolean): Promise<void> {
    const decided = await resolveFiltered(changes, this.opts.evaluateRowFilter!, (rel, row) => (rel.columnMap ? mapRow(row, rel.columnMap) : row));
    const fresh = (): ChangeBuffer => Object.assign(new ChangeBuffer(), { catchUp });
    let merged = fresh();
    for (const c of decided) {
      if (merged.add(c, 0)) continue;
      await this.write(merged);
      merged = fresh();
      await this.writeOne(c, catchUp);
    }
    await this.write(merged);
  }

  private async writeEffects(effects: TableEffect[], catchUp: boolean): Promise<void> {
    for (const e of effects) {
      if (e.deletes.length) this.countMissing(e.rel, e.deletes.length, await this.run(multiDelete(e.rel, e.deletes)), catchUp);
      for (const [columns, group] of groupBy(e.updates, (u) => setColumnsOf(e.rel, u.keyRow, u.row))) {
        if (columns.length) this.countMissing(e.rel, group.length, await this.run(multiUpdate(e.rel, columns, group)), catchUp);
      }
      for (const [columns, rows] of groupBy(e.inserts, (r) => signatureColumns(r))) await this.run(multiInsert(e.rel, columns, rows));
    }
  }

  private async writeOne(c: LoggedChange, catchUp: boolean): Promise<void> {
    if (c.op === 'insert') {
      await this.run(multiInsert(c.rel, signatureColumns(c.row), [c.row]));
      return;
    }
    if (c.op === 'delete') {
      this.countMissing(c.rel, 1, await this.run(multiDelete(c.rel, [c.keyRow])), catchUp);
      return;
    }
    // Only a real key change can find its new key taken (the statement would delete the row itself otherwise).
    if (catchUp && keyChanges(c.rel.keyColumns, c.keyRow, c.row)) await this.run(deleteKeyTakenByMove(c.rel, c.keyRow, c.row));
    const columns = setColumnsOf(c.rel, c.keyRow, c.row);
    if (columns.length) this.countMissing(c.rel, 1, await this.run(multiUpdate(c.rel, columns, [c])), catchUp);
  }

  private countMissing(rel: RelationTarget, expected: number, affected: number, catchUp: boolean): void {
    if (affected >= expected) return;
    if (catchUp) {
      this.stats.catchUpMissingRows += expected - affected;
      return;
    }
    this.stats.missingRows += expected - affected;
    logger.warn({ table: rel.key, missing: expected - affected }, 'rows to change are missing on the destination');
  }

  private async run(stmt: Statement): Promise<number> {
    let name = this.preparedNames.get(stmt.text);
    if (!name) {
      name = `pgdts_${this.preparedNames.size + 1}`;
      this.preparedNames.set(stmt.text, name);
    }
    const r = await this.db.query({ name, text: stmt.text, values: stmt.values });
    return r.rowCount ?? 0;
  }
}

/** The source -> destination column names of a relation, or null when nothing is renamed or excluded. */
function columnMapOf(table: AppliedTable, msg: Pgoutput.MessageRelation): Map<string, string | null> | null {
  if (!table.columns) return null;
  return new Map(msg.columns.map((c) => [c.name, table.columns!(c.name)]));
}

/** What a relation message says about a table's shape: names, columns with types, key flags. */
const relationShape = (msg: Pgoutput.MessageRelation): string =>
  JSON.stringify([msg.schema, msg.name, msg.replicaIdentity, msg.columns.map((c) => [c.name, c.typeOid, c.typeMod, c.flags])]);

function groupBy<T>(items: T[], columnsOf: (item: T) => string[]): Map<string[], T[]> {
  const byKey = new Map<string, { columns: string[]; items: T[] }>();
  for (const item of items) {
    const columns = columnsOf(item);
    const k = columns.join('\u0000');
    const g = byKey.get(k);
    if (g) g.items.push(item);
    else byKey.set(k, { columns, items: [item] });
  }
  return new Map([...byKey.values()].map((g) => [g.columns, g.items]));
}
