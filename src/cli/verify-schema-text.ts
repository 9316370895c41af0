// The schema section of `pg-dts verify`'s text report: what was compared, then each difference with both
// sides' definitions (under destination names).
import type { SchemaDifference, SchemaReport } from '../verify/schema-types';

function line(d: SchemaDifference): string {
  const what = `            ${d.kind.padEnd(9)} ${d.object}`;
  if (d.kind === 'missing') return `${what}: source ${d.source}`;
  if (d.kind === 'extra') return `${what}: destination ${d.destination}`;
  return `${what}: source ${d.source}; destination ${d.destination}`;
}

export function formatSchema(s: SchemaReport): string[] {
  if (s.error) return [`  ${'UNSETTLED'.padEnd(9)} schema: not compared: ${s.error}`];
  const c = s.compared;
  const compared = `${c.tables} tables, ${c.columns} columns, ${c.constraints} constraints, ${c.indexes} indexes, ${c.objects} objects, ${c.sequences} sequences compared` +
    (s.notCompared ? `; ${s.notCompared} source object(s) schema sync does not create left out` : '');
  const verdict = s.unsettled ? 'UNSETTLED' : s.differences ? 'DIFFERS' : 'ok';
  const out = [`  ${verdict.padEnd(9)} schema: ${s.differences ? `${s.differences} difference(s)` : 'no difference'} (${compared})`];
  if (s.unsettled) out.push('            the source\'s schema changed (migrations) during every comparison: these differences are not confirmed');
  for (const t of s.tables) {
    out.push(`            ${t.table} -> ${t.target}:`);
    out.push(...t.differences.map(line));
  }
  if (s.objects.length) out.push('            views, routines, triggers, sequences:', ...s.objects.map(line));
  if (s.omitted) out.push(`            … ${s.omitted} more schema difference(s)`);
  return out;
}
