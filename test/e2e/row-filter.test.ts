// Row filters through a real task: the full sync copies only matching rows (split tables included: filter
// AND key range), and incremental sync follows the publication's pre-image rule — an update leaving the
// filter deletes the row on the destination, one entering it inserts the whole row. Also the source-side
// check (checkRowFilter) against a real server, and the function/type lists against a real catalog.
// The same scenario runs from a PostgreSQL 13 source, which has no publication row filters: there the
// task evaluates the filter itself (docs/row-filters.md) and must reach the same rows.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { BUILTIN_TYPES, checkRowFilter, IMMUTABLE_FUNCTIONS, MIXED_VOLATILITY_FUNCTIONS } from '../../src/catalog/row-filter';
import { statusQuery } from '../../workflows/messages';
import { tableChecksum, waitFor } from '../harness/checksum';
import { installVersion } from '../../src/pgcluster/versions';
import { openClusterSessions, type ClusterPair, type ClusterSessions, type PairVersions } from '../harness/clusters';
import { WORKER_ENV } from '../harness/sample-fixture';
import { clusterSpec, startTask } from '../harness/task-spec-file';
import { startWorker, temporalClient } from '../harness/temporal';

const TICKETS_FILTER = "lower(status) = 'open'";
const EVENTS_FILTER = 'id % 3 = 0 AND kind <> 2';
const LOG_FILTER = 'level > 1';

/** Ordered checksum of the source rows matching `filter`, to compare with the destination's whole table. */
const filtered = (db: PgClient, table: string, filter: string) => tableChecksum(db, `(SELECT * FROM ${table} WHERE ${filter})`, 'id');

async function ticket(db: PgClient, id: number): Promise<Record<string, unknown> | undefined> {
  return (await db.query('SELECT id, status, priority, note FROM rf.tickets WHERE id = $1', [id])).rows[0];
}

/** Sources with publication row filters (17) and without (13: the task evaluates the filter itself). */
const SCENARIOS: { name: string; versions: PairVersions }[] = [
  { name: 'PostgreSQL 17 source (publication row filters)', versions: {} },
  { name: 'PostgreSQL 13 source (filter evaluated by the task)', versions: { source: 13, destination: 17 } },
  { name: 'PostgreSQL 11 source (filter evaluated by the task)', versions: { source: 11, destination: 17 } },
];

for (const scenario of SCENARIOS) describe(`row filters, ${scenario.name}`, () => {
  const suffix = scenario.versions.source ? `-${scenario.versions.source}` : '';
  let fx: ClusterSessions;
  let pg: ClusterPair;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;

  before(async () => {
    if (scenario.versions.source) installVersion(scenario.versions.source);
    fx = await openClusterSessions(scenario.versions);
    ({ pg, src, dst } = fx);
    await src.query(`
      CREATE SCHEMA rf;
      CREATE TABLE rf.tickets (id int PRIMARY KEY, status text NOT NULL, priority int NOT NULL, note text);
      INSERT INTO rf.tickets SELECT g, (ARRAY['Open', 'closed', 'OPEN', 'pending'])[g % 4 + 1], g % 5, 'n' || g FROM generate_series(1, 400) g;
      CREATE TABLE rf.events (id bigint PRIMARY KEY, kind int NOT NULL, payload text NOT NULL);
      INSERT INTO rf.events SELECT g, g % 5, md5(g::text) FROM generate_series(1, 6000) g;
      ANALYZE rf.events;
      CREATE TABLE rf.log (id int PRIMARY KEY, level int NOT NULL);
      INSERT INTO rf.log SELECT g, g % 3 FROM generate_series(1, 30) g;
      -- The filter reads a non-key column, so pgoutput needs the whole old row of every UPDATE/DELETE
      -- (without it PostgreSQL refuses UPDATEs on the source once the publication has the filter). The
      -- task sets REPLICA IDENTITY FULL itself once the lead's start-up code lands; until then, here.
      ALTER TABLE rf.tickets REPLICA IDENTITY FULL;
      ALTER TABLE rf.events REPLICA IDENTITY FULL;
      ALTER TABLE rf.log REPLICA IDENTITY FULL;`);
    startWorker(WORKER_ENV);
    temporal = await temporalClient();
  });
  after(() => fx?.close());

  it('copies only matching rows and applies the pre-image rule to inserts, updates and deletes', async () => {
    const task = `row-filter${suffix}`;
    startTask(clusterSpec(pg, task, {
      objects: [{ schema: 'rf', tables: [{ name: 'tickets', where: TICKETS_FILTER }, { name: 'events', where: EVENTS_FILTER }, { name: 'log', where: LOG_FILTER }] }],
      full: { chunkRows: 1000 }, // events is split: each chunk reads WHERE (filter) AND <key range>
    }));
    const handle = temporal.workflow.getHandle(task);
    await waitFor('incremental phase', async () => (await handle.query(statusQuery)).phase === 'incremental', 180_000, 500);

    // Full sync: exactly the matching rows (200 of 400 tickets: 'Open' and 'OPEN'; 1 600 of 6 000 events).
    assert.deepEqual(await tableChecksum(dst, 'rf.tickets', 'id'), await filtered(src, 'rf.tickets', TICKETS_FILTER));
    assert.deepEqual(await tableChecksum(dst, 'rf.events', 'id'), await filtered(src, 'rf.events', EVENTS_FILTER));
    assert.equal((await tableChecksum(dst, 'rf.tickets', 'id')).rows, 200);
    assert.equal((await tableChecksum(dst, 'rf.events', 'id')).rows, 1600);
    const events = (await handle.query(statusQuery)).tables.find((t) => t.source === 'rf.events');
    assert.ok((events?.chunks ?? 0) >= 4, `events split into ${events?.chunks} chunks`);

    // Ids by their starting state: status of id g is ['Open', 'closed', 'OPEN', 'pending'][g % 4].
    const inside = 4; // Open
    const leaving = 6; // OPEN
    const entering = 5; // closed
    const deletedMatching = 12; // Open
    const deletedOther = 9; // closed
    const staysOutside = 7; // pending
    const movedInside = 8; // Open: key change, stays inside
    const movedOut = 16; // Open: key change and leaves
    const movedIn = 15; // pending: key change and enters
    const entersWithToast = 11; // pending: a stored-out-of-line note, unchanged by the UPDATE that enters
    const bigNote = `(SELECT string_agg(md5(g::text), '') FROM generate_series(1, 400) g)`;
    assert.ok(await ticket(dst, entering) === undefined && (await ticket(dst, leaving)) !== undefined);
    // Changed while outside the filter: not replicated, but must arrive with the row when it enters.
    await src.query(`UPDATE rf.tickets SET note = 'changed while outside', priority = 42 WHERE id = ${entering}`);
    await src.query(`UPDATE rf.tickets SET note = ${bigNote} WHERE id = ${entersWithToast}`);
    await src.query(`
      INSERT INTO rf.tickets VALUES (1001, 'open', 1, 'new matching'), (1002, 'closed', 1, 'new other');
      UPDATE rf.tickets SET note = 'still inside', status = 'Open' WHERE id = ${inside};
      UPDATE rf.tickets SET status = 'closed' WHERE id = ${leaving};
      UPDATE rf.tickets SET status = 'OpEn' WHERE id = ${entering};
      DELETE FROM rf.tickets WHERE id IN (${deletedMatching}, ${deletedOther});
      UPDATE rf.tickets SET note = 'outside, unseen' WHERE id = ${staysOutside};
      UPDATE rf.tickets SET id = 2008 WHERE id = ${movedInside};
      UPDATE rf.tickets SET id = 2016, status = 'closed' WHERE id = ${movedOut};
      UPDATE rf.tickets SET id = 2015, status = 'open' WHERE id = ${movedIn};
      UPDATE rf.tickets SET status = 'open' WHERE id = ${entersWithToast};
      TRUNCATE rf.log;
      INSERT INTO rf.log VALUES (1, 2), (2, 1), (3, 5);
      UPDATE rf.log SET level = 0 WHERE id = 3;
      UPDATE rf.log SET level = 3 WHERE id = 2;
      INSERT INTO rf.events VALUES (6003, 1, 'matching'), (6004, 1, 'other'), (6006, 2, 'kind 2');`);
    await src.query(`INSERT INTO rf.tickets VALUES (1003, 'closed', 1, 'marker')`); // commits last
    await src.query(`UPDATE rf.tickets SET status = 'open' WHERE id = 1003`);
    await waitFor('marker replicated', async () => (await ticket(dst, 1003)) !== undefined, 60_000, 250);

    assert.deepEqual(await ticket(dst, 1001), { id: 1001, status: 'open', priority: 1, note: 'new matching' }, 'insert matching');
    assert.equal(await ticket(dst, 1002), undefined, 'insert not matching');
    assert.deepEqual(await ticket(dst, inside), { id: inside, status: 'Open', priority: inside % 5, note: 'still inside' }, 'update staying inside');
    assert.equal(await ticket(dst, leaving), undefined, 'update leaving the filter is a delete');
    assert.deepEqual(await ticket(dst, entering), { id: entering, status: 'OpEn', priority: 42, note: 'changed while outside' }, 'update entering is an insert of the whole row');
    assert.equal(await ticket(dst, deletedMatching), undefined, 'delete of a matching row');
    assert.equal(await ticket(dst, deletedOther), undefined);
    assert.equal(await ticket(dst, staysOutside), undefined, 'an update outside the filter stays outside');
    assert.equal(await ticket(dst, movedInside), undefined, 'key change: the old key is gone');
    assert.deepEqual(await ticket(dst, 2008), { id: 2008, status: 'Open', priority: movedInside % 5, note: `n${movedInside}` }, 'key change inside the filter');
    assert.equal(await ticket(dst, movedOut), undefined, 'key change leaving the filter');
    assert.equal(await ticket(dst, 2016), undefined, 'key change leaving the filter');
    assert.equal((await ticket(dst, entersWithToast))?.note, (await src.query(`SELECT ${bigNote} AS n`)).rows[0].n, 'entering with an unchanged TOAST value: the whole row');
    assert.deepEqual(await ticket(dst, 2015), { id: 2015, status: 'open', priority: movedIn % 5, note: `n${movedIn}` }, 'key change entering the filter');
    assert.deepEqual((await dst.query('SELECT id, level FROM rf.log ORDER BY id')).rows, [{ id: 1, level: 2 }, { id: 2, level: 3 }], 'truncate, then the pre-image rule');
    assert.deepEqual(await tableChecksum(dst, 'rf.tickets', 'id'), await filtered(src, 'rf.tickets', TICKETS_FILTER));
    assert.deepEqual(await tableChecksum(dst, 'rf.events', 'id'), await filtered(src, 'rf.events', EVENTS_FILTER));
    assert.deepEqual(await tableChecksum(dst, 'rf.log', 'id'), await filtered(src, 'rf.log', LOG_FILTER));
    const s = await handle.query(statusQuery);
    assert.equal(s.incremental?.missingRows ?? 0, 0, 'no delete or update was sent for a row the destination does not have');

    await handle.signal('release');
    await handle.result();
  });

  // The parser check does not depend on the source's version.
  if (!scenario.versions.source) it('fails a task whose filter is not allowed, naming the table and the reason, without retrying', async () => {
    const task = 'row-filter-bad';
    startTask(clusterSpec(pg, task, {
      syncTypes: ['full'],
      conflictingTables: 'ignore', // the destination tables exist from the test above
      objects: [{ schema: 'rf', tables: [{ name: 'tickets', where: 'random() > 0.5' }] }],
    }));
    const started = Date.now();
    const failure = await temporal.workflow.getHandle(task).result().then(() => undefined, (err: unknown) => err);
    const messages: string[] = [];
    for (let e = failure as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) messages.push(e.message ?? '');
    assert.ok(failure, 'the task fails');
    assert.match(messages.join(' | '), /rf\.tickets.*random\(\) is not immutable/);
    assert.ok(Date.now() - started < 60_000, 'failed at once, not after retries');
    assert.deepEqual((await src.query('SELECT pubname FROM pg_publication')).rows, [], 'nothing left on the source');
  });
});

for (const scenario of SCENARIOS) describe(`checkRowFilter against a real source, ${scenario.name}`, () => {
  const before15 = scenario.versions.source !== undefined;
  let fx: ClusterSessions;
  let src: PgClient;
  const table = { schema: 'chk', name: 'orders' };

  before(async () => {
    if (scenario.versions.source) installVersion(scenario.versions.source);
    fx = await openClusterSessions(scenario.versions);
    src = fx.src;
    await src.query(`
      CREATE SCHEMA chk;
      CREATE TYPE chk.mood AS ENUM ('happy', 'sad');
      CREATE FUNCTION chk.is_big(n int) RETURNS bool IMMUTABLE LANGUAGE sql AS 'SELECT n > 100';
      CREATE TABLE chk.orders (id int PRIMARY KEY, status text, amount int, placed date, placed_at timestamptz, mood chk.mood)`);
  });
  after(() => fx?.close());

  it('accepts what both the parser and the server accept', async () => {
    for (const expr of [TICKETS_FILTER, 'amount BETWEEN 1 AND 10 AND id % 2 = 0', "extract(year FROM placed) = 2024", "placed_at >= '2024-01-01 00:00:00+00'"]) {
      assert.equal(await checkRowFilter(src, table, expr), null, expr);
    }
  });

  it("reports the parser's reason and the server's exact verdict", async () => {
    assert.match((await checkRowFilter(src, table, 'now() > placed_at'))!, /now\(\) is not immutable/);
    assert.match((await checkRowFilter(src, table, 'x) OR (1=1'))!, /syntax error/);
    assert.match((await checkRowFilter(src, table, 'nope > 1'))!, /unknown column "nope"/);
    // Accepted by the parser, which cannot see types or overloads; the server can.
    // Before 15 the server judges the filter as an index predicate (the task evaluates it on the source,
    // where a user-defined type is no harm).
    assert.match((await checkRowFilter(src, table, "date_trunc('day', placed_at) > '2024-01-01'"))!, before15
      ? /source server rejects it: functions in index predicate must be marked IMMUTABLE/
      : /source server rejects it: invalid publication WHERE expression \(User-defined or built-in mutable functions/);
    assert.match((await checkRowFilter(src, table, 'placed_at::date > DATE \'2024-01-01\''))!, /source server rejects it/, 'a cast that reads the time zone');
    if (before15) assert.equal(await checkRowFilter(src, table, "mood = 'happy'"), null);
    else assert.match((await checkRowFilter(src, table, "mood = 'happy'"))!, /User-defined types are not allowed/);
    assert.match((await checkRowFilter(src, table, 'coalesce(amount, 1)'))!, /must be type boolean, not type integer/);
    assert.match((await checkRowFilter(src, table, 'is_big(amount)'))!, /is_big\(\) is not one of the immutable built-in functions/);
    assert.match((await checkRowFilter(src, { schema: 'chk', name: 'missing' }, 'id > 1'))!, /not found/);
  });

  it('leaves nothing behind and no transaction open', async () => {
    await checkRowFilter(src, table, 'id > 1');
    await checkRowFilter(src, table, "mood = 'happy'");
    await checkRowFilter(src, table, 'coalesce(amount, 1)');
    assert.equal((await src.query('SELECT count(*)::int AS n FROM pg_publication')).rows[0].n, 0);
    assert.equal((await src.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'pg_dts_filter_check%'`)).rows[0].n, 0);
    assert.equal((await src.query(`SELECT now() = statement_timestamp() AS idle`)).rows[0].idle, true, 'the session is outside a transaction');
  });

  // The lists hold functions of the newest majors (regexp_like is 15+): checked against this one's catalog.
  if (!before15) it('lists only immutable plain functions and built-in types (checked against this catalog)', async () => {
    const { rows } = await src.query<{ name: string; volatility: string[]; plain: boolean }>(
      `SELECT proname AS name, array_agg(DISTINCT provolatile::text ORDER BY provolatile::text) AS volatility, bool_and(prokind = 'f' AND NOT proretset) AS plain
         FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace AND proname = ANY ($1) GROUP BY proname`,
      [[...IMMUTABLE_FUNCTIONS, ...MIXED_VOLATILITY_FUNCTIONS]],
    );
    const byName = new Map(rows.map((r) => [r.name, r]));
    for (const f of IMMUTABLE_FUNCTIONS) {
      assert.deepEqual(byName.get(f) && { volatility: byName.get(f)!.volatility, plain: byName.get(f)!.plain }, { volatility: ['i'], plain: true }, f);
    }
    for (const f of MIXED_VOLATILITY_FUNCTIONS) {
      assert.deepEqual(byName.get(f) && { volatility: byName.get(f)!.volatility, plain: byName.get(f)!.plain }, { volatility: ['i', 's'], plain: true }, f);
    }
    const types = await src.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_type WHERE typnamespace = 'pg_catalog'::regnamespace AND oid < 16384 AND typname = ANY ($1)`,
      [[...BUILTIN_TYPES]],
    );
    assert.equal(types.rows[0]!.n, BUILTIN_TYPES.size);
  });
});
