import type { TaskStatus } from '../../workflows/status';

const human = (bytes: number): string =>
  bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB` : bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;

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

export function formatStatus(s: TaskStatus): string {
  const lines = [
    `task ${s.name} (${s.taskId})  phase: ${s.phase}${s.paused ? ' (pause requested)' : ''}`,
    `  ${s.source} -> ${s.destination}   slot ${s.slot}`,
  ];
  for (const t of s.tables) {
    lines.push(`  ${t.source.padEnd(30)} -> ${t.target.padEnd(30)} ${t.state.padEnd(8)} ${t.rowsCopied} rows ${human(t.bytesCopied)}`);
  }
  if (s.incremental) {
    const i = s.incremental;
    lines.push(`  incremental: lag ${i.lagSeconds.toFixed(1)} s, ${i.rows} rows in ${i.transactions} txns, ${i.rowsPerSecond} rows/s, ${human(i.bytesPerSecond ?? 0)}/s`);
    lines.push(`  LSN source ${i.sourceLsn ?? '-'} received ${i.receivedLsn ?? '-'} applied ${i.appliedLsn ?? '-'} confirmed ${i.confirmedLsn ?? '-'} (as of ${i.reportedAt})`);
    if (i.retainedWalBytes !== null && i.retainedWalBytes !== undefined) {
      lines.push(`  slot retains ${human(i.retainedWalBytes)} of WAL on the source${i.retainedWalWarning ? '  WARNING: over 1 GiB, the stream is behind or stopped' : ''}`);
    }
    if (i.missingRows) lines.push(`  WARNING: ${i.missingRows} rows to update or delete were missing on the destination`);
  }
  const throttle = formatThrottle(s.throttle); // undefined from a task started before throttling existed
  lines.push(`  throttle: ${throttle ?? 'none (unlimited)'}`);
  if (s.lastError) lines.push(`  last error: ${s.lastError}`);
  return lines.join('\n');
}
