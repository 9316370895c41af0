// Captured DDL of views, materialized views, routines, triggers, rules and policies -> destination SQL, or
// the reason it is refused (src/ddl/translate-objects.ts and its helpers).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { tableOperations, type Mapping, type TableRef } from '../../src/catalog/names';
import { loadDdlParser } from '../../src/ddl/parser';
import { translateDdl, type DdlContext, type DdlDecision } from '../../src/ddl/translate';

/** app selected whole; crm selected whole but renamed; shop by table list with orders renamed; other not selected. */
const MAPPING: Mapping = {
  nameCase: 'default',
  objects: [
    { schema: 'app' },
    { schema: 'crm', rename: 'crm_dst' },
    { schema: 'shop', tables: ['items', { name: 'orders', rename: 'purchases' }, { name: 'masked', excludeColumns: ['ssn'] }] },
    { schema: 'frozen', ddl: false },
  ],
};
const TABLES: TableRef[] = [
  { schema: 'app', name: 'docs' }, { schema: 'crm', name: 'people' }, { schema: 'shop', name: 'items' },
  { schema: 'shop', name: 'orders' }, { schema: 'shop', name: 'masked' }, { schema: 'other', name: 't' },
];

/** Like the applier's: a qualified name is taken as written, an unqualified one found on the search path. */
function context(searchPath = ['app', 'public']): DdlContext {
  const find = (schema: string, name: string) => TABLES.find((t) => t.schema === schema && t.name === name) ?? null;
  return {
    mapping: MAPPING,
    searchPath,
    resolveTable: (n) => (n.schema ? { schema: n.schema, name: n.name } : searchPath.map((s) => find(s, n.name)).find((t) => t) ?? { schema: searchPath[0]!, name: n.name }),
    isSelected: (t) => {
      if (!find(t.schema, t.name)) return false;
      const entry = MAPPING.objects.find((o) => o.schema === t.schema);
      return !!entry && (!entry.tables || entry.tables.some((x) => (typeof x === 'string' ? x : x.name) === t.name));
    },
    selectsWholeSchema: (schema) => MAPPING.objects.some((o) => o.schema === schema && !o.tables),
    ddlEnabled: (t) => tableOperations(MAPPING, t).ddl,
  };
}

function applied(sql: string, ctx = context()): Extract<DdlDecision, { kind: 'apply' }> {
  const d = translateDdl(sql, ctx);
  assert.equal(d.kind, 'apply', `expected ${sql} to be replicated: ${d.kind === 'skip' ? `${d.reason}: ${d.detail}` : ''}`);
  return d as Extract<DdlDecision, { kind: 'apply' }>;
}

function refused(sql: string, reason: string, detail?: RegExp): void {
  const d = translateDdl(sql, context());
  assert.equal(d.kind, 'skip', `expected ${sql} to be refused`);
  assert.equal((d as { reason: string }).reason, reason, (d as { detail: string }).detail);
  if (detail) assert.match((d as { detail: string }).detail, detail);
}

describe('DDL of views, routines, triggers, rules and policies', () => {
  before(loadDdlParser);

  it('views: replicated as written in a schema selected whole, calling any function (the query does not run at CREATE)', () => {
    assert.deepEqual(applied('CREATE OR REPLACE VIEW app.v AS SELECT id, app.slugify(title) FROM app.docs WHERE id IN (SELECT 1)').statements,
      ['CREATE OR REPLACE VIEW app.v AS SELECT id, app.slugify(title) FROM app.docs WHERE id IN (SELECT 1)']);
    applied('CREATE VIEW v2 AS WITH x AS (SELECT 1 AS a) SELECT * FROM x, docs, app.v');
    applied('CREATE VIEW app.v3 AS SELECT * FROM shop.items');
  });

  it('views: refused outside the selection, in a renamed schema, or over renamed / unsynced tables', () => {
    refused('CREATE VIEW other.v AS SELECT 1', 'outside-selection');
    refused('CREATE VIEW shop.v AS SELECT 1', 'outside-selection');
    refused('CREATE VIEW crm.v AS SELECT 1', 'unsupported', /renamed on the destination/);
    refused('CREATE VIEW app.v AS SELECT * FROM shop.orders', 'unsupported', /renames/);
    refused('CREATE VIEW app.v AS SELECT * FROM shop.masked', 'unsupported', /renames/);
    refused('CREATE VIEW app.v AS SELECT * FROM other.t', 'outside-selection');
    refused('CREATE VIEW frozen.v AS SELECT 1', 'ddl-disabled');
    refused('CREATE TEMP VIEW tv AS SELECT 1', 'unsupported');
  });

  it('materialized views: WITH DATA only over synced tables with built-ins (pinned to pg_catalog), else WITH NO DATA and noted', () => {
    assert.deepEqual(applied('CREATE MATERIALIZED VIEW app.counts AS SELECT count(*) AS n, lower(title) FROM app.docs GROUP BY 2').statements,
      ['CREATE MATERIALIZED VIEW app.counts AS SELECT pg_catalog.count(*) AS n, pg_catalog.lower(title) FROM app.docs GROUP BY 2']);
    const user = applied('CREATE MATERIALIZED VIEW app.slugs AS SELECT app.slugify(title) FROM app.docs');
    assert.match(user.statements[0]!, /WITH NO DATA$/);
    assert.match(user.dropped[0]!.detail, /WITH NO DATA/);
    assert.match(applied('CREATE MATERIALIZED VIEW app.overview AS SELECT * FROM app.v').statements[0]!, /WITH NO DATA$/);
  });

  it('REFRESH: CONCURRENTLY dropped, run only when the destination matview depends on nothing outside pg_catalog', () => {
    const [sql] = applied('REFRESH MATERIALIZED VIEW CONCURRENTLY app.counts').statements;
    assert.match(sql!, /^DO \$pgdts\$ BEGIN IF NOT EXISTS \(WITH RECURSIVE/);
    assert.match(sql!, /EXECUTE 'REFRESH MATERIALIZED VIEW "app"."counts"'; END IF; END \$pgdts\$$/);
    assert.deepEqual(applied('REFRESH MATERIALIZED VIEW app.counts WITH NO DATA').statements, ['REFRESH MATERIALIZED VIEW "app"."counts" WITH NO DATA']);
    refused('REFRESH MATERIALIZED VIEW other.m', 'outside-selection');
  });

  it('functions and procedures: replicated with their bodies; SECURITY DEFINER and untrusted languages refused', () => {
    const fn = `CREATE OR REPLACE FUNCTION app.slugify(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(t) $$`;
    assert.match(applied(fn).statements[0]!, /^CREATE OR REPLACE FUNCTION app\.slugify\(t text\) RETURNS text/);
    applied(`CREATE PROCEDURE app.archive(p int) LANGUAGE plpgsql AS $$ BEGIN DELETE FROM app.docs WHERE id = p; END $$`);
    refused(`CREATE FUNCTION app.f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'`, 'unsafe-expression', /SECURITY DEFINER/);
    refused(`CREATE FUNCTION app.f() RETURNS int LANGUAGE plpython3u AS 'return 1'`, 'unsafe-expression', /plpython3u/);
    refused(`CREATE FUNCTION app.f() RETURNS int LANGUAGE c AS 'lib', 'f'`, 'unsafe-expression', /language c/);
    refused(`CREATE FUNCTION crm.f() RETURNS int LANGUAGE sql AS 'SELECT 1'`, 'unsupported', /renamed/);
    refused(`CREATE FUNCTION other.f() RETURNS int LANGUAGE sql AS 'SELECT 1'`, 'outside-selection');
  });

  it('aggregates', () => {
    applied(`CREATE AGGREGATE app.join_text(text) (SFUNC = app.join_step, STYPE = text, INITCOND = '')`);
    refused(`CREATE AGGREGATE other.a(text) (SFUNC = textcat, STYPE = text)`, 'outside-selection');
  });

  it('triggers, rules, policies on a synced table under its own name, schema-qualified', () => {
    assert.deepEqual(applied('CREATE TRIGGER t BEFORE INSERT ON docs FOR EACH ROW EXECUTE FUNCTION app.f()').statements,
      ['CREATE TRIGGER t BEFORE INSERT ON app.docs FOR EACH ROW EXECUTE FUNCTION app.f ()']);
    applied('CREATE TRIGGER t BEFORE INSERT ON shop.items FOR EACH ROW EXECUTE FUNCTION app.f()');
    refused('CREATE TRIGGER t BEFORE INSERT ON shop.orders FOR EACH ROW EXECUTE FUNCTION app.f()', 'unsupported', /renames/);
    refused('CREATE TRIGGER t BEFORE INSERT ON other.t FOR EACH ROW EXECUTE FUNCTION app.f()', 'outside-selection');
    refused('CREATE TRIGGER t BEFORE INSERT ON app.docs FOR EACH ROW EXECUTE FUNCTION other.f()', 'outside-selection', /calls other\.f\(\)/);
    applied('CREATE TRIGGER t BEFORE UPDATE ON app.docs FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()');
    applied('CREATE RULE r AS ON DELETE TO app.docs DO ALSO NOTIFY docs');
    applied(`CREATE POLICY p ON app.docs FOR SELECT USING (owner = current_user)`);
  });

  it('DROP of each kind, with the same rules; CASCADE refused', () => {
    applied('DROP VIEW app.v');
    applied('DROP MATERIALIZED VIEW IF EXISTS app.m');
    applied('DROP FUNCTION app.slugify(text)');
    applied('DROP PROCEDURE app.archive');
    applied('DROP AGGREGATE app.join_text(text)');
    applied('DROP TRIGGER t ON app.docs');
    applied('DROP POLICY p ON app.docs');
    applied('DROP RULE r ON app.docs');
    refused('DROP VIEW app.v, other.v', 'outside-selection', /several objects/);
    refused('DROP VIEW app.v CASCADE', 'cascade-or-restrict');
    refused('DROP TRIGGER t ON shop.orders', 'unsupported');
    refused('DROP FUNCTION crm.f()', 'unsupported');
  });
});
