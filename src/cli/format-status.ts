import type { FullSyncStatus, TableStatus, TaskStatus } from '../../workflows/status';
import { renderLagChart } from './lag-chart';
import { cutoverLine } from './cutover-text';
import { verificationLines } from './verification-text';
import { renderBars, type BarRow } from './progress-bars';

const human = (bytes: number): string =>
  bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB` : bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;

/** More tables than this: show the ones being copied and count the rest. */
export const MAX_TABLE_LINES = 20;

/** A finite number or undefined: fields a workflow started by an older version does not report. */
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const count = (v: unknown): number => Math.max(0, num(v) ?? 0);
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const bytes = (v: unknown): string => human(count(v));
const rate = (v: unknown): string => {
  const r = num(v);
  return r !== undefined && r > 0 ? int(r) : '-';
};

/** "41s", "1m05s", "2h05m", "3d04h"; "-" when unknown. */
export function formatEta(seconds: number | null | undefined): string {
  const t = num(seconds);
  if (t === undefined || t < 0) return '-';
  const s = Math.ceil(t);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${two(Math.floor((s % 86400) / 3600))}h`;
}

/** Names are identifiers: quoted ones may hold control characters, which would break the lines. */
const printable = (name: unknown): string =>
  Array.from(String(name ?? '?'), (c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? '?' : c)).join('');
const tableName = (t: TableStatus): string => (t.target === undefined || t.target === t.source ? printable(t.source) : `${printable(t.source)} -> ${printable(t.target)}`);

/** The rows a bar counts up to; undefined when no estimate is known (never planned, or -1: never analyzed). */
function estimate(t: TableStatus): number | undefined {
  const e = num(t.estimatedRows);
  return e === undefined || e < 0 ? undefined : e;
}

/** Draw bars for the tables: during the full sync, or while a table with an estimate is still to copy. */
function showBars(s: TaskStatus): boolean {
  return s.phase === 'full' || (s.tables ?? []).some((t) => t.state !== 'copied' && estimate(t) !== undefined);
}

interface Columns {
  name: string;
  state: string;
  rows: string;
  bytes: string;
  chunks: string;
  rate: string;
  eta: string;
}

function tableBar(t: TableStatus): { bar: Pick<BarRow, 'value' | 'total' | 'unknown'>; cols: Columns } {
  const rows = count(t.rowsCopied);
  const est = estimate(t);
  const copied = t.state === 'copied';
  // The estimate comes from statistics and can be short: the copy is then at least as big as what is copied.
  const total = est === undefined ? undefined : Math.max(est, rows);
  const chunks = num(t.chunks);
  const chunksDone = copied && chunks !== undefined ? (num(t.chunksDone) ?? chunks) : count(t.chunksDone);
  const copying = t.state === 'copying';
  const r = num(t.rowsPerSecond);
  let eta = num(t.etaSeconds);
  if (eta === undefined && copying && total !== undefined && total > rows && r !== undefined && r > 0) eta = (total - rows) / r;
  return {
    bar: copied ? { value: 1, total: 1 } : total === undefined && copying ? { value: 0, total: 0, unknown: true } : { value: rows, total: total ?? 0 },
    cols: {
      name: tableName(t),
      state: printable(t.state),
      rows: `${copied || total === undefined ? int(rows) : `${int(rows)}/${int(total)}`} rows`,
      bytes: bytes(t.bytesCopied),
      chunks: `chunks ${chunks === undefined ? '-' : `${chunksDone}/${chunks}`}`,
      rate: `${copying ? rate(r) : '-'} rows/s`,
      eta: `ETA ${copying ? formatEta(eta) : '-'}`,
    },
  };
}

/** The whole full sync: from `s.full`, or added up from the tables when the workflow does not report it. */
function summaryBar(s: TaskStatus, tables: TableStatus[]): { bar: Pick<BarRow, 'value' | 'total'>; text: string } {
  const f: Partial<FullSyncStatus> = s.full ?? {};
  const n = num(f.tables) ?? tables.length;
  const done = num(f.tablesDone) ?? tables.filter((t) => t.state === 'copied').length;
  const rows = num(f.rowsCopied) ?? tables.reduce((sum, t) => sum + count(t.rowsCopied), 0);
  const copiedBytes = num(f.bytesCopied) ?? tables.reduce((sum, t) => sum + count(t.bytesCopied), 0);
  // Without `s.full` (an older workflow), the tables' estimates add up when every table still to copy has one.
  const est =
    num(f.estimatedRows) ??
    (tables.every((t) => t.state === 'copied' || estimate(t) !== undefined)
      ? tables.reduce((sum, t) => sum + (t.state === 'copied' ? count(t.rowsCopied) : Math.max(estimate(t) ?? 0, count(t.rowsCopied))), 0)
      : undefined);
  const total = est === undefined || est <= 0 ? undefined : Math.max(est, rows);
  const finished = n > 0 && done >= n;
  const parts = [`tables ${int(done)}/${int(n)}`];
  const chunks = num(f.chunks);
  if (chunks !== undefined) parts.push(`chunks ${int(count(f.chunksDone))}/${int(chunks)}`);
  parts.push(`${total === undefined || finished ? int(rows) : `${int(rows)}/${int(total)}`} rows`, bytes(copiedBytes));
  if (s.full) {
    parts.push(`${rate(f.rowsPerSecond)} rows/s`, `${num(f.bytesPerSecond) ? human(count(f.bytesPerSecond)) : '-'}/s`, `ETA ${finished ? '-' : formatEta(f.etaSeconds)}`);
  }
  const resumed = count(f.resumedAttempts);
  if (resumed > 0) parts.push(`resumed ${int(resumed)} time${resumed === 1 ? '' : 's'}`);
  return {
    bar: finished ? { value: 1, total: 1 } : { value: rows, total: total ?? 0 },
    text: parts.join('  '),
  };
}

/** The full sync as progress bars: a summary, then one line per table (collapsed when there are many). */
function formatFullSync(s: TaskStatus): string[] {
  const tables = s.tables ?? [];
  let shown = tables;
  const hidden: string[] = [];
  if (tables.length > MAX_TABLE_LINES) {
    const copying = tables.filter((t) => t.state === 'copying');
    shown = copying.slice(0, MAX_TABLE_LINES);
    const by = (state: string) => tables.filter((t) => t.state === state).length;
    if (copying.length > shown.length) hidden.push(`${int(copying.length - shown.length)} more copying`);
    hidden.push(`${int(by('pending'))} pending`, `${int(by('copied'))} copied`);
    const other = tables.length - copying.length - by('pending') - by('copied');
    if (other > 0) hidden.push(`${int(other)} other`);
  }
  const lines = shown.map(tableBar);
  const width = (key: keyof Columns) => Math.max(0, ...lines.map((l) => l.cols[key].length));
  const nameWidth = Math.min(48, Math.max(width('name'), 'full sync'.length));
  const pad = { state: width('state'), rows: width('rows'), bytes: width('bytes'), chunks: width('chunks'), rate: width('rate') };
  const summary = summaryBar(s, tables);
  const rows: BarRow[] = [
    { ...summary.bar, prefix: `  ${'full sync'.padEnd(nameWidth)}`, suffix: summary.text },
    ...lines.map(({ bar, cols }) => ({
      ...bar,
      prefix: `  ${cols.name.padEnd(nameWidth)}`,
      suffix: [
        cols.state.padEnd(pad.state),
        cols.rows.padStart(pad.rows),
        cols.bytes.padStart(pad.bytes),
        cols.chunks.padEnd(pad.chunks),
        cols.rate.padStart(pad.rate),
        cols.eta,
      ].join('  '),
    })),
  ];
  const out = renderBars(rows);
  if (hidden.length) out.push(`  ${tables.length > shown.length ? `${int(tables.length)} tables, not shown: ` : ''}${hidden.join(', ')}`);
  return out;
}

/** "full 1000 rows/s, 5 MB/s; incremental 500 rows/s", or null when nothing is limited. */
function formatThrottle(t: TaskStatus['throttle'] | undefined): string | null {
  const parts: string[] = [];
  for (const [phase, limits] of Object.entries(t ?? {})) {
    const l = (limits ?? {}) as { rps?: number; mbps?: number; sourceQps?: number };
    const set = [
      l.rps !== undefined && `${l.rps} rows/s`,
      l.mbps !== undefined && `${l.mbps} MB/s`,
      l.sourceQps !== undefined && `${l.sourceQps} source queries/s`,
    ].filter(Boolean);
    if (set.length) parts.push(`${phase} ${set.join(', ')}`);
  }
  return parts.length ? parts.join('; ') : null;
}

export interface FormatOptions {
  /** Chart `incremental.lagHistory` when the workflow reports it (default true; --watch draws its own). */
  lagChart?: boolean;
}

export function formatStatus(s: TaskStatus, o: FormatOptions = {}): string {
  const lines = [
    `task ${s.name} (${s.taskId})  phase: ${s.phase}${s.paused ? ' (pause requested)' : ''}`,
    `  ${s.source} -> ${s.destination}   slot ${s.slot}`,
  ];
  if (showBars(s)) {
    lines.push(...formatFullSync(s));
  } else {
    if (s.full) {
      // After the full sync: how it went (rows, rate, resumed attempts) on one line.
      const summary = summaryBar(s, s.tables ?? []);
      lines.push(...renderBars([{ ...summary.bar, prefix: '  full sync', suffix: summary.text }]));
    }
    for (const t of s.tables ?? []) {
      lines.push(`  ${t.source.padEnd(30)} -> ${t.target.padEnd(30)} ${t.state.padEnd(8)} ${count(t.rowsCopied)} rows ${bytes(t.bytesCopied)}`);
    }
  }
  if (s.incremental) {
    const i = s.incremental;
    lines.push(`  incremental: lag ${i.lagSeconds.toFixed(1)} s, ${i.rows} rows in ${i.transactions} txns, ${i.rowsPerSecond} rows/s, ${human(i.bytesPerSecond ?? 0)}/s`);
    lines.push(`  LSN source ${i.sourceLsn ?? '-'} received ${i.receivedLsn ?? '-'} applied ${i.appliedLsn ?? '-'} confirmed ${i.confirmedLsn ?? '-'} (as of ${i.reportedAt})`);
    if (i.retainedWalBytes !== null && i.retainedWalBytes !== undefined) {
      lines.push(`  slot retains ${human(i.retainedWalBytes)} of WAL on the source${i.retainedWalWarning ? '  WARNING: over 1 GiB, the stream is behind or stopped' : ''}`);
    }
    if (i.missingRows) lines.push(`  WARNING: ${i.missingRows} rows to update or delete were missing on the destination`);
    if (i.repairedKeys) lines.push(`  repaired: ${i.repairedKeys} key(s) replaced by pg-dts verify --repair since the stream started`);
    if (i.ddl && (i.ddl.applied || i.ddl.refused)) {
      const by = Object.entries(i.ddl.refusedBy).map(([reason, n]) => `${reason} ${n}`).join(', ');
      lines.push(`  DDL: ${i.ddl.applied} replicated, ${i.ddl.refused} not replicated${by ? ` (${by})` : ''}`);
      for (const d of (i.ddl.refusals ?? i.ddl.recent.filter((e) => e.outcome !== 'applied')).slice(-3)) {
        lines.push(`    not replicated (${d.outcome}) at ${d.lsn}: ${d.statement.replace(/\s+/g, ' ').slice(0, 100)}`);
      }
    }
    if (i.ignoredColumns?.length) lines.push(`  WARNING: source columns missing on the destination are not written: ${i.ignoredColumns.join(', ')}`);
    if (o.lagChart !== false && i.lagHistory?.length) lines.push(...renderLagChart(i.lagHistory));
  }
  const throttle = formatThrottle(s.throttle); // undefined from a task started before throttling existed
  lines.push(`  throttle: ${throttle ?? 'none (unlimited)'}`);
  // A failed task retries nothing any more (a task failed by an older release may still carry the field).
  if (s.retrying && s.phase !== 'failed') lines.push(`  RETRYING ${s.retrying.activity}: ${s.retrying.failureClass} failure since ${s.retrying.since}: ${s.retrying.message.split('\n')[0]}`);
  if (s.firingAlerts?.length) lines.push(`  ALERT firing: ${s.firingAlerts.join(', ')}`);
  if (s.continuedRuns) lines.push(`  continued as new ${s.continuedRuns} time(s) (earlier runs keep the older history)`);
  const m = s.modification;
  if (m) {
    const what = [m.added.length ? `adding ${m.added.join(', ')}` : '', m.removed.length ? `removing ${m.removed.join(', ')}` : ''].filter(Boolean).join('; ');
    lines.push(`  modifyObjects (${m.requestedAt}): ${m.state}${what ? ` — ${what}` : ''}`);
    for (const p of m.problems) lines.push(`    ${p.split('\n').join('\n    ')}`);
  }
  if (s.verification) lines.push(...verificationLines(s.verification));
  if (s.cutover) lines.push(`  ${cutoverLine(s.cutover)}`);
  if (s.lastError) lines.push(`  ${s.phase === 'failed' ? 'FAILED' : 'last error'}: ${s.lastError.split('\n').join('\n    ')}`);
  return lines.join('\n');
}

/** What `pg-dts status` prints: the status as JSON with --json, the text with bars otherwise. */
export function statusOutput(s: TaskStatus, o: { json?: boolean } = {}): string {
  return o.json ? JSON.stringify(s, null, 2) : formatStatus(s, { lagChart: true });
}
