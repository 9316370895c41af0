// The verification plan: for every selected table the mapped projection (the full sync's own plan:
// columns it copies, their destination names, the row filter, the key) and key ranges of about
// `rangeRows` rows, cut like the full sync's chunks (quantiles of a page sample of the key).
import type { ClientBase } from 'pg';
import { columnMapper, type Mapping, type SelectedTable } from '../catalog/names';
import { planTables, readColumns, targetColumnsOf, type KeyColumn } from '../snapshot/plan';
import { qualified } from '../util/sql';
import { prepareSession } from './sql';
import type { VerifyTable } from './types';
import { serverVersionNum } from '../catalog/server-version';

const FLOAT_TYPES = new Set(['real', 'double precision']);

/**
 * The destination's key: each source key column under its mapped name, with the destination column's
 * type (range bounds are cast to it). Empty when a key column is excluded or missing on the destination:
 * the table is then compared whole, as one range.
 */
export function targetKeyOf(sourceKey: KeyColumn[], mapColumn: (c: string) => string | null, destinationTypes: Map<string, string>): KeyColumn[] {
  const out: KeyColumn[] = [];
  for (const k of sourceKey) {
    const name = mapColumn(k.name);
    const type = name === null ? undefined : destinationTypes.get(name);
    if (name === null || type === undefined) return [];
    out.push({ name, type });
  }
  return out;
}

export async function planVerify(source: ClientBase, destination: ClientBase, tables: SelectedTable[], mapping: Mapping, rangeRows: number): Promise<VerifyTable[]> {
  const plans = await planTables(source, tables, {
    chunkRows: rangeRows, chunkBytes: Number.MAX_SAFE_INTEGER, destinationColumns: new Map(), sameMajorVersion: false, mapping,
  });
  await prepareSession(source); // planTables reset search_path
  await prepareSession(destination);
  const dstColumns = await readColumns(destination, tables.map((t) => qualified(t.target)));
  // Before 12 a float's text has fewer digits than a newer server's (extra_float_digits): compare bits.
  const oldServer = Math.min(await serverVersionNum(source), await serverVersionNum(destination)) < 120000;
  return plans.map((p) => {
    const types = new Map((dstColumns.get(qualified(p.table.target)) ?? []).map((c) => [c.name, c.type]));
    const targetKey = targetKeyOf(p.keyColumns, columnMapper(mapping, p.table.source), types);
    const floatBits = oldServer ? targetColumnsOf(p).flatMap((c, i) => (FLOAT_TYPES.has(types.get(c) ?? '') ? [i] : [])) : [];
    return {
      key: p.key,
      table: p.table,
      sourceColumns: p.columns,
      targetColumns: targetColumnsOf(p),
      ...(p.where ? { where: p.where } : {}),
      sourceKey: targetKey.length ? p.keyColumns : [],
      targetKey,
      ranges: targetKey.length ? p.chunks : [{ lo: null, hi: null }],
      estimatedRows: p.estimatedRows,
      ...(floatBits.length ? { floatBits } : {}),
    };
  });
}
