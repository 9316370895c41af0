import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { insertStatement, updateStatement, deleteStatement, truncateStatement } from '../../src/apply/statements';

const t = { schema: 'My Schema', name: 'orders' };

describe('apply statements', () => {
  it('inserts with identity override and text parameters', () => {
    const s = insertStatement(t, { id: '1', note: null });
    assert.equal(s.text, 'INSERT INTO "My Schema"."orders" ("id", "note") OVERRIDING SYSTEM VALUE VALUES ($1, $2)');
    assert.deepEqual(s.values, ['1', null]);
  });

  it('never overwrites an unchanged TOAST value (undefined) and keys on the old key', () => {
    const s = updateStatement(t, ['id'], { id: '1' }, { id: '2', big: undefined, note: 'x' })!;
    assert.equal(s.text, 'UPDATE "My Schema"."orders" SET "id" = $1, "note" = $2 WHERE "id" = $3');
    assert.deepEqual(s.values, ['2', 'x', '1']);
  });

  it('deletes by composite key and truncates several tables with RESTART IDENTITY', () => {
    assert.equal(deleteStatement(t, ['a', 'b'], { a: '1', b: '2' }).text, 'DELETE FROM "My Schema"."orders" WHERE "a" = $1 AND "b" = $2');
    assert.equal(truncateStatement([t, { schema: 's', name: 'x' }], true).text, 'TRUNCATE "My Schema"."orders", "s"."x" RESTART IDENTITY');
  });
});
