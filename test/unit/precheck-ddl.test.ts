// The ddl-capture precheck item: DDL replication needs a superuser and PostgreSQL 14+ on the source.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { input, result } from './precheck-fixture';

describe('precheck items: ddl-capture', () => {
  it('passes for a superuser on PostgreSQL 14+', () => {
    const r = result(input({ source: { versionNum: 170002, isSuperuser: true } }), 'ddl-capture');
    assert.deepEqual([r.passed, r.level], [true, 'warn']);
  });

  it('warns on a source older than 14 and for a user who is not a superuser, with the way out', () => {
    const old = result(input({ source: { versionNum: 130010, isSuperuser: true } }), 'ddl-capture');
    assert.deepEqual([old.passed, old.level], [false, 'warn']);
    assert.match(old.message, /PostgreSQL 13: DDL is not replicated/);
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
