// Compares one key range of one table on both servers, with the re-check rule of a streaming task
// (docs/verification.md): a range is reported only when it differed in `CONFIRMATIONS` comparisons in
// which the source did not change between its two reads while the destination, read after the stream had
// applied past the first, still differed. In rows mode the differing keys are found the same way.
import type { ClientBase } from 'pg';
import type { RateLimiter } from '../util/rate-limiter';
import { judge, sameAggregate, settledKeyDifferences, type RowHashes } from './compare';
import { aggregateSql, currentLsnSql, keyOfText, rowHashesSql, rowHashFunctionOf, rowTextsSql, sideShape, type RowHashFunction, type Side } from './sql';
import type { KeyDifference, RangeAggregate, RangeResult, VerifySettings, VerifyTable } from './types';

/** Comparisons that must each show a settled difference before a range or key is reported. */
export const CONFIRMATIONS = 2;

export interface RangeDeps {
  source: ClientBase;
  destination: ClientBase;
  /**
   * The task streams: resolves true once it applied past `lsn`, false when it did not in time (the
   * comparison then proves nothing). Null: the task does not stream, one comparison decides.
   */
  waitApplied: ((lsn: string) => Promise<boolean>) | null;
  limiter: RateLimiter;
  settings: VerifySettings;
  /** Called between steps (activity heartbeat). */
  beat?: () => void;
}

const dbOf = (deps: RangeDeps, side: Side): ClientBase => (side === 'source' ? deps.source : deps.destination);

/** The checksum's row hash per source session (its destination is fixed with it): probed once. */
const hashFunctions = new WeakMap<ClientBase, Promise<RowHashFunction>>();

function hashFunctionOf(deps: RangeDeps): Promise<RowHashFunction> {
  let fn = hashFunctions.get(deps.source);
  if (!fn) hashFunctions.set(deps.source, (fn = rowHashFunctionOf(deps.source, deps.destination)));
  return fn;
}

async function aggregate(deps: RangeDeps, t: VerifyTable, side: Side, rangeIndex: number): Promise<RangeAggregate> {
  const withHash = deps.settings.mode !== 'count';
  const throttled = side === 'source' && deps.limiter.limited; // the bytes feed the throttle only
  const sql = aggregateSql(sideShape(t, side), t.ranges[rangeIndex]!, withHash, withHash ? await hashFunctionOf(deps) : 'md5', throttled);
  const { rows } = await dbOf(deps, side).query<{ rows: string; hash: string; bytes: string }>(sql);
  const r = { rows: Number(rows[0]!.rows), hash: rows[0]!.hash, bytes: Number(rows[0]!.bytes) };
  if (side === 'source' && deps.limiter.limited) await deps.limiter.take(r.rows, r.bytes);
  deps.beat?.();
  return r;
}

async function rowHashes(deps: RangeDeps, t: VerifyTable, side: Side, rangeIndex: number): Promise<RowHashes> {
  const { rows } = await dbOf(deps, side).query<{ kt: string; h: string }>(rowHashesSql(sideShape(t, side), t.ranges[rangeIndex]!));
  if (side === 'source' && deps.limiter.limited) await deps.limiter.take(rows.length, rows.length * 50);
  deps.beat?.();
  const hashes: RowHashes = new Map();
  for (const r of rows) hashes.set(r.kt, r.h);
  return hashes;
}

const sourceLsn = async (deps: RangeDeps): Promise<string> => (await deps.source.query<{ lsn: string }>(currentLsnSql)).rows[0]!.lsn;

/**
 * One comparison: source read, its position, the wait for the stream, destination read, source read
 * again (streaming only). `null` when the stream did not get past the source read in time.
 */
async function compareOnce<T>(deps: RangeDeps, read: (side: Side) => Promise<T>): Promise<{ s1: T; d: T; s2: T } | null> {
  const s1 = await read('source');
  if (deps.waitApplied && !(await deps.waitApplied(await sourceLsn(deps)))) return null;
  const d = await read('destination');
  const s2 = deps.waitApplied ? await read('source') : s1;
  return { s1, d, s2 };
}

export async function verifyRange(deps: RangeDeps, t: VerifyTable, rangeIndex: number): Promise<RangeResult> {
  const streaming = deps.waitApplied !== null;
  const needed = streaming ? CONFIRMATIONS : 1;
  const equal = (s1: RangeAggregate, d: RangeAggregate, attempts: number): RangeResult =>
    ({ range: rangeIndex, equal: true, sourceRows: s1.rows, destinationRows: d.rows, bytes: s1.bytes, attempts });
  // A quick look first, without waiting for the stream: a destination equal to the source read is
  // settled whatever the timing (the usual case), only a difference needs the waits below.
  let last: { s1: RangeAggregate; d: RangeAggregate } | null = null;
  if (streaming) {
    // Both servers at once: no order between the reads is needed for this verdict.
    const [s1, d] = await Promise.all([aggregate(deps, t, 'source', rangeIndex), aggregate(deps, t, 'destination', rangeIndex)]);
    if (sameAggregate(s1, d)) return equal(s1, d, 1);
    last = { s1, d };
  }
  let confirmed = 0;
  let inFlux = 0;
  let attempts = 0;
  while (attempts < deps.settings.maxAttempts && confirmed < needed) {
    attempts++;
    const c = await compareOnce(deps, (side) => aggregate(deps, t, side, rangeIndex));
    if (!c) continue;
    last = c;
    const verdict = judge(c.s1, c.d, c.s2, sameAggregate);
    if (verdict === 'equal') return equal(sameAggregate(c.s1, c.d) ? c.s1 : c.s2, c.d, attempts + (streaming ? 1 : 0)); // the source read the destination matched
    if (verdict === 'different') confirmed++;
    // Writes keep landing in this range: judge it key by key below, leaving out the keys being written.
    else if (++inFlux >= 2 && t.targetKey.length) break;
  }
  const base = { range: rangeIndex, equal: false, sourceRows: last?.s1.rows ?? 0, destinationRows: last?.d.rows ?? 0, bytes: last?.s1.bytes ?? 0, attempts };
  if (confirmed >= needed) {
    if (deps.settings.mode !== 'rows' || !t.targetKey.length) return base;
    return { ...base, ...((await differingKeysOf(deps, t, rangeIndex)) ?? { keys: [], keyCount: 0 }) };
  }
  if (!t.targetKey.length) return { ...base, unsettled: true };
  const keys = await differingKeysOf(deps, t, rangeIndex);
  if (!keys) return { ...base, unsettled: true };
  if (keys.keyCount === 0) return { ...base, equal: true };
  return { ...base, ...(deps.settings.mode === 'rows' ? keys : { keyCount: keys.keyCount }) };
}

/**
 * The keys of a range whose rows differ for sure (the rule per key, in `CONFIRMATIONS` comparisons, same
 * kind each time), with both sides' rows (capped); keys the source changed during a comparison are left
 * out of it. Null when the stream never got past a source read in time.
 */
async function differingKeysOf(deps: RangeDeps, t: VerifyTable, rangeIndex: number): Promise<{ keys: KeyDifference[]; keyCount: number } | null> {
  const candidates = await settledDifferingKeys(deps, t, rangeIndex);
  if (!candidates) return null;
  if (!candidates.size) return { keys: [], keyCount: 0 };
  const shown = [...candidates.entries()].slice(0, deps.settings.maxKeys);
  const texts = async (side: Side): Promise<Map<string, string>> => {
    const { rows } = await dbOf(deps, side).query<{ kt: string; r: string }>(rowTextsSql(sideShape(t, side), t.ranges[rangeIndex]!), [shown.map(([kt]) => kt)]);
    return new Map(rows.map((r) => [r.kt, r.r]));
  };
  const [src, dst] = [await texts('source'), await texts('destination')];
  return {
    keys: shown.map(([kt, k]) => ({ key: k.key, kind: k.kind, source: src.get(kt) ?? null, destination: dst.get(kt) ?? null })),
    keyCount: candidates.size,
  };
}

/** Every key of a range that differs for sure (see differingKeysOf), by key text; null as there. */
export async function settledDifferingKeys(deps: RangeDeps, t: VerifyTable, rangeIndex: number): Promise<Map<string, { key: string[]; kind: KeyDifference['kind'] }> | null> {
  const needed = deps.waitApplied ? CONFIRMATIONS : 1;
  type Candidates = Map<string, { key: string[]; kind: KeyDifference['kind'] }>;
  let candidates: Candidates | null = null as Candidates | null;
  let confirmed = 0;
  for (let attempt = 0; attempt < deps.settings.maxAttempts && confirmed < needed; attempt++) {
    const c = await compareOnce(deps, (side) => rowHashes(deps, t, side, rangeIndex));
    if (!c) continue;
    const settled = settledKeyDifferences(c.s1, c.d, c.s2);
    const prev = candidates;
    candidates = new Map(settled.filter((k) => prev === null || prev.get(k.kt)?.kind === k.kind).map((k) => [k.kt, { key: keyOfText(k.kt), kind: k.kind }]));
    confirmed++;
  }
  return candidates && confirmed >= needed ? candidates : null;
}
