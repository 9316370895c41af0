// The ddl-capture precheck item: DDL replication needs a superuser on the source (any supported version:
// the capture is a published table, not a logical message).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { input, result } from './precheck-fixture';

describe('precheck items: ddl-capture', () => {
  it('passes for a superuser on every supported source, 11 to 18', () => {
    for (const versionNum of [110022, 130010, 170002, 180004]) {
      const r = result(input({ source: { versionNum, isSuperuser: true } }), 'ddl-capture');
      assert.deepEqual([r.passed, r.level], [true, 'warn'], `PostgreSQL ${versionNum}`);
    }
  });

  it('warns for a user who is not a superuser, with the way out', () => {
    const plain = result(input({ source: { versionNum: 170002, isSuperuser: false } }), 'ddl-capture');
    assert.equal(plain.passed, false);
    assert.match(plain.message, /not a superuser: DDL is not replicated \(event triggers need one\)/);
    assert.match(plain.fix ?? '', /"ddl": false/);
  });

  it('is not checked when no object wants DDL, or without incremental sync', () => {
    assert.throws(() => result(input({ spec: { objects: [{ schema: 'shop', ddl: false }] }, source: { isSuperuser: false } }), 'ddl-capture'), /not in the report/);
    assert.throws(() => result(input({ spec: { syncTypes: ['schema', 'full'] } }), 'ddl-capture'), /not in the report/);
  });
});
