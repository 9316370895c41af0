import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RelationTarget } from '../../src/apply/change-buffer';
import { multiDelete, multiInsert, multiUpdate, setColumnsOf, textArrayLiteral } from '../../src/apply/set-statements';
import { truncateStatement } from '../../src/apply/statements';

const rel: RelationTarget = {
  key: 'My Schema.orders', target: { schema: 'My Schema', name: 'orders' }, keyColumns: ['id'], keyIndexed: true,
  alwaysIdentity: ['n'], hasOtherUniques: false,
  columnTypes: new Map([['id', 'bigint'], ['note', 'text'], ['n', 'integer'], ['tags', 'text[]']]),
  dml: new Set(['insert', 'update', 'delete', 'truncate']), columnMap: null,
};

describe('set-wise statements', () => {
  it('quotes every array element and escapes quotes and backslashes; NULL stays NULL', () => {
    assert.equal(textArrayLiteral(['a', null, 'x"y\\z', '', 'NULL', '{1,2}']), '{"a",NULL,"x\\"y\\\\z","","NULL","{1,2}"}');
    assert.equal(textArrayLiteral([]), '{}');
  });

  it('inserts from unnested text arrays cast to the destination types, upserting on the key', () => {
    const s = multiInsert(rel, ['id', 'n', 'note'], [{ id: '1', n: '5', note: 'a' }, { id: '2', n: '6', note: null }]);
    assert.equal(s.text,
      'INSERT INTO "My Schema"."orders" ("id", "n", "note") OVERRIDING SYSTEM VALUE SELECT v.a1::bigint, v.a2::integer, v.a3::text ' +
      'FROM unnest($1::text[], $2::text[], $3::text[]) AS v(a1, a2, a3) ON CONFLICT ("id") DO UPDATE SET "note" = EXCLUDED."note"');
    assert.deepEqual(s.values, ['{"1","2"}', '{"5","6"}', '{"a",NULL}']);
  });

  it('updates by the old key and deletes by key', () => {
    const u = multiUpdate(rel, ['id', 'note'], [{ keyRow: { id: '1' }, row: { id: '2', note: 'x' } }]);
    assert.equal(u.text, 'UPDATE "My Schema"."orders" AS t SET "id" = v.a2::bigint, "note" = v.a3::text FROM unnest($1::text[], $2::text[], $3::text[]) AS v(a1, a2, a3) WHERE t."id" = v.a1::bigint');
    assert.deepEqual(u.values, ['{"1"}', '{"2"}', '{"x"}']);
    assert.equal(multiDelete(rel, [{ id: '1' }]).text, 'DELETE FROM "My Schema"."orders" AS t USING unnest($1::text[]) AS v(a1) WHERE t."id" = v.a1::bigint');
    assert.equal(truncateStatement([rel.target, { schema: 's', name: 'x' }], true).text, 'TRUNCATE "My Schema"."orders", "s"."x" RESTART IDENTITY');
  });

  it('sets only changed key columns, never unchanged TOAST, never an unchanged ALWAYS identity', () => {
    assert.deepEqual(setColumnsOf(rel, { id: '1' }, { id: '1', note: 'x', tags: undefined, n: '3' }), ['note']);
    assert.deepEqual(setColumnsOf(rel, { id: '1', n: '3' }, { id: '2', n: '4' }), ['id', 'n']);
  });
});
