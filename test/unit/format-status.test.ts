import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatEta, formatStatus, MAX_TABLE_LINES, statusOutput } from '../../src/cli/format-status';
import { formatTaskList } from '../../src/cli/list';
import { BAR_COMPLETE, BAR_INCOMPLETE, BAR_SIZE, renderBars } from '../../src/cli/progress-bars';
import type { FullSyncStatus, TableStatus, TaskStatus } from '../../workflows/status';

const base: TaskStatus = {
  name: 'orders-sync',
  taskId: 'abc123',
  phase: 'full',
  paused: false,
  source: 'src:5432/app',
  destination: 'dst:5432/app',
  slot: 'pgdts_abc123',
  publication: 'pgdts_abc123',
  syncTypes: ['schema', 'full', 'incremental'],
  tables: [],
  precheck: null,
  consistentPoint: null,
  full: null,
  incremental: null,
  lastError: null,
  throttle: {},
  phaseChanges: [],
};

const half: TableStatus = {
  source: 'public.orders',
  target: 'public.orders',
  state: 'copying',
  rowsCopied: 500_000,
  bytesCopied: 50 * 1024 * 1024,
  estimatedRows: 1_000_000,
  estimatedBytes: 120 * 1024 * 1024,
  chunks: 8,
  chunksDone: 4,
  rowsPerSecond: 12_000,
  etaSeconds: 65,
};
const done: TableStatus = { source: 'public.users', target: 'public.users', state: 'copied', rowsCopied: 20_000, bytesCopied: 2 * 1024 * 1024, estimatedRows: 19_000, chunks: 2, chunksDone: 2 };
const full: FullSyncStatus = {
  tables: 2,
  tablesDone: 1,
  chunks: 10,
  chunksDone: 6,
  rowsCopied: 520_000,
  bytesCopied: 52 * 1024 * 1024,
  estimatedRows: 1_020_000,
  rowsPerSecond: 12_000,
  bytesPerSecond: 1.5 * 1024 * 1024,
  etaSeconds: 3700,
  resumedAttempts: 2,
  binaryTables: 1,
  reportedAt: '2024-01-01T00:00:00.000Z',
};

const lineOf = (text: string, name: string): string => {
  const line = text.split('\n').find((l) => l.includes(name));
  assert.ok(line, `no line for ${name} in:\n${text}`);
  return line;
};

test('a table half copied: 50%, a bar half filled, rows, bytes, chunks, rate and ETA', () => {
  const text = formatStatus({ ...base, tables: [half, done], full });
  const line = lineOf(text, 'public.orders');
  assert.match(line, / 50% /);
  const bar = line.match(new RegExp(`[${BAR_COMPLETE}${BAR_INCOMPLETE}]+`))![0];
  assert.equal(bar, BAR_COMPLETE.repeat(BAR_SIZE / 2) + BAR_INCOMPLETE.repeat(BAR_SIZE / 2));
  assert.match(line, /copying/);
  assert.match(line, /500,000\/1,000,000 rows/);
  assert.match(line, /50\.0 MiB/);
  assert.match(line, /chunks 4\/8/);
  assert.match(line, /12,000 rows\/s/);
  assert.match(line, /ETA 1m05s/);
});

test('a copied table: a full bar at 100%', () => {
  const text = formatStatus({ ...base, tables: [half, done], full });
  const line = lineOf(text, 'public.users');
  assert.match(line, /100%/);
  assert.ok(line.includes(BAR_COMPLETE.repeat(BAR_SIZE)));
  assert.ok(!line.includes(BAR_INCOMPLETE));
  assert.match(line, /chunks 2\/2/);
  assert.match(line, /ETA -/);
});

test('the summary line: tables, chunks, rows, bytes, rates, ETA, resumed attempts', () => {
  const text = formatStatus({ ...base, tables: [half, done], full });
  const line = lineOf(text, 'full sync');
  assert.match(line, /tables 1\/2/);
  assert.match(line, /chunks 6\/10/);
  assert.match(line, /520,000\/1,020,000 rows/);
  assert.match(line, /52\.0 MiB/);
  assert.match(line, /12,000 rows\/s/);
  assert.match(line, /1\.5 MiB\/s/);
  assert.match(line, /ETA 1h01m/);
  assert.match(line, /resumed 2 times/);
  assert.doesNotMatch(formatStatus({ ...base, tables: [half, done], full: { ...full, resumedAttempts: 0 } }), /resumed/);
});

test('an estimate below the rows copied counts up to the rows copied', () => {
  const text = formatStatus({ ...base, tables: [{ ...half, estimatedRows: 400_000 }] });
  const line = lineOf(text, 'public.orders');
  assert.match(line, /100%/);
  assert.match(line, /500,000\/500,000 rows/);
});

test('a workflow without the optional fields: no NaN, no undefined', () => {
  const bare = (t: TableStatus): TableStatus => ({ source: t.source, target: t.target, state: t.state, rowsCopied: t.rowsCopied, bytesCopied: t.bytesCopied });
  const pending: TableStatus = { source: 'public.items', target: 'archive.items', state: 'pending', rowsCopied: 0, bytesCopied: 0 };
  const old = { ...base, tables: [bare(half), bare(done), pending] } as Partial<TaskStatus>;
  delete old.full;
  delete (old as { throttle?: unknown }).throttle;
  const weird: TableStatus = { ...half, source: 'public.weird', target: 'public.weird', estimatedRows: -1, chunks: undefined, rowsPerSecond: Number.NaN, etaSeconds: null };
  for (const s of [
    old as TaskStatus,
    { ...base, tables: [weird, pending] },
    { ...base, tables: [half], full: { reportedAt: 'x' } as unknown as FullSyncStatus },
    { ...base, phase: 'incremental' as const, tables: [bare(done)], full },
    { ...base, tables: [] },
  ]) {
    const text = formatStatus(s);
    assert.doesNotMatch(text, /NaN|undefined|Infinity|null/, text);
  }
  const text = formatStatus(old as TaskStatus);
  assert.match(lineOf(text, 'public.orders'), /\?% copying +500,000 rows/);
  assert.match(lineOf(text, 'public.items -> archive.items'), / 0% pending/);
  assert.match(lineOf(text, 'full sync'), /tables 1\/3/);
});

test('more than 20 tables: the ones being copied, and counts of the rest', () => {
  const tables: TableStatus[] = Array.from({ length: 1000 }, (_, i) => ({
    ...half,
    source: `public.t${i}`,
    target: `public.t${i}`,
    state: i % 100 === 0 ? 'copying' : i < 600 ? 'copied' : 'pending',
  }));
  const text = formatStatus({ ...base, tables });
  const tableLines = text.split('\n').filter((l) => /public\.t\d+ /.test(l));
  assert.deepEqual(
    tableLines.map((l) => l.trim().split(' ')[0]),
    tables.filter((t) => t.state === 'copying').map((t) => t.source),
  );
  assert.match(text, /1,000 tables, not shown: 396 pending, 594 copied/);
  assert.ok(text.split('\n').length < MAX_TABLE_LINES + 10);

  const few = formatStatus({ ...base, tables: tables.slice(0, MAX_TABLE_LINES) });
  assert.equal(few.split('\n').filter((l) => /public\.t\d+ /.test(l)).length, MAX_TABLE_LINES);
  assert.doesNotMatch(few, /not shown/);
});

test('after the full sync the table list and the incremental lines stay as they were', () => {
  const s: TaskStatus = {
    ...base,
    phase: 'incremental',
    tables: [done],
    incremental: {
      sourceLsn: '0/3000000',
      appliedLsn: '0/2000000',
      receivedLsn: '0/2800000',
      confirmedLsn: '0/2000000',
      retainedWalBytes: 16 * 1024 * 1024,
      retainedWalWarning: false,
      transactions: 10,
      batches: 2,
      rows: 100,
      bytes: 1000,
      missingRows: 0,
      replayedBatches: 0,
      lagSeconds: 1.25,
      rowsPerSecond: 50,
      bytesPerSecond: 2048,
      reportedAt: '2024-01-01T00:00:00.000Z',
    },
    lastError: 'boom',
  };
  const text = formatStatus(s);
  assert.ok(text.includes(`  ${'public.users'.padEnd(30)} -> ${'public.users'.padEnd(30)} copied   20000 rows 2.0 MiB`));
  assert.ok(!text.includes(BAR_COMPLETE), 'no bars without s.full after the full sync');
  assert.match(text, /incremental: lag 1\.3 s, 100 rows in 10 txns, 50 rows\/s, 2 KiB\/s/);
  assert.match(text, /slot retains 16\.0 MiB of WAL/);
  assert.match(text, /throttle: none \(unlimited\)/);
  assert.match(text, /last error: boom/);
});

test('pure: the same status gives the same text', () => {
  const s = { ...base, tables: [half, done], full };
  assert.equal(formatStatus(s), formatStatus(s));
});

test('--json prints the status as JSON, without bars', () => {
  const s = { ...base, tables: [half, done], full };
  const json = statusOutput(s, { json: true });
  assert.equal(json, JSON.stringify(s, null, 2));
  assert.deepEqual(JSON.parse(json), s);
  assert.ok(!json.includes(BAR_COMPLETE));
  assert.equal(statusOutput(s), formatStatus(s));
  assert.equal(statusOutput(s, { json: false }), formatStatus(s));
});

test('renderBars: one line per bar, glyphs from cli-progress', () => {
  assert.deepEqual(renderBars([]), []);
  const lines = renderBars([
    { value: 1, total: 4, prefix: 'a', suffix: 'x' },
    { value: 0, total: 0, prefix: 'b', suffix: 'y', unknown: true },
  ]);
  assert.deepEqual(lines, [`a ${BAR_COMPLETE.repeat(5)}${BAR_INCOMPLETE.repeat(15)}  25% x`, `b ${BAR_INCOMPLETE.repeat(20)}   ?% y`]);
});

test('formatEta', () => {
  assert.equal(formatEta(41), '41s');
  assert.equal(formatEta(65), '1m05s');
  assert.equal(formatEta(7500), '2h05m');
  assert.equal(formatEta(2 * 86400 + 4 * 3600), '2d04h');
  assert.equal(formatEta(null), '-');
  assert.equal(formatEta(undefined), '-');
  assert.equal(formatEta(Number.NaN), '-');
  assert.equal(formatEta(-3), '-');
});

test('a modifyObjects in progress or refused is shown with what it adds and removes and why', () => {
  const removed: TableStatus = { ...done, source: 'public.old', target: 'public.old', state: 'removed' };
  const s: TaskStatus = {
    ...base, phase: 'incremental', tables: [done, removed],
    modification: {
      state: 'copying', added: ['public.new'], removed: ['public.old'], requestedAt: '2026-01-01T00:00:00.000Z', finishedAt: null, problems: [],
    },
  };
  const text = formatStatus(s);
  assert.match(text, /modifyObjects \(2026-01-01T00:00:00\.000Z\): copying — adding public\.new; removing public\.old/);
  assert.match(text, /public\.old .*removed/);
  const refused = formatStatus({ ...s, modification: { ...s.modification!, state: 'refused', problems: ['precheck of the added tables failed:\nFAIL primary-key: x'] } });
  assert.match(refused, /refused — adding public\.new; removing public\.old\n {4}precheck of the added tables failed:\n {4}FAIL primary-key: x/);
});

test('DDL outcomes and columns left out are shown under incremental', () => {
  const s: TaskStatus = {
    ...base, phase: 'incremental',
    incremental: {
      sourceLsn: '0/2', appliedLsn: '0/2', receivedLsn: '0/2', confirmedLsn: '0/2', retainedWalBytes: 0, retainedWalWarning: false,
      transactions: 1, batches: 1, rows: 1, bytes: 1, missingRows: 0, replayedBatches: 0, lagSeconds: 0, rowsPerSecond: 0, bytesPerSecond: 0,
      reportedAt: '2026-01-01T00:00:00.000Z', ignoredColumns: ['app.t.c'],
      ddl: {
        applied: 3, refused: 2, refusedBy: { 'in-function': 1, 'replica-role': 1 },
        recent: [
          { at: 'x', lsn: '0/1', statement: 'ALTER TABLE app.t ADD COLUMN b int', outcome: 'applied' },
          { at: 'x', lsn: '0/1A', statement: 'DO $$ BEGIN\n  ALTER TABLE app.t ADD c int; END $$', outcome: 'in-function' },
        ],
      },
    },
  };
  const text = formatStatus(s);
  assert.match(text, /DDL: 3 replicated, 2 not replicated \(in-function 1, replica-role 1\)/);
  assert.match(text, /not replicated \(in-function\) at 0\/1A: DO \$\$ BEGIN ALTER TABLE app\.t ADD c int; END \$\$/);
  assert.ok(!text.includes('ADD COLUMN b'), 'applied statements are counted, not listed');
  assert.match(text, /source columns missing on the destination are not written: app\.t\.c/);
});

test('status charts incremental.lagHistory when the workflow reports it, and not otherwise', () => {
  const incremental = {
    sourceLsn: '0/2', appliedLsn: '0/2', receivedLsn: '0/2', confirmedLsn: '0/2', retainedWalBytes: 0, retainedWalWarning: false,
    transactions: 1, batches: 1, rows: 1, bytes: 1, missingRows: 0, replayedBatches: 0, lagSeconds: 0.5, rowsPerSecond: 0, bytesPerSecond: 0,
    reportedAt: '2026-01-01T00:01:00.000Z',
  };
  const without = formatStatus({ ...base, phase: 'incremental', incremental });
  assert.ok(!without.includes('lag (seconds)'), 'no history, no chart');
  const lagHistory: [string, number][] = [['2026-01-01T00:00:40.000Z', 4], ['2026-01-01T00:00:50.000Z', 2], ['2026-01-01T00:01:00.000Z', 0.5]];
  const s: TaskStatus = { ...base, phase: 'incremental', incremental: { ...incremental, lagHistory } };
  const text = statusOutput(s);
  assert.match(text, /lag \(seconds\), last 10 min: now 0\.5 s, max 4\.0 s\n {7}4\.0 ┼╮\n/);
  assert.match(text, /00:00:40 - 00:01:00 UTC/);
  assert.ok(!formatStatus(s, { lagChart: false }).includes('lag (seconds)'), '--watch draws its own chart');
  assert.ok(!statusOutput(s, { json: true }).includes('lag (seconds)'), 'JSON stays JSON');
});

test('pg-dts list: aligned columns under a header, a plain line when there are none', () => {
  assert.equal(formatTaskList([]), 'no syncTask tasks found');
  const text = formatTaskList([
    { task: 'orders', status: 'running', phase: 'incremental', started: '2026-01-01T00:00:00Z', source: 'a:5432/app', destination: 'b:5432/app', tags: 'env=prod,team=pay' },
    { task: 'x', status: 'failed', phase: '-', started: '2026-01-02T00:00:00Z', source: '-', destination: '-', tags: '-' },
  ]);
  assert.deepEqual(text.split('\n'), [
    'TASK    STATUS   PHASE        STARTED               SOURCE      DESTINATION  TAGS',
    'orders  running  incremental  2026-01-01T00:00:00Z  a:5432/app  b:5432/app   env=prod,team=pay',
    'x       failed   -            2026-01-02T00:00:00Z  -           -            -',
  ]);
});

test('a failing step being retried, firing alerts and continued runs are shown', () => {
  assert.doesNotMatch(formatStatus({ ...base, phase: 'incremental', firingAlerts: [] }), /ALERT/);
  const text = formatStatus({
    ...base, phase: 'incremental', continuedRuns: 2, firingAlerts: ['lag', 'retained-wal'],
    retrying: { activity: 'incrementalSync', failureClass: 'connection', since: '2026-01-01T00:00:00.000Z', message: 'connect ECONNREFUSED 10.0.0.2:5432\nmore' },
  });
  assert.match(text, /RETRYING incrementalSync: connection failure since 2026-01-01T00:00:00\.000Z: connect ECONNREFUSED 10\.0\.0\.2:5432\n/);
  assert.match(text, /continued as new 2 time\(s\)/);
  assert.match(text, /\n {2}ALERT firing: lag, retained-wal\n/);
});

test('a failed task says why and is not shown retrying', () => {
  const s: TaskStatus = {
    ...base, phase: 'failed', lastError: 'incrementalSync: relation "a.t" does not exist\n  failing for 5 s without progress (RetryWindowExceeded)',
    retrying: { activity: 'incrementalSync', failureClass: 'other', since: '2024-01-01T00:00:00.000Z', message: 'relation "a.t" does not exist' },
  };
  const text = formatStatus(s);
  assert.match(text, /FAILED: incrementalSync: relation "a\.t" does not exist\n\s+failing for 5 s/);
  assert.doesNotMatch(text, /RETRYING/);
});
