// Views, materialized views, functions, procedures, aggregates, triggers, rules and policies (issue 15,
// item 5): schema sync creates them after the data, the precheck lists by name what it will not create,
// triggers do not fire while pg-dts applies rows, and their DDL replicates while the task streams.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { runPrecheck } from '../../src/precheck/run';
import { parseTaskSpec } from '../../src/spec/validate';
import { statusQuery } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const TASK = 'nontable';
const SOURCE = `
  CREATE SCHEMA app;
  CREATE TABLE app.docs (id int PRIMARY KEY, title text NOT NULL, body text, search tsvector, slug text NOT NULL, owner_name text);
  CREATE TABLE app.audit (id serial PRIMARY KEY, doc_id int);

  CREATE FUNCTION app.docs_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.search := to_tsvector('simple', coalesce(NEW.title, '') || ' ' || coalesce(NEW.body, '')); RETURN NEW; END $$;
  CREATE TRIGGER docs_search BEFORE INSERT OR UPDATE ON app.docs FOR EACH ROW EXECUTE FUNCTION app.docs_search();
  CREATE FUNCTION app.slugify(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(regexp_replace(t, '[^a-zA-Z0-9]+', '-', 'g')) $$;
  CREATE FUNCTION app.docs_slug() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.slug IS NULL THEN NEW.slug := app.slugify(NEW.title); END IF; RETURN NEW; END $$;
  CREATE TRIGGER docs_slug BEFORE INSERT ON app.docs FOR EACH ROW EXECUTE FUNCTION app.docs_slug();

  CREATE VIEW app.doc_titles AS SELECT id, upper(title) AS t FROM app.docs;
  CREATE VIEW app.old_view AS SELECT id FROM app.doc_titles;
  CREATE MATERIALIZED VIEW app.doc_counts AS SELECT count(*) AS n FROM app.docs;
  CREATE MATERIALIZED VIEW app.doc_slugs AS SELECT app.slugify(title) AS s FROM app.docs;
  CREATE PROCEDURE app.archive(p_id int) LANGUAGE sql AS $$ UPDATE app.docs SET body = NULL WHERE id = p_id $$;
  CREATE FUNCTION app.join_step(acc text, v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN acc = '' THEN v ELSE acc || ',' || v END $$;
  CREATE AGGREGATE app.join_text(text) (SFUNC = app.join_step, STYPE = text, INITCOND = '');
  CREATE RULE docs_delete_audit AS ON DELETE TO app.docs DO ALSO INSERT INTO app.audit (doc_id) VALUES (OLD.id);
  ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;
  CREATE POLICY docs_owner ON app.docs FOR SELECT USING (owner_name = current_user);

  CREATE TABLE app.events (id int, at date NOT NULL, note text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
  CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
  CREATE FUNCTION app.note_default() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := coalesce(NEW.note, 'none'); RETURN NEW; END $$;
  CREATE TRIGGER events_note BEFORE INSERT ON app.events FOR EACH ROW EXECUTE FUNCTION app.note_default();
  CREATE TRIGGER events_2026_only BEFORE UPDATE ON app.events_2026 FOR EACH ROW EXECUTE FUNCTION app.note_default();

  CREATE FUNCTION app.definer() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
  CREATE FUNCTION app.always_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
  CREATE TRIGGER docs_always BEFORE UPDATE ON app.docs FOR EACH ROW EXECUTE FUNCTION app.always_fn();
  ALTER TABLE app.docs ENABLE ALWAYS TRIGGER docs_always;

  INSERT INTO app.docs (id, title, body) SELECT g, 'Doc ' || g, 'body ' || g FROM generate_series(1, 20) g;
  -- Rows whose search column no trigger computed: the destination must keep the source's value.
  SET session_replication_role = replica;
  INSERT INTO app.docs (id, title, body, search, slug) VALUES (100, 'Marked', 'x', 'fromsource'::tsvector, 'marked');
  RESET session_replication_role;`;

const TABLES = { 'app.docs': 'id', 'app.audit': 'id' };

async function definitions(db: PgClient): Promise<Record<string, string[]>> {
  const q = async (sql: string): Promise<string[]> => (await db.query(sql)).rows.map((r) => String(Object.values(r)[0]));
  return {
    functions: await q(`SELECT pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = 'app'::regnamespace AND p.prokind IN ('f', 'p') ORDER BY p.proname`),
    aggregates: await q(`SELECT p.proname || ':' || a.aggtransfn::text || ':' || a.agginitval FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.pronamespace = 'app'::regnamespace ORDER BY 1`),
    views: await q(`SELECT c.relname || ':' || c.relkind::text || ':' || pg_get_viewdef(c.oid) FROM pg_class c WHERE c.relnamespace = 'app'::regnamespace AND c.relkind IN ('v', 'm') ORDER BY c.relname`),
    triggers: await q(`SELECT pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text FROM pg_trigger t WHERE t.tgrelid = 'app.docs'::regclass AND NOT t.tgisinternal ORDER BY t.tgname`),
    rules: await q(`SELECT pg_get_ruledef(r.oid) FROM pg_rewrite r WHERE r.ev_class = 'app.docs'::regclass ORDER BY r.rulename`),
    policies: await q(`SELECT policyname || ':' || cmd || ':' || roles::text || ':' || qual FROM pg_policies WHERE schemaname = 'app' ORDER BY 1`),
    partitionTriggers: await q(`SELECT c.relname || ':' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgrelid IN ('app.events'::regclass, 'app.events_2026'::regclass) AND NOT t.tgisinternal AND left(t.tgname, 4) <> 'dts_' ORDER BY 1`),
    rls: await q(`SELECT relrowsecurity::text FROM pg_class WHERE oid = 'app.docs'::regclass`),
  };
}

describe('views, routines, triggers, rules and policies', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  const status = () => temporal.workflow.getHandle(TASK).query(statusQuery);
  const ddlAfter = (n: number) => waitFor(`${n} DDL statements in status`, async () => {
    const ddl = (await status()).incremental?.ddl;
    return ddl && ddl.applied + Object.values(ddl.refusedBy).reduce((a, b) => a + b, 0) >= n && ddl;
  }, 60_000, 250);

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(SOURCE);
    temporal = await temporalClient();
  });
  after(async () => {
    await cs?.close();
  });

  it('the precheck lists by name what schema sync will not create, with the reason', async () => {
    const config = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    const spec = parseTaskSpec({ name: TASK, source: { url: cs.pg.source.url() }, destination: { url: cs.pg.destination.url() }, objects: [{ schema: 'app' }] });
    const { report } = await runPrecheck(spec, config(cs.pg.source.port), config(cs.pg.destination.port), 'dts_sync_nontable_precheck');
    const item = report.results.find((r) => r.id === 'non-table-objects');
    assert.ok(item, `non-table-objects in ${report.results.map((r) => r.id).join(', ')}`);
    assert.equal(item.passed, false);
    assert.equal(item.level, 'warn');
    assert.match(item.message, /function app\.definer\(\): SECURITY DEFINER/);
    assert.match(item.message, /trigger docs_always on app\.docs: ENABLE ALWAYS/);
    assert.match(item.message, /app\.doc_slugs/);
    assert.doesNotMatch(item.message, /docs_search|doc_titles|docs_slug|join_text|archive/);
  });

  it('schema sync creates the supported objects after the data, inert while pg-dts applies rows', async () => {
    startWorker(WORKER_ENV);
    await temporal.workflow.start('syncTask', {
      taskQueue: 'pg-dts', workflowId: TASK,
      args: [clusterSpec(cs.pg, TASK, { objects: [{ schema: 'app' }], precheck: { ignoreWarnings: ['non-table-objects'] } })],
    });
    await waitFor('task streaming', async () => (await status()).phase === 'incremental', 180_000, 200);
    const src = await definitions(cs.src);
    const dst = await definitions(cs.dst);
    assert.deepEqual(dst.functions, src.functions.filter((f) => !/definer\(\)/.test(f)));
    assert.deepEqual(dst.aggregates, src.aggregates);
    assert.deepEqual(dst.views, src.views);
    assert.deepEqual(dst.triggers, src.triggers.filter((t) => !/docs_always/.test(t)));
    assert.deepEqual(dst.rules, src.rules);
    assert.deepEqual(dst.policies, src.policies);
    assert.equal(src.partitionTriggers.length, 3, 'the parent\'s trigger, its clone on the partition, the partition\'s own');
    assert.deepEqual(dst.partitionTriggers, src.partitionTriggers);
    assert.deepEqual(dst.rls, ['true']);
    // The row no trigger touched on the source keeps its value: the copy did not run the destination's triggers.
    assert.equal((await cs.dst.query(`SELECT search::text FROM app.docs WHERE id = 100`)).rows[0].search, `'fromsource'`);
    // Populated (its query calls only built-ins) / not populated (it calls app.slugify).
    assert.equal((await cs.dst.query(`SELECT n FROM app.doc_counts`)).rows[0].n, '21');
    assert.equal((await cs.dst.query(`SELECT relispopulated FROM pg_class WHERE oid = 'app.doc_slugs'::regclass`)).rows[0].relispopulated, false);
    assert.equal((await cs.dst.query(`SELECT app.join_text(title ORDER BY id) AS j FROM app.docs WHERE id <= 2`)).rows[0].j, 'Doc 1,Doc 2');

    // While streaming: a row written on the source with a search value of its own keeps it on the destination.
    await cs.src.query(`SET session_replication_role = replica; INSERT INTO app.docs (id, title, body, search, slug) VALUES (101, 'Streamed', 'y', 'streamed'::tsvector, 's'); RESET session_replication_role`);
    await cs.src.query(`INSERT INTO app.docs (id, title, body) VALUES (102, 'Hello World', 'z')`);
    await waitForConvergence(cs.src, cs.dst, TABLES, 60_000);
    assert.equal((await cs.dst.query(`SELECT search::text FROM app.docs WHERE id = 101`)).rows[0].search, `'streamed'`);
  });

  it('after cutover the triggers fire on the destination (the NOT NULL column is filled)', async () => {
    await cs.dst.query(`BEGIN; INSERT INTO app.docs (id, title, body) VALUES (9000, 'Cut Over', 'after')`);
    try {
      const row = (await cs.dst.query(`SELECT slug, search::text AS search FROM app.docs WHERE id = 9000`)).rows[0];
      assert.equal(row.slug, 'cut-over');
      assert.match(row.search, /'cut'/);
    } finally {
      await cs.dst.query('ROLLBACK');
    }
  });

  it('replicates CREATE OR REPLACE VIEW / FUNCTION, CREATE TRIGGER, DROP VIEW and REFRESH MATERIALIZED VIEW', async () => {
    const before = await ddlAfter(0);
    const seen = before.applied + Object.values(before.refusedBy).reduce((a, b) => a + b, 0);
    await cs.src.query(`DROP VIEW app.old_view`);
    await cs.src.query(`CREATE OR REPLACE VIEW app.doc_titles AS SELECT id, upper(title) AS t, length(title) AS len FROM app.docs`);
    await cs.src.query(`CREATE OR REPLACE FUNCTION app.slugify(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'v2-' || lower(t) $$`);
    await cs.src.query(`CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.body := coalesce(NEW.body, '') || '!'; RETURN NEW; END $$`);
    await cs.src.query(`CREATE TRIGGER docs_touch BEFORE UPDATE ON app.docs FOR EACH ROW EXECUTE FUNCTION app.touch()`);
    await cs.src.query(`INSERT INTO app.docs (id, title, body) SELECT g, 'More ' || g, 'm' FROM generate_series(200, 204) g`);
    await cs.src.query(`REFRESH MATERIALIZED VIEW app.doc_counts`);
    const ddl = await ddlAfter(seen + 6);
    assert.deepEqual(ddl.refusedBy, before.refusedBy, `refused: ${JSON.stringify(ddl.recent.filter((e) => e.outcome !== 'applied'))}`);
    assert.equal(ddl.applied, before.applied + 6);
    await waitForConvergence(cs.src, cs.dst, TABLES, 60_000);
    const src = await definitions(cs.src);
    const dst = await definitions(cs.dst);
    assert.deepEqual(dst.functions, src.functions.filter((f) => !/definer\(\)/.test(f)));
    assert.deepEqual(dst.views, src.views);
    assert.deepEqual(dst.triggers, src.triggers.filter((t) => !/docs_always/.test(t)));
    assert.equal((await cs.dst.query(`SELECT n FROM app.doc_counts`)).rows[0].n, (await cs.src.query(`SELECT n FROM app.doc_counts`)).rows[0].n);
    // The new trigger is inert for replicated updates: the destination takes the source's body as is.
    await cs.src.query(`UPDATE app.docs SET title = 'Changed' WHERE id = 1`);
    await waitForConvergence(cs.src, cs.dst, TABLES, 60_000);
  });
});
