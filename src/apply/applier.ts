// Applies decoded pgoutput messages to the destination, exactly once.
//
// Several source transactions are grouped into one destination transaction (a batch). Just before the
// batch commits, pg_replication_origin_xact_setup() stamps it with the last source commit's end LSN, so
// the destination's origin progress moves atomically with the data. On restart, transactions whose commit
// lies before that progress are skipped. Only after COMMIT returns is the LSN acknowledged to the slot.
import type { Client } from 'pg';
import type { Pgoutput } from 'pg-logical-replication';
import { tableKey, type SelectedTable, type TableRef } from '../catalog/names';
import { logger } from '../log';
import { formatLsn, parseLsn, type Lsn } from '../util/lsn';
import { qualified } from '../util/sql';
import { deleteStatement, insertStatement, truncateStatement, updateStatement, type Row, type Statement } from './statements';

export interface ApplierOptions {
  /** Source commit end LSN already applied (origin progress); earlier transactions are skipped. */
  appliedUpTo: Lsn | null;
  maxBatchTransactions: number;
  maxBatchMs: number;
  onCommitted: (lsn: Lsn) => void;
}

export interface ApplierStats {
  appliedLsn: string | null;
  transactions: number;
  rows: number;
  skippedTransactions: number;
  missingRows: number;
  /** Commit time (ms since epoch) of the source transaction being applied, null when idle. */
  applyingCommitTimeMs: number | null;
}

interface RelationTarget {
  target: TableRef;
  keyColumns: string[];
  /** GENERATED ALWAYS identity columns: an UPDATE may not name them. */
  alwaysIdentity: string[];
}

/**
 * Drops GENERATED ALWAYS identity columns whose value the update does not change (the usual case: the
 * key stays). A changed one stays in, and the destination refuses it loudly rather than diverging.
 */
function withoutUnchangedIdentity(rel: RelationTarget, keyRow: Row, row: Row): Row {
  if (!rel.alwaysIdentity.length) return row;
  const out: Row = { ...row };
  for (const c of rel.alwaysIdentity) if (keyRow[c] !== undefined && keyRow[c] === row[c]) delete out[c];
  return out;
}

export class Applier {
  private inSourceTxn = false;
  private skipping = false;
  private batchOpen = false;
  private batchTxns = 0;
  private batchStartedAt = 0;
  private pendingEnd: Lsn | null = null;
  private pendingTime = 0;
  private readonly relations = new Map<number, RelationTarget>();
  private readonly keyCache = new Map<string, string[]>();
  private readonly preparedNames = new Map<string, string>();
  readonly stats: ApplierStats = {
    appliedLsn: null, transactions: 0, rows: 0, skippedTransactions: 0, missingRows: 0, applyingCommitTimeMs: null,
  };

  constructor(
    private readonly db: Client,
    private readonly tables: Map<string, SelectedTable>,
    private readonly opts: ApplierOptions,
  ) {
    if (opts.appliedUpTo !== null) this.stats.appliedLsn = formatLsn(opts.appliedUpTo);
  }

  /** True when nothing is half-applied: the next message starts a new source transaction. */
  get atTransactionBoundary(): boolean {
    return !this.inSourceTxn;
  }

  get hasOpenBatch(): boolean {
    return this.batchOpen;
  }

  async handle(msg: Pgoutput.Message): Promise<void> {
    switch (msg.tag) {
      case 'begin':
        return this.begin(msg);
      case 'commit':
        return this.commit(msg);
      case 'relation':
        return this.relation(msg);
      case 'insert':
      case 'update':
      case 'delete':
      case 'truncate':
        if (this.skipping) return;
        await this.ensureBatch();
        return this.change(msg);
      default:
        return; // type, origin and message records carry nothing to apply here
    }
  }

  private begin(msg: Pgoutput.MessageBegin): void {
    this.inSourceTxn = true;
    const finalLsn = parseLsn(msg.commitLsn ?? '0/0');
    // Progress is a commit *end* LSN; a transaction whose commit record starts before it is already applied.
    this.skipping = this.opts.appliedUpTo !== null && finalLsn < this.opts.appliedUpTo;
    this.stats.applyingCommitTimeMs = Number(msg.commitTime as bigint) / 1000;
  }

  private async commit(msg: Pgoutput.MessageCommit): Promise<void> {
    this.inSourceTxn = false;
    if (this.skipping) {
      this.skipping = false;
      this.stats.skippedTransactions++;
      return;
    }
    if (!this.batchOpen) await this.ensureBatch(); // an empty transaction still moves progress
    this.pendingEnd = parseLsn(msg.commitEndLsn ?? '0/0');
    this.pendingTime = Number(msg.commitTime as bigint) / 1000;
    this.batchTxns++;
    this.stats.transactions++;
    if (this.batchTxns >= this.opts.maxBatchTransactions || Date.now() - this.batchStartedAt >= this.opts.maxBatchMs) {
      await this.flush();
    }
  }

  private async ensureBatch(): Promise<void> {
    if (this.batchOpen) return;
    await this.db.query('BEGIN');
    this.batchOpen = true;
    this.batchTxns = 0;
    this.batchStartedAt = Date.now();
  }

  /** Commits the open batch if no source transaction is half-applied. Returns true if it committed. */
  async flush(): Promise<boolean> {
    if (!this.batchOpen || this.inSourceTxn || this.pendingEnd === null) return false;
    const lsn = this.pendingEnd;
    await this.db.query('SELECT pg_replication_origin_xact_setup($1::pg_lsn, $2::timestamptz)', [
      formatLsn(lsn),
      new Date(this.pendingTime).toISOString(),
    ]);
    await this.db.query('COMMIT');
    this.batchOpen = false;
    this.pendingEnd = null;
    this.stats.appliedLsn = formatLsn(lsn);
    this.stats.applyingCommitTimeMs = null;
    this.opts.onCommitted(lsn);
    return true;
  }

  async rollback(): Promise<void> {
    if (this.batchOpen) await this.db.query('ROLLBACK').catch(() => undefined);
    this.batchOpen = false;
    this.pendingEnd = null;
  }

  private async relation(msg: Pgoutput.MessageRelation): Promise<void> {
    const selected = this.tables.get(tableKey({ schema: msg.schema, name: msg.name }));
    if (!selected) {
      this.relations.delete(msg.relationOid);
      return;
    }
    const keyColumns = (await this.destinationKey(selected.target)) ?? msg.keyColumns;
    const identity = await this.db.query<{ name: string }>(
      `SELECT attname::text AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attidentity = 'a' AND NOT attisdropped`,
      [qualified(selected.target)],
    );
    this.relations.set(msg.relationOid, { target: selected.target, keyColumns, alwaysIdentity: identity.rows.map((r) => r.name) });
  }

  /** The destination's primary key (or first non-null unique index) columns: what identifies a row there. */
  private async destinationKey(target: TableRef): Promise<string[] | null> {
    const cacheKey = tableKey(target);
    if (!this.keyCache.has(cacheKey)) {
      const { rows } = await this.db.query<{ cols: string[] }>(
        `SELECT ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
                        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) AS cols
           FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
          ORDER BY i.indisprimary DESC, i.indexrelid LIMIT 1`,
        [qualified(target)],
      );
      this.keyCache.set(cacheKey, rows[0]?.cols ?? []);
    }
    const cols = this.keyCache.get(cacheKey)!;
    return cols.length ? cols : null;
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

  private async change(msg: Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete | Pgoutput.MessageTruncate): Promise<void> {
    if (msg.tag === 'truncate') {
      const targets = msg.relations.map((r) => this.relations.get(r.relationOid)?.target).filter((t): t is TableRef => !!t);
      if (targets.length) await this.run(truncateStatement(targets, msg.restartIdentity));
      return;
    }
    const rel = this.relations.get(msg.relation.relationOid);
    if (!rel) return;
    this.stats.rows++;
    if (msg.tag === 'insert') {
      await this.run(insertStatement(rel.target, msg.new as Row));
      return;
    }
    // The old key (sent when the key changed, or the full old row) identifies the row; else the new row does.
    const keyRow = (msg.old ?? msg.key ?? (msg.tag === 'update' ? msg.new : null)) as Row | null;
    if (!keyRow) return;
    const stmt = msg.tag === 'update'
      ? updateStatement(rel.target, rel.keyColumns, keyRow, withoutUnchangedIdentity(rel, keyRow, msg.new as Row))
      : deleteStatement(rel.target, rel.keyColumns, keyRow);
    if (!stmt) return;
    const affected = await this.run(stmt);
    if (affected === 0) {
      this.stats.missingRows++;
      logger.warn({ table: tableKey(rel.target), op: msg.tag }, 'row to change is missing on the destination');
    }
  }
}
