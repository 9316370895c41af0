import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChangeBuffer, type RelationTarget } from '../../src/apply/change-buffer';

const rel = (over: Partial<RelationTarget> = {}): RelationTarget => ({
  key: 's.t', target: { schema: 's', name: 't' }, keyColumns: ['id'], keyIndexed: true, alwaysIdentity: [],
  hasOtherUniques: false, columnTypes: new Map([['id', 'integer'], ['v', 'text']]), dml: new Set(['insert', 'update', 'delete']), columnMap: null, ...over,
});

describe('change buffer: net effect per row', () => {
  it('collapses a hot row to one update with the last values, keeping unchanged TOAST untouched', () => {
    const r = rel();
    const b = new ChangeBuffer();
    assert.ok(b.add({ op: 'update', rel: r, keyRow: { id: '1' }, row: { id: '1', v: 'a', big: undefined } }, 10));
    assert.ok(b.add({ op: 'update', rel: r, keyRow: { id: '1' }, row: { id: '1', v: 'b', big: undefined } }, 10));
    const [e] = b.effects();
    assert.deepEqual(e!.updates, [{ keyRow: { id: '1' }, row: { id: '1', v: 'b', big: undefined } }]);
    assert.equal(e!.inserts.length + e!.deletes.length, 0);
    assert.equal(b.size, 2);
    assert.equal(b.bytes, 20);
  });

  it('insert then updates is one insert of the merged row; insert then delete is nothing', () => {
    const r = rel();
    const b = new ChangeBuffer();
    b.add({ op: 'insert', rel: r, row: { id: '1', v: 'a', w: 'x' } }, 1);
    b.add({ op: 'update', rel: r, keyRow: { id: '1' }, row: { id: '1', v: 'b', w: undefined } }, 1);
    b.add({ op: 'insert', rel: r, row: { id: '2', v: 'a' } }, 1);
    b.add({ op: 'delete', rel: r, keyRow: { id: '2' } }, 1);
    const [e] = b.effects();
    assert.deepEqual(e!.inserts, [{ id: '1', v: 'b', w: 'x' }]);
    assert.deepEqual(e!.deletes, []);
    assert.deepEqual(e!.updates, []);
  });

  it('delete then insert of an existing row is delete + insert, never an update', () => {
    const r = rel();
    const b = new ChangeBuffer();
    b.add({ op: 'delete', rel: r, keyRow: { id: '7' } }, 1);
    b.add({ op: 'insert', rel: r, row: { id: '7', v: 'new' } }, 1);
    b.add({ op: 'delete', rel: r, keyRow: { id: '8' } }, 1);
    const [e] = b.effects();
    assert.deepEqual(e!.deletes, [{ id: '7' }, { id: '8' }]);
    assert.deepEqual(e!.inserts, [{ id: '7', v: 'new' }]);
  });

  it('refuses to merge a key change, an update of a deleted row, an insert over a live row and an identity change', () => {
    const r = rel({ alwaysIdentity: ['n'] });
    const b = new ChangeBuffer();
    assert.equal(b.add({ op: 'update', rel: r, keyRow: { id: '1' }, row: { id: '2', v: 'a' } }, 1), false);
    b.add({ op: 'delete', rel: r, keyRow: { id: '3' } }, 1);
    assert.equal(b.add({ op: 'update', rel: r, keyRow: { id: '3' }, row: { id: '3', v: 'a' } }, 1), false);
    b.add({ op: 'insert', rel: r, row: { id: '4', v: 'a' } }, 1);
    assert.equal(b.add({ op: 'insert', rel: r, row: { id: '4', v: 'b' } }, 1), false);
    assert.equal(b.add({ op: 'update', rel: r, keyRow: { id: '5', n: '1' }, row: { id: '5', n: '2' } }, 1), false);
    assert.equal(b.size, 2);
  });

  it('keeps composite keys apart', () => {
    const r = rel({ keyColumns: ['a', 'b'] });
    const b = new ChangeBuffer();
    b.add({ op: 'update', rel: r, keyRow: { a: '1', b: '23' }, row: { a: '1', b: '23', v: 'x' } }, 1);
    b.add({ op: 'update', rel: r, keyRow: { a: '12', b: '3' }, row: { a: '12', b: '3', v: 'y' } }, 1);
    assert.equal(b.effects()[0]!.updates.length, 2);
  });
});
