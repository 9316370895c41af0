// Schema verification (issue 16, item 3; docs/verification.md "Schema"): the destination's columns,
// constraints and indexes of every compared table (the selected tables and their partitions), the views,
// routines, triggers, rules and policies the task creates, and the synced sequences' definitions, against
// what schema sync makes of the source's — so a task just synced is equal, and only drift is reported.
//
// While the task streams, a migration committed on the source reaches the destination a little later: a
// difference is reported only under the re-check rule of the rows (docs/verification.md), with the whole
// schema as one range. Both sessions are prepared by prepareSession (search_path '', read-only).
import type { ClientBase } from 'pg';
import { tableKey, type Mapping, type SelectedTable } from '../catalog/names';
import { CONFIRMATIONS } from './engine';
import { compareSides, schemaReport } from './schema-compare';
import { comparedTables, readDestinationSide, readSourceSide, type SourceSide } from './schema-sides';
import type { SchemaReport } from './schema-types';
import { currentLsnSql } from './sql';

export interface SchemaDeps {
  source: ClientBase;
  destination: ClientBase;
  spec: Mapping;
  tables: SelectedTable[];
  /** As for a range (src/verify/engine.ts RangeDeps): null when the task does not stream. */
  waitApplied: ((lsn: string) => Promise<boolean>) | null;
  /** Comparisons of a differing schema before it is reported (streaming task). */
  maxAttempts: number;
  beat?: () => void;
}

/**
 * The re-check rule over a whole side (pure but for the reads it is given): a quick look (source, then
 * destination) settles an equal or a not streaming comparison. While the task streams, each comparison is
 * the source (s1), its position, the destination once the stream applied past it (d), the source again
 * (s2): in flux when s1 and s2 differ (a migration meanwhile), else equal or different; different only
 * in CONFIRMATIONS comparisons. Returns the last comparison and whether it is settled.
 */
export async function recheck<S>(
  read: { source: () => Promise<S>; destination: (source: S) => Promise<S>; lsn: () => Promise<string> },
  differences: (a: S, b: S) => number,
  waitApplied: ((lsn: string) => Promise<boolean>) | null,
  maxAttempts: number,
): Promise<{ source: S; destination: S; settled: boolean }> {
  let last = { source: await read.source(), destination: undefined as S | undefined, settled: false };
  last.destination = await read.destination(last.source);
  last.settled = differences(last.source, last.destination) === 0 || waitApplied === null;
  for (let attempt = 0, confirmed = 0; !last.settled && attempt < maxAttempts; attempt++) {
    const s1 = await read.source();
    if (!(await waitApplied!(await read.lsn()))) continue;
    const d = await read.destination(s1);
    if (differences(s1, await read.source()) > 0) continue;
    const equal = differences(s1, d) === 0;
    last = { source: s1, destination: d, settled: equal || ++confirmed >= CONFIRMATIONS };
  }
  return { source: last.source, destination: last.destination!, settled: last.settled };
}

export async function verifySchemaOf(deps: SchemaDeps): Promise<SchemaReport> {
  const started = Date.now();
  const { source: src, destination: dst, spec, tables } = deps;
  const pairs = await comparedTables(src, spec, tables);
  const names = pairs.map((p) => ({ table: tableKey(p.source), target: tableKey(p.target) }));
  const { source, destination, settled } = await recheck<SourceSide>(
    {
      source: () => readSourceSide(src, dst, spec, tables, pairs).finally(() => deps.beat?.()),
      destination: async (s) => ({ ...s, ...(await readDestinationSide(dst, spec, tables, pairs, s)) }),
      lsn: async () => (await src.query<{ lsn: string }>(currentLsnSql)).rows[0]!.lsn,
    },
    (a, b) => compareSides(names, a, b, a.notCompared).count,
    deps.waitApplied, deps.maxAttempts,
  );
  const result = compareSides(names, source, destination, source.notCompared);
  const shapes = source.tables.flatMap((t) => (t ? [t.shape] : []));
  const compared = {
    tables: pairs.length,
    columns: shapes.reduce((n, s) => n + s.columns.size, 0),
    constraints: shapes.reduce((n, s) => n + s.constraints.size, 0),
    indexes: shapes.reduce((n, s) => n + s.indexes.size, 0),
    objects: source.objects.size,
    sequences: source.sequences.size,
  };
  return schemaReport(result.tables, result.objects, compared, source.notCompared.size, Date.now() - started, !settled);
}
