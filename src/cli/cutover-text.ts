// What `pg-dts cutover` and `pg-dts status` print about the cutover. Pure.
import { restoreStatements, type CutoverStatus } from '../cutover/types';

/** The cutover as `pg-dts status` shows it (one line, plus the refusal). */
export function cutoverLine(c: CutoverStatus): string {
  const parts = [`cutover: ${c.state}`, `requested ${c.requestedAt}`];
  if (c.lagSeconds !== null) parts.push(`lag ${c.lagSeconds.toFixed(1)} s`);
  if (c.targetLsn) parts.push(`applied up to ${c.targetLsn}${c.confirmedLsn ? ` (confirmed ${c.confirmedLsn})` : ''}`);
  if (c.frozen) parts.push(`source frozen (${c.frozen.length} grants revoked)`);
  if (c.sequences) parts.push(`${c.sequences.moved.length}/${c.sequences.sequences} sequences moved (margin ${c.sequences.margin})`);
  if (c.check) parts.push(`row counts ${c.check.ok ? 'equal' : 'differ'} on ${c.check.tables.filter((t) => !t.skipped).length} tables`);
  return parts.join(', ') + (c.refusal ? `\n  refused: ${c.refusal}` : '');
}

/** What the operator reads once the task is released: what happened and what the application must do now. */
export function cutoverReport(task: string, c: CutoverStatus, destination: string): string {
  const lines = [`cutover of ${task} done at ${c.finishedAt ?? '?'}; the task is released (slot, publication and DDL capture removed from the source).`];
  lines.push(`  destination applied the source up to ${c.targetLsn} (slot confirmed ${c.confirmedLsn})`);
  if (c.sequences) lines.push(`  ${c.sequences.sequences} destination sequences set ${c.sequences.margin} values past the source's (${c.sequences.moved.length} moved)`);
  if (c.check) {
    const compared = c.check.tables.filter((t) => !t.skipped);
    lines.push(`  check: row counts equal on ${compared.length} table${compared.length === 1 ? '' : 's'}${c.check.tables.length > compared.length ? ` (${c.check.tables.length - compared.length} not compared: their dml is limited)` : ''}${c.check.method === 'checksum' ? `; every row compared by checksum (pg-dts verify, workflow ${c.check.verification})` : '; a full checksum comparison was not run'}`);
  }
  lines.push('', 'Next:');
  lines.push(`  1. Point the application at the destination (${destination}) and start it; it may write now.`);
  if (c.frozen?.length) {
    lines.push(`  2. The source's selected tables stay read-only for application roles (${c.frozen.length} grants revoked, kept in _pg_dts.frozen_grants on the source). To allow writes there again:`);
    for (const s of restoreStatements(c.frozen)) lines.push(`       ${s}`);
  } else {
    lines.push('  2. Nothing replicates any more: writes still reaching the source are not carried over. Make sure the application no longer writes there.');
  }
  lines.push('  3. Roles, grants and settings outside the selected tables are not copied by pg-dts: check the application\'s role can use the destination.');
  return lines.join('\n');
}
