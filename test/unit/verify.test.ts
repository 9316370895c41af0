// Pure logic of `pg-dts verify`: the re-check rule, differing keys, the destination's key, the SQL over
// the mapped projection, report totals and exit codes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addRangeResult, differingKeys, emptyTableReport, exitCodeOf, judge, sameAggregate, settledKeyDifferences, summarize, type RowHashes,
} from '../../src/verify/compare';
import { targetKeyOf } from '../../src/verify/plan';
import { aggregateSql, keyOfText, rangeWhere, rowHashesSql, rowTextsSql, sideShape } from '../../src/verify/sql';
import { verifySettings, type VerifyReport, type VerifyTable } from '../../src/verify/types';
import { formatVerifyReport } from '../../src/cli/verify';
import { verifyWorkflowId } from '../../workflows/verify-messages';

const agg = (rows: number, hash: string) => ({ rows, hash, bytes: 0 });
const hashes = (entries: [string, string][]): RowHashes => new Map(entries.map(([k, h]) => [`{${k}}`, h]));

const table: VerifyTable = {
  key: 'crm.Leads',
  table: { source: { schema: 'crm', name: 'Leads' }, target: { schema: 'crm_copy', name: 'leads' } },
  sourceColumns: ['id', 'Email', 'status'],
  targetColumns: ['id', 'email', 'status'],
  where: "status <> 'spam'",
  sourceKey: [{ name: 'id', type: 'integer' }],
  targetKey: [{ name: 'id', type: 'bigint' }],
  ranges: [{ lo: null, hi: ['100'] }, { lo: ['100'], hi: null }],
  estimatedRows: 200,
};

describe('verify: the re-check rule', () => {
  it('equal when the destination matches either source read', () => {
    assert.equal(judge(agg(1, 'a'), agg(1, 'a'), agg(1, 'b'), sameAggregate), 'equal');
    assert.equal(judge(agg(1, 'a'), agg(1, 'b'), agg(1, 'b'), sameAggregate), 'equal');
  });
  it('different only when the source did not change between its reads', () => {
    assert.equal(judge(agg(1, 'a'), agg(1, 'x'), agg(1, 'a'), sameAggregate), 'different');
    assert.equal(judge(agg(2, 'a'), agg(1, 'a'), agg(2, 'a'), sameAggregate), 'different', 'a missing row changes the count');
  });
  it('in flux when the source changed meanwhile', () => {
    assert.equal(judge(agg(1, 'a'), agg(1, 'x'), agg(1, 'b'), sameAggregate), 'in-flux');
  });
  it('defaults and the task\'s concurrency', () => {
    assert.deepEqual(verifySettings({ task: 't' }, { full: { concurrency: 4 } as never }),
      { mode: 'checksum', rangeRows: 100_000, concurrency: 4, maxKeys: 100, maxAttempts: 6, applyWaitSeconds: 120 });
    assert.equal(verifySettings({ task: 't', rangeRows: -5, mode: 'rows' }).rangeRows, 100_000);
  });
});

describe('verify: differing keys', () => {
  it('missing, extra and different, in key order', () => {
    const s = hashes([['1', 'a'], ['2', 'b'], ['3', 'c']]);
    const d = hashes([['1', 'a'], ['3', 'X'], ['4', 'd']]);
    assert.deepEqual(differingKeys(s, d).map((k) => [k.kt, k.kind]), [['{2}', 'missing'], ['{3}', 'different'], ['{4}', 'extra']]);
  });
  it('leaves out keys the source changed between its reads', () => {
    const s1 = hashes([['1', 'a'], ['2', 'b'], ['5', 'e']]);
    const d = hashes([['1', 'a'], ['2', 'OLD'], ['5', 'WRONG']]);
    const s2 = hashes([['1', 'a'], ['2', 'b2'], ['5', 'e'], ['6', 'new']]);
    assert.deepEqual(settledKeyDifferences(s1, d, s2).map((k) => k.kt), ['{5}']);
  });
  it('the key values of a key text (PostgreSQL\'s text[] output), quoting undone', () => {
    assert.deepEqual(keyOfText('{1236000}'), ['1236000']);
    assert.deepEqual(keyOfText('{"a b",2,"x\\"y","NULL","{}",""}'), ['a b', '2', 'x"y', 'NULL', '{}', '']);
  });
});

describe('verify: the mapped projection', () => {
  it('maps the key to the destination names and types; an excluded key column gives none', () => {
    const types = new Map([['c_id', 'bigint'], ['c_at', 'date']]);
    const key = [{ name: 'id', type: 'integer' }, { name: 'at', type: 'date' }];
    assert.deepEqual(targetKeyOf(key, (c) => `c_${c}`, types), [{ name: 'c_id', type: 'bigint' }, { name: 'c_at', type: 'date' }]);
    assert.deepEqual(targetKeyOf(key, (c) => (c === 'at' ? null : `c_${c}`), types), []);
    assert.deepEqual(targetKeyOf(key, (c) => c, types), [], 'missing on the destination');
  });
  it('the source reads source columns in destination order with the filter, the destination the mapped names', () => {
    const src = aggregateSql(sideShape(table, 'source'), table.ranges[1]!, true);
    assert.match(src, /FROM "crm"\."Leads" t WHERE \(status <> 'spam'\) AND t\."id" >= '100'::integer$/);
    assert.match(src, /md5\(ROW\(t\."id", t\."Email", t\."status"\)::text\)/);
    const dst = aggregateSql(sideShape(table, 'destination'), table.ranges[0]!, true);
    assert.match(dst, /FROM "crm_copy"\."leads" t WHERE t\."id" < '100'::bigint$/);
    assert.match(dst, /ROW\(t\."id", t\."email", t\."status"\)::text/);
    assert.doesNotMatch(aggregateSql(sideShape(table, 'destination'), table.ranges[0]!, false), /md5/, 'count mode hashes nothing');
    // The faster row hash, over the bytes of the same row text (collation C: no locale in the hash).
    const fast = aggregateSql(sideShape(table, 'destination'), table.ranges[0]!, true, 'hashtextextended');
    assert.match(fast, /sum\(hashtextextended\(\(ROW\(t\."id", t\."email", t\."status"\)::text\) COLLATE "C", 0\)\)/);
    assert.doesNotMatch(fast, /md5/);
  });
  it('composite keys compare as rows; a whole table has no range condition', () => {
    const shape = { from: 'x', columns: ['a'], key: [{ name: 'a', type: 'int' }, { name: 'b', type: 'text' }] };
    assert.equal(rangeWhere(shape, { lo: ['1', 'z'], hi: null }), ` WHERE ROW(t."a", t."b") >= ROW('1'::int, 'z'::text)`);
    assert.equal(rangeWhere(shape, { lo: null, hi: null }), '');
    assert.match(rowHashesSql(shape, { lo: null, hi: null }), /ARRAY\[t\."a"::text, t\."b"::text\]::text AS kt/);
    assert.match(rowTextsSql(shape, { lo: null, hi: null }), / WHERE ARRAY\[.*\]::text = ANY \(\$1::text\[\]\)$/);
    assert.match(rowTextsSql(shape, { lo: ['1', 'z'], hi: null }), /::text\) AND ARRAY/);
  });
});

describe('verify: report', () => {
  const base = (): VerifyReport => ({
    task: 't', mode: 'rows', state: 'done', taskPhase: 'incremental', streaming: true, startedAt: '', finishedAt: '',
    tables: [], differingTables: 0, differences: 0, unsettled: 0, error: null,
  });
  it('adds ranges up, lists differing keys up to the cap, and sets the exit code', () => {
    let tr = emptyTableReport(table);
    tr = addRangeResult(tr, table.ranges[0]!, { range: 0, equal: true, sourceRows: 10, destinationRows: 10, bytes: 0, attempts: 1 }, 2, 5);
    tr = addRangeResult(tr, table.ranges[1]!, {
      range: 1, equal: false, sourceRows: 5, destinationRows: 6, bytes: 0, attempts: 3, keyCount: 3,
      keys: [1, 2, 3].map((k) => ({ key: [String(k)], kind: 'extra' as const, source: null, destination: `(${k})` })),
    }, 2, 7);
    assert.equal(tr.rangesDone, 2);
    assert.equal(tr.sourceRows, 15);
    assert.equal(tr.destinationRows, 16);
    assert.equal(tr.differingKeys.length, 2, 'capped');
    assert.equal(tr.differingKeyCount, 3);
    assert.equal(tr.durationMs, 12);
    assert.equal(tr.recheckedRanges, 1);
    const report = summarize({ ...base(), tables: [tr] });
    assert.equal(report.differingTables, 1);
    assert.equal(report.differences, 3);
    assert.equal(exitCodeOf(report), 1);
    const text = formatVerifyReport(report);
    assert.match(text, /DIFFERS\s+crm\.Leads -> crm_copy\.leads/);
    assert.match(text, /key id=1: extra; source \(no row\); destination \(1\)/);
    assert.match(text, /… 1 more differing keys/);
    assert.equal(exitCodeOf(summarize({ ...base(), tables: [emptyTableReport(table)] })), 0);
    const unsettled = addRangeResult(emptyTableReport(table), table.ranges[0]!, { range: 0, equal: false, unsettled: true, sourceRows: 1, destinationRows: 1, bytes: 0, attempts: 6 }, 2, 1);
    assert.equal(exitCodeOf(summarize({ ...base(), tables: [unsettled] })), 3);
  });
  it('names a verification after its task', () => {
    assert.equal(verifyWorkflowId('shop', new Date('2026-01-02T03:04:05.678Z')), 'shop-verify-20260102-030405678Z');
  });
});
