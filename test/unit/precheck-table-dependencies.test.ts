// The table-dependencies item: what the selected tables' definitions need on the destination (extensions
// and user objects schema sync does not create), judged before anything is created.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DependencyPresence, TableDependency } from '../../src/precheck/facts/table-dependencies';
import { splitQualified } from '../../src/precheck/facts/table-dependencies';
import { extensionVerdicts } from '../../src/precheck/items/table-dependencies';
import { input, result } from './precheck-fixture';

const trgm: TableDependency = { kind: 'operator class', name: 'public.gin_trgm_ops (gin)', extension: 'pg_trgm', extensionSchema: 'public', tables: ['shop.orders'] };
const fn: TableDependency = { kind: 'function', name: 'shop.next_code()', extension: null, extensionSchema: null, tables: ['shop.orders'] };
const coll: TableDependency = { kind: 'collation', name: 'public.german', extension: null, extensionSchema: null, tables: ['shop.customers'] };
const none: DependencyPresence = { installed: [], available: [], presentObjects: [] };
const trgmAvailable: DependencyPresence = { ...none, available: [{ name: 'pg_trgm', trusted: true, relocatable: true, schema: null }] };

const check = (needs: TableDependency[], presence: DependencyPresence, destination: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) =>
  result(input({ spec, source: { tableDependencies: needs }, destination: { dependencyPresence: presence, ...destination } }), 'table-dependencies');

describe('precheck item table-dependencies', () => {
  it('passes when nothing is needed', () => {
    const r = check([], none);
    assert.deepEqual([r.passed, r.level], [true, 'fail']);
    assert.match(r.message, /use no extension or user-defined object/);
  });

  it('an installed extension and present objects pass', () => {
    const r = check([trgm, fn], { installed: ['pg_trgm'], available: [], presentObjects: ['function:shop.next_code()', 'operator class:public.gin_trgm_ops (gin)'] });
    assert.equal(r.passed, true);
    assert.match(r.message, /2 checked/);
  });

  it('an extension installed in another schema than the source\'s fails: the definitions name its objects there', () => {
    const r = check([trgm], { installed: ['pg_trgm'], available: [], presentObjects: [] });
    assert.equal(r.passed, false);
    assert.match(r.message, /^installed on the destination, but not where the definitions name them .*: operator class public\.gin_trgm_ops \(gin\) \(used by shop\.orders\) of extension pg_trgm$/);
    assert.match(r.fix!, /ALTER EXTENSION \.\.\. SET SCHEMA public/);
  });

  it('a missing available extension passes as "will be created" for a superuser', () => {
    const r = check([trgm], { ...trgmAvailable, available: [{ ...trgmAvailable.available[0]!, trusted: false }] }, { isSuperuser: true });
    assert.equal(r.passed, true);
    assert.equal(r.message, 'schema sync will create extension pg_trgm on the destination before the tables');
  });

  it('a trusted extension is created by a user with CREATE on the database', () => {
    assert.equal(check([trgm], trgmAvailable, { isSuperuser: false, canCreateInDatabase: true }).passed, true);
    const r = check([trgm], trgmAvailable, { isSuperuser: false, canCreateInDatabase: false, user: 'writer' });
    assert.equal(r.passed, false);
    assert.match(r.message, /extensions user writer may not create on the destination: pg_trgm \(needed for operator class public\.gin_trgm_ops \(gin\) \(used by shop\.orders\)\)/);
    assert.match(r.fix!, /CREATE EXTENSION pg_trgm on the destination as a superuser/);
  });

  it('an untrusted extension needs a superuser', () => {
    const r = check([trgm], { ...none, available: [{ name: 'pg_trgm', trusted: false, relocatable: true, schema: null }] }, { isSuperuser: false });
    assert.equal(r.passed, false);
    assert.match(r.message, /may not create/);
  });

  it('an extension the destination does not have fails, naming it, what needs it and the fix', () => {
    const r = check([trgm], none, { isSuperuser: true });
    assert.deepEqual([r.passed, r.level], [false, 'fail']);
    assert.match(r.message, /extensions not available on the destination: pg_trgm \(needed for operator class public\.gin_trgm_ops \(gin\) \(used by shop\.orders\)\)/);
    assert.match(r.fix!, /install the package providing pg_trgm on the destination's host .* or exclude the tables/);
  });

  it('missing user objects fail by name', () => {
    const r = check([fn, coll], { ...none, presentObjects: ['function:shop.next_code()'] });
    assert.equal(r.passed, false);
    assert.match(r.message, /objects missing on the destination \(schema sync does not create them\): collation public\.german \(used by shop\.customers\)$/);
    assert.match(r.fix!, /create these objects on the destination first/);
  });

  it('a failure still says which extensions would be created', () => {
    const r = check([trgm, coll], trgmAvailable, { isSuperuser: true });
    assert.equal(r.passed, false);
    assert.match(r.message, /collation public\.german.*; schema sync will create extension pg_trgm/);
  });

  it('does not apply without schema sync (the destination tables exist already)', () => {
    const items = input({ spec: { syncTypes: ['full'] as never, conflictingTables: 'ignore' }, source: { tableDependencies: [trgm] }, destination: { dependencyPresence: none } });
    assert.throws(() => result(items, 'table-dependencies'), /not in the report/);
  });

  it('verdicts group the needs by extension', () => {
    const other = { ...trgm, kind: 'function' as const, name: 'public.similarity(text,text)' };
    const v = extensionVerdicts([trgm, other, fn], trgmAvailable, { isSuperuser: true, canCreateInDatabase: false });
    assert.deepEqual(v.map((x) => [x.extension, x.verdict, x.schema, x.needs.length]), [['pg_trgm', 'create', 'public', 2]]);
  });

  it('splitQualified reads quoted and plain names', () => {
    assert.deepEqual(splitQualified('public.german'), ['public', 'german']);
    assert.deepEqual(splitQualified('"My Schema"."de-x"'), ['My Schema', 'de-x']);
    assert.equal(splitQualified('german'), null);
  });
});
