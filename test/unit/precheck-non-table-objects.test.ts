// The precheck items listing what schema sync will not create of views, routines, triggers, rules and
// policies, and the extensions those objects need on the destination.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { input, result } from './precheck-fixture';

const facts = (extra: Partial<{ unsupported: { kind: 'function' | 'trigger'; name: string; reason: string }[]; notPopulated: string[]; extensions: { name: string; schema: string }[] }> = {}) =>
  ({ nonTableObjects: { unsupported: [], notPopulated: [], extensions: [], ...extra } });

describe('precheck items: non-table objects', () => {
  it('passes when every object is created, and does not apply without the facts', () => {
    assert.equal(result(input({ source: facts() }), 'non-table-objects').passed, true);
    assert.throws(() => result(input(), 'non-table-objects'));
  });

  it('warns naming each object not created, with its reason, and materialized views left unpopulated', () => {
    const r = result(input({ source: facts({
      unsupported: [{ kind: 'function', name: 'app.definer()', reason: 'SECURITY DEFINER: ...' }, { kind: 'trigger', name: 'audit on app.t', reason: 'ENABLE ALWAYS: ...' }],
      notPopulated: ['app.mv'],
    }) }), 'non-table-objects');
    assert.equal(r.passed, false);
    assert.equal(r.level, 'warn');
    assert.match(r.message, /function app\.definer\(\): SECURITY DEFINER/);
    assert.match(r.message, /trigger audit on app\.t: ENABLE ALWAYS/);
    assert.match(r.message, /materialized view app\.mv: created WITH NO DATA/);
  });

  it('extensions: installed passes, available and creatable will be created, otherwise fails', () => {
    const src = facts({ extensions: [{ name: 'pg_trgm', schema: 'public' }] });
    const ext = (e: Partial<{ installed: boolean; available: boolean; trusted: boolean }>) => [{ name: 'pg_trgm', installed: false, available: true, trusted: false, ...e }];
    assert.match(result(input({ source: src, destination: { objectExtensions: ext({ installed: true }) } }), 'non-table-extensions').message, /installed/);
    const create = result(input({ source: src, destination: { isSuperuser: true, objectExtensions: ext({}) } }), 'non-table-extensions');
    assert.equal(create.passed, true);
    assert.match(create.message, /will create extension pg_trgm/);
    assert.equal(result(input({ source: src, destination: { objectExtensions: ext({ available: false }) } }), 'non-table-extensions').passed, false);
    const weak = { isSuperuser: false, canCreateInDatabase: true };
    assert.equal(result(input({ source: src, destination: { ...weak, objectExtensions: ext({}) } }), 'non-table-extensions').passed, false);
    assert.equal(result(input({ source: src, destination: { ...weak, objectExtensions: ext({ trusted: true }) } }), 'non-table-extensions').passed, true);
  });
});
