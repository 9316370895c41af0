// The pre-image rule the applier applies itself on sources before 15 (src/apply/row-filter-decision.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RelationTarget } from '../../src/apply/change-buffer';
import { decideFiltered, filterRows, resolveFiltered, type FilteredChange, type RowFilterEvaluator } from '../../src/apply/row-filter-decision';
import { mapRow } from '../../src/apply/relation-target';
import type { Row } from '../../src/apply/statements';

const rowFilter = { source: { schema: 's', name: 't' }, where: "status = 'open'", columns: [] };
const rel = (over: Partial<RelationTarget> = {}): FilteredChange['rel'] => ({
  key: 's.t', target: { schema: 's', name: 't' }, keyColumns: ['id'], keyIndexed: true, alwaysIdentity: [], hasOtherUniques: false,
  columnTypes: new Map(), dml: new Set(['insert', 'update', 'delete']), columnMap: null, rowFilter, ...over,
});

/** status = 'open' in JavaScript, and a record of every row asked about and of each call. */
function recorder(): { evaluate: RowFilterEvaluator; asked: Row[][] } {
  const asked: Row[][] = [];
  return { asked, evaluate: async (_f, rows) => (asked.push(rows), rows.map((r) => r.status === 'open')) };
}

const identity = (_rel: RelationTarget, row: Row): Row => row;

describe('row filter decision (pre-image rule)', () => {
  it('follows the table for every operation and match', () => {
    assert.equal(decideFiltered('insert', null, true), 'insert');
    assert.equal(decideFiltered('insert', null, false), null);
    assert.equal(decideFiltered('delete', true, null), 'delete');
    assert.equal(decideFiltered('delete', false, null), null);
    assert.equal(decideFiltered('update', true, true), 'update');
    assert.equal(decideFiltered('update', true, false), 'delete');
    assert.equal(decideFiltered('update', false, true), 'insert');
    assert.equal(decideFiltered('update', false, false), null);
  });

  it('judges the new row of an update with unchanged TOAST values taken from the old row', () => {
    const rows = filterRows({ op: 'update', rel: rel(), old: { id: '1', status: 'closed', note: 'long' }, new: { id: '1', status: 'open', note: undefined } });
    assert.deepEqual(rows, { old: { id: '1', status: 'closed', note: 'long' }, new: { id: '1', status: 'open', note: 'long' } });
    // Without an old row (key unchanged, identity not FULL) both sides are the new row, as pgoutput does.
    assert.deepEqual(filterRows({ op: 'update', rel: rel(), old: null, new: { id: '1', status: 'open' } }), { old: { id: '1', status: 'open' }, new: { id: '1', status: 'open' } });
  });

  it('turns a batch into the changes to write, in order, with one evaluation per table', async () => {
    const a = rel();
    const b = rel({ key: 's.u', target: { schema: 's', name: 'u' } });
    const { evaluate, asked } = recorder();
    const changes: FilteredChange[] = [
      { op: 'insert', rel: a, old: null, new: { id: '1', status: 'open' } },
      { op: 'insert', rel: a, old: null, new: { id: '2', status: 'closed' } },
      { op: 'update', rel: a, old: { id: '3', status: 'open', note: 'x' }, new: { id: '3', status: 'open', note: 'y' } },
      { op: 'update', rel: a, old: { id: '4', status: 'open', note: 'x' }, new: { id: '4', status: 'closed', note: undefined } },
      { op: 'update', rel: b, old: { id: '5', status: 'closed', note: 'whole' }, new: { id: '5', status: 'open', note: undefined } },
      { op: 'update', rel: b, old: { id: '6', status: 'closed' }, new: { id: '60', status: 'closed' } },
      { op: 'delete', rel: b, old: { id: '7', status: 'open' }, new: null },
      { op: 'delete', rel: b, old: { id: '8', status: 'closed' }, new: null },
      { op: 'update', rel: a, old: { id: '9', status: 'open' }, new: { id: '90', status: 'open' } },
    ];
    const out = await resolveFiltered(changes, evaluate, identity);
    assert.deepEqual(out.map((c) => ({ op: c.op, rel: c.rel.key, ...('keyRow' in c ? { keyRow: c.keyRow } : {}), ...('row' in c ? { row: c.row } : {}) })), [
      { op: 'insert', rel: 's.t', row: { id: '1', status: 'open' } },
      { op: 'update', rel: 's.t', keyRow: { id: '3', status: 'open', note: 'x' }, row: { id: '3', status: 'open', note: 'y' } },
      { op: 'delete', rel: 's.t', keyRow: { id: '4', status: 'open', note: 'x' } },
      { op: 'insert', rel: 's.u', row: { id: '5', status: 'open', note: 'whole' } }, // enters whole
      { op: 'delete', rel: 's.u', keyRow: { id: '7', status: 'open' } },
      { op: 'update', rel: 's.t', keyRow: { id: '9', status: 'open' }, row: { id: '90', status: 'open' } }, // key change inside
    ]);
    assert.equal(asked.length, 2, 'one evaluation per table');
    assert.equal(asked[0]!.length + asked[1]!.length, 2 + 2 * 3 + 2 * 2 + 2, 'old and new rows of updates, one row of inserts and deletes');
  });

  it('evaluates source column names (excluded columns too) and writes destination names', async () => {
    const r = rel({ columnMap: new Map([['id', 'id'], ['status', null], ['note', 'remark']]) });
    const { evaluate } = recorder();
    const out = await resolveFiltered([{ op: 'insert', rel: r, old: null, new: { id: '1', status: 'open', note: 'n' } }], evaluate, (x, row) => mapRow(row, x.columnMap!));
    assert.deepEqual(out, [{ op: 'insert', rel: r, row: { id: '1', remark: 'n' } }]);
  });

  it('refuses an evaluator that does not answer for every row', async () => {
    await assert.rejects(resolveFiltered([{ op: 'insert', rel: rel(), old: null, new: { id: '1' } }], async () => [], identity), /0 answers for 1 rows/);
  });
});
