import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rangePredicate } from '../../src/snapshot/copy-chunk';
import { binaryEligible, rangesFromCuts, type ChunkRange, type ColumnInfo, type KeyColumn } from '../../src/snapshot/plan';

/** Checks the ranges tile the whole key space: open ends, each hi is the next lo, no gaps or overlaps. */
function assertTiles(ranges: ChunkRange[], cuts: string[][]): void {
  assert.equal(ranges.length, cuts.length + 1);
  assert.equal(ranges[0]!.lo, null, 'first range open below');
  assert.equal(ranges[ranges.length - 1]!.hi, null, 'last range open above');
  for (let i = 0; i + 1 < ranges.length; i++) {
    assert.ok(ranges[i]!.hi, `range ${i} closed above`);
    assert.deepEqual(ranges[i]!.hi, ranges[i + 1]!.lo, `range ${i} ends where range ${i + 1} starts`);
    assert.deepEqual(ranges[i]!.hi, cuts[i], `range ${i} ends at cut ${i}`);
  }
  for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i]!.lo, `range ${i} closed below`);
}

/** Evaluates [lo, hi) for a single integer key, as the generated predicate would. */
const inRange = (r: ChunkRange, k: number): boolean => (r.lo === null || k >= Number(r.lo[0])) && (r.hi === null || k < Number(r.hi[0]));

describe('rangesFromCuts', () => {
  it('gives one open range without cuts', () => {
    assert.deepEqual(rangesFromCuts([]), [{ lo: null, hi: null }]);
  });

  it('splits at one cut', () => {
    assert.deepEqual(rangesFromCuts([['100']]), [
      { lo: null, hi: ['100'] },
      { lo: ['100'], hi: null },
    ]);
  });

  it('covers the key space without gaps or overlaps', () => {
    const cuts = [['10'], ['20'], ['35'], ['90']];
    const ranges = rangesFromCuts(cuts);
    assertTiles(ranges, cuts);
    for (let k = -50; k <= 150; k++) {
      assert.equal(ranges.filter((r) => inRange(r, k)).length, 1, `key ${k} in exactly one range`);
    }
  });

  it('keeps composite cuts whole', () => {
    const cuts = [['1', 'b'], ['2', 'a'], ['2', 'z']];
    const ranges = rangesFromCuts(cuts);
    assertTiles(ranges, cuts);
    assert.deepEqual(ranges[1], { lo: ['1', 'b'], hi: ['2', 'a'] });
  });
});

describe('rangePredicate', () => {
  const id: KeyColumn[] = [{ name: 'id', type: 'bigint' }];

  it('gives an empty clause for a fully open range', () => {
    assert.equal(rangePredicate(id, { lo: null, hi: null }), '');
    assert.equal(rangePredicate([{ name: 'a', type: 'integer' }, { name: 'b', type: 'text' }], { lo: null, hi: null }), '');
  });

  it('bounds a single integer key, half-open', () => {
    assert.equal(rangePredicate(id, { lo: null, hi: ['100'] }), ` WHERE "id" < '100'::bigint`);
    assert.equal(rangePredicate(id, { lo: ['100'], hi: null }), ` WHERE "id" >= '100'::bigint`);
    assert.equal(rangePredicate(id, { lo: ['100'], hi: ['200'] }), ` WHERE "id" >= '100'::bigint AND "id" < '200'::bigint`);
  });

  it('compares a composite key as a row, each value cast to its column type', () => {
    const key: KeyColumn[] = [
      { name: 'tenant', type: 'integer' },
      { name: 'created', type: 'timestamp with time zone' },
    ];
    assert.equal(
      rangePredicate(key, { lo: ['1', '2024-01-01 00:00:00+00'], hi: ['2', '2023-06-30 12:00:00+00'] }),
      ` WHERE ROW("tenant", "created") >= ROW('1'::integer, '2024-01-01 00:00:00+00'::timestamp with time zone)` +
        ` AND ROW("tenant", "created") < ROW('2'::integer, '2023-06-30 12:00:00+00'::timestamp with time zone)`,
    );
    assert.equal(rangePredicate(key, { lo: null, hi: ['5', 'x'] }), ` WHERE ROW("tenant", "created") < ROW('5'::integer, 'x'::timestamp with time zone)`);
  });

  it('quotes odd identifiers and literals holding quotes', () => {
    const key: KeyColumn[] = [
      { name: 'Weird "Col"', type: 'text' },
      { name: 'select', type: '"My Schema"."my type"' },
    ];
    assert.equal(
      rangePredicate(key, { lo: ["O'Brien", 'a"b'], hi: null }),
      ` WHERE ROW("Weird ""Col""", "select") >= ROW('O''Brien'::text, 'a"b'::"My Schema"."my type")`,
    );
  });

  it('escapes backslashes in literals (E-string)', () => {
    const where = rangePredicate([{ name: 'path', type: 'text' }], { lo: ['C:\\dir'], hi: null });
    assert.match(where, /^ WHERE "path" >= +E'C:\\\\dir'::text$/);
  });

  it('keeps empty-string bounds (they are not open bounds)', () => {
    assert.equal(rangePredicate([{ name: 'k', type: 'text' }], { lo: [''], hi: null }), ` WHERE "k" >= ''::text`);
  });
});

describe('binaryEligible', () => {
  const col = (name: string, typeOid: number, type: string, generated = false): ColumnInfo => ({ name, typeOid, type, generated });
  const source = [col('id', 20, 'bigint'), col('note', 25, 'text'), col('at', 1184, 'timestamp with time zone')];

  it('is true when every column is a built-in type the destination has too', () => {
    assert.equal(binaryEligible(source, [...source], true), true);
  });

  it('ignores destination columns order and extra destination columns', () => {
    const dst = [col('extra', 16, 'boolean'), ...[...source].reverse()];
    assert.equal(binaryEligible(source, dst, true), true);
  });

  it('is false between different major versions', () => {
    assert.equal(binaryEligible(source, source, false), false);
  });

  it('is false without destination columns', () => {
    assert.equal(binaryEligible(source, undefined, true), false);
  });

  it('is false for a user-defined type (OID >= 16384), even if the destination OID matches', () => {
    const withEnum = [...source, col('mood', 16384, 'public.mood')];
    assert.equal(binaryEligible(withEnum, withEnum, true), false);
    const withDomain = [...source, col('d', 40000, 'public.positive_int')];
    assert.equal(binaryEligible(withDomain, withDomain, true), false);
  });

  it('accepts the highest built-in OID (16383)', () => {
    const c = [col('x', 16383, 'builtin')];
    assert.equal(binaryEligible(c, c, true), true);
  });

  it('is false when a destination column has a different type OID', () => {
    const dst = [col('id', 23, 'integer'), col('note', 25, 'text'), col('at', 1184, 'timestamp with time zone')];
    assert.equal(binaryEligible(source, dst, true), false);
  });

  it('is false when a destination column is missing', () => {
    assert.equal(binaryEligible(source, source.slice(0, 2), true), false);
  });

  it('is false when the destination column is generated', () => {
    const dst = [col('id', 20, 'bigint'), col('note', 25, 'text', true), col('at', 1184, 'timestamp with time zone')];
    assert.equal(binaryEligible(source, dst, true), false);
  });

  it('ignores generated source columns (they are not copied)', () => {
    const src = [...source, col('search', 3614, 'tsvector', true), col('custom', 99999, 'public.t', true)];
    assert.equal(binaryEligible(src, source, true), true, 'generated source column missing at the destination');
    const dst = [...source, col('search', 25, 'text', true)];
    assert.equal(binaryEligible(src, dst, true), true, 'generated on both sides with different types');
  });
});
