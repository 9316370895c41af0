// Pure parts of `pg-dts verify --repair`: the control row's strict parsing, its mapping to destination
// names, the key text of the source's arrays, when a task may be repaired, the report's text and exit code.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repairPath } from '../../activities/repair';
import { formatRepair } from '../../src/cli/verify-repair-text';
import { exitCodeOf } from '../../src/verify/compare';
import { REPAIR_KEYS_PER_ROW, isCapturedRepair, mapRepair, parseRepair, type RepairRequest } from '../../src/verify/repair-row';
import { keyOfText } from '../../src/verify/sql';
import type { VerifyReport } from '../../src/verify/types';

const request: RepairRequest = {
  table: { schema: 'app', name: 'Items' },
  keyColumns: ['id'],
  columns: ['id', 'Body', 'secret'],
  keys: [['1'], ['2'], ['3']],
  rows: [['1', 'one', 's'], ['3', null, null]],
};
const row = (over: Record<string, unknown>): unknown => ({ repair: { ...request, ...over } });

describe('verify --repair: the control row', () => {
  it('parses a well-formed repair row', () => {
    assert.deepEqual(parseRepair({ repair: request }), request);
    assert.equal(isCapturedRepair({ repair: request }), true);
    assert.equal(isCapturedRepair({ query: 'CREATE TABLE t ()' }), false);
  });

  it('refuses every malformed field, naming it', () => {
    const cases: [unknown, RegExp][] = [
      [{ repair: request, extra: 1 }, /not a repair row/],
      [row({ sql: 'DROP TABLE x' }), /unknown field\(s\) sql/],
      [row({ table: 'app.Items' }), /repair\.table/],
      [row({ table: { schema: 'app', name: 'Items', x: 1 } }), /repair\.table/],
      [row({ keyColumns: [] }), /repair\.keyColumns/],
      [row({ keyColumns: ['id', 'id'] }), /repair\.keyColumns/],
      [row({ columns: ['Body'] }), /every key column/],
      [row({ columns: ['id', 'id', 'Body'] }), /repair\.columns/],
      [row({ keys: [] }), /repair\.keys/],
      [row({ keys: Array.from({ length: REPAIR_KEYS_PER_ROW + 1 }, (_, i) => [String(i)]) }), /1 to 500 keys/],
      [row({ keys: [[null]] }), /no NULL/],
      [row({ keys: [['1', '2']] }), /1 text value/],
      [row({ keys: [['1'], ['1']] }), /listed twice/],
      [row({ rows: [['1', 'one']] }), /3 value\(s\)/],
      [row({ rows: [['9', 'nine', null]] }), /not asked for/],
      [row({ rows: [['1', 'a', null], ['1', 'b', null]] }), /two images/],
      [row({ rows: [['1', 2, null]] }), /text or NULL/],
    ];
    for (const [input, error] of cases) {
      const parsed = parseRepair(input);
      assert.equal(typeof parsed, 'string', JSON.stringify(input).slice(0, 200));
      assert.match(parsed as string, error);
    }
  });

  it('maps keys and images to destination names, leaving out excluded and missing columns', () => {
    const mapped = mapRepair(request, (c) => (c === 'Body' ? 'body' : c === 'secret' ? null : c), (c) => ['id', 'body'].includes(c));
    assert.deepEqual(mapped, {
      keyColumns: ['id'],
      keyRows: [{ id: '1' }, { id: '2' }, { id: '3' }],
      columns: ['id', 'body'],
      rows: [{ id: '1', body: 'one' }, { id: '3', body: null }],
    });
    assert.match(mapRepair(request, (c) => (c === 'id' ? null : c), () => true) as string, /key column id of app\.Items is excluded or missing/);
    assert.match(mapRepair(request, (c) => c, (c) => c !== 'id') as string, /excluded or missing on the destination/);
  });

  it('reads the key text of a source text[] as the verification has it', () => {
    assert.deepEqual(keyOfText('{1}'), ['1']);
    assert.deepEqual(keyOfText('{a,"b c","x\\"y","",NULLish}'), ['a', 'b c', 'x"y', '', 'NULLish']);
  });
});

describe('verify --repair: when and what', () => {
  it('goes through the stream while the task streams, directly once it never streams again, else refuses', () => {
    assert.equal(repairPath('t', { phase: 'incremental', paused: false }), 'stream');
    assert.equal(repairPath('t', { phase: 'released', paused: false }), 'direct');
    assert.equal(repairPath('t', { phase: 'failed', paused: false }), 'direct');
    const paused = repairPath('t', { phase: 'paused', paused: true });
    assert.match((paused as { refused: string }).refused, /task t is paused: .* Resume the task \(pg-dts resume t\), then repair/);
    assert.match((repairPath('t', { phase: 'releasing', paused: false }) as { refused: string }).refused, /is releasing/);
  });

  it('exits 0 only when every repaired range compares equal afterwards', () => {
    const base = { state: 'done', differences: 2, unsettled: 0 } as VerifyReport;
    const table = { table: 'app.Items', keys: 2, shownKeys: [['1'], ['2']], through: 'stream' as const, refused: null, reverified: { ranges: 1, differing: 0, unsettled: 0, differingKeys: [] } };
    assert.equal(exitCodeOf({ ...base, repair: { tables: [table], clean: true } }), 0);
    assert.equal(exitCodeOf({ ...base, repair: { tables: [table], clean: false } }), 1);
    assert.equal(exitCodeOf({ ...base, unsettled: 1, repair: { tables: [table], clean: true } }), 3);
    assert.equal(exitCodeOf(base), 1, 'without --repair a difference is exit code 1');
    const text = formatRepair({ tables: [table, { ...table, table: 'app.Other', keys: 0, shownKeys: [], through: null, refused: 'paused: resume', reverified: null }], clean: false }).join('\n');
    assert.match(text, /app\.Items: 2 key\(s\) repaired through the stream: 1, 2/);
    assert.match(text, /app\.Items: 1 repaired range\(s\) compared again: all equal/);
    assert.match(text, /app\.Other: NOT REPAIRED: paused: resume/);
    assert.match(text, /repair incomplete/);
  });
});
