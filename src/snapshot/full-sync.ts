// Full data sync: every table is read inside one exported snapshot (the consistent cut where incremental
// sync starts) and written with COPY, several tables at a time.
import type { Client, ClientConfig } from 'pg';
import { connect, connectApplier } from '../conn/connect';
import { tableKey, type SelectedTable } from '../catalog/names';
import { qualified } from '../util/sql';
import { copyTable } from './copy-table';

export interface TableProgress {
  table: string;
  rows: number;
  bytes: number;
  done: boolean;
}

export interface FullSyncOptions {
  tables: SelectedTable[];
  source: ClientConfig;
  destination: ClientConfig;
  snapshotName: string;
  concurrency: number;
  /** false when destination tables may hold rows that are not ours (conflictingTables = ignore). */
  truncateFirst: boolean;
  onProgress: (p: TableProgress) => void;
}

async function openSnapshotSession(config: ClientConfig, snapshotName: string): Promise<Client> {
  const client = await connect(config);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await client.query(`SET TRANSACTION SNAPSHOT '${snapshotName.replace(/'/g, "''")}'`);
  return client;
}

async function copyWorker(opts: FullSyncOptions, queue: SelectedTable[], results: TableProgress[]): Promise<void> {
  const source = await openSnapshotSession(opts.source, opts.snapshotName);
  const destination = await connectApplier(opts.destination);
  try {
    for (let table = queue.shift(); table; table = queue.shift()) {
      const progress: TableProgress = { table: tableKey(table.source), rows: 0, bytes: 0, done: false };
      await destination.query('BEGIN');
      // Truncating in the same transaction makes a retried copy start from empty, never duplicate rows.
      if (opts.truncateFirst) await destination.query(`TRUNCATE ${qualified(table.target)}`);
      const { rows, bytes } = await copyTable(source, destination, table, {
        keepExisting: !opts.truncateFirst,
        onBytes: (n) => {
          progress.bytes += n;
          opts.onProgress(progress);
        },
      });
      await destination.query('COMMIT');
      Object.assign(progress, { rows, bytes, done: true });
      opts.onProgress(progress);
      results.push(progress);
    }
  } finally {
    await destination.end().catch(() => undefined);
    await source.query('COMMIT').catch(() => undefined);
    await source.end().catch(() => undefined);
  }
}

export async function copyAllTables(opts: FullSyncOptions): Promise<TableProgress[]> {
  const queue = [...opts.tables];
  const results: TableProgress[] = [];
  const workers = Math.max(1, Math.min(opts.concurrency, queue.length));
  await Promise.all(Array.from({ length: workers }, () => copyWorker(opts, queue, results)));
  return results;
}
