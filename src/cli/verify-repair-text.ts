// The repair part of `pg-dts verify --repair`'s text report.
import type { RepairReport } from '../verify/repair-types';

const keys = (list: string[][]): string => list.map((k) => (k.length === 1 ? k[0]! : `(${k.join(', ')})`)).join(', ');

export function formatRepair(r: RepairReport): string[] {
  const out = ['repair:'];
  if (!r.tables.length) out.push('  nothing to repair');
  for (const t of r.tables) {
    const how = t.through === 'stream' ? 'through the stream' : 'directly on the destination';
    if (t.keys) out.push(`  ${t.table}: ${t.keys} key(s) repaired ${how}: ${keys(t.shownKeys)}${t.keys > t.shownKeys.length ? ', …' : ''}`);
    if (t.refused) out.push(`  ${t.table}: NOT REPAIRED${t.keys ? ' (in part)' : ''}: ${t.refused}`);
    const v = t.reverified;
    if (v) {
      const verdict = v.differing ? `${v.differing} still DIFFER${v.differingKeys.length ? ` (keys ${keys(v.differingKeys)})` : ''}` : v.unsettled ? `${v.unsettled} could not be settled` : 'all equal';
      out.push(`  ${t.table}: ${v.ranges} repaired range(s) compared again: ${verdict}`);
    }
  }
  out.push(r.clean ? 'repaired: the repaired ranges are equal now' : 'repair incomplete: see above');
  return out;
}
