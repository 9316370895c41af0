// Incremental sync semantics through a real task (Temporal dev server, worker process, PostgreSQL 17):
// every built-in type family byte-exact, key changes, unchanged TOAST, TRUNCATE, identity and generated
// columns, hot rows, unique-constraint reorder hazards and one large transaction. One task streams the
// `sem` schema; each case writes to its own tables after the task reached `incremental` and waits until
// the destination holds exactly the source's rows (ordered row text, compared by checksum).
import assert from 'node:assert/strict';
import { clusterSpec } from '../harness/task-spec-file';
import { after, before, describe, it } from 'node:test';
import { escapeLiteral, type Client as PgClient } from 'pg';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { statusQuery, WORKFLOW_TYPE } from '../../workflows/messages';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { onCleanup, releaseAll } from '../harness/cleanup';
import { startClusterPair, TEST_PASSWORD } from '../harness/clusters';
import { startWorker, temporalClient, type WorkerProcess } from '../harness/temporal';

const TASK = 'e2e-incremental-semantics';
const TASK_QUEUE = 'pg-dts-incremental-semantics';

/**
 * One column per built-in type family, with the text input of the values it takes. Row variant k holds
 * values[k % values.length] in every column, so each value appears in some row.
 */
const TYPE_COLUMNS: [name: string, type: string, values: string[]][] = [
  ['c_int2', 'int2', ['-32768', '32767', '0']],
  ['c_int4', 'int4', ['-2147483648', '2147483647', '42']],
  ['c_int8', 'int8', ['-9223372036854775808', '9223372036854775807', '0']],
  ['c_numeric', 'numeric', ['NaN', 'Infinity', '-Infinity', '0.000000000000000000001', '-123456789012345678901234567890.123456789', '1.10']],
  ['c_numeric_scaled', 'numeric(12,4)', ['12.3', '-0.0001', '99999999.9999']],
  ['c_float4', 'float4', ['NaN', 'Infinity', '-Infinity', '0.1', '-0', '3.4028235e+38', '1.4e-45']],
  ['c_float8', 'float8', ['NaN', 'Infinity', '-Infinity', '0.1', '-0', '5e-324', '0.30000000000000004', '1.7976931348623157e+308']],
  ['c_bool', 'bool', ['true', 'false']],
  ['c_text', 'text', ['plain', "quote ' backslash \\ tab\tnewline\ncr\r end", 'Grüße 🐘 中文', '', 'NULL']],
  ['c_varchar', 'varchar(12)', ['abc', 'twelve chars', '', 'é🐘']],
  ['c_char', 'char(6)', ['ab', 'abcdef', '', 'é']],
  ['c_qchar', '"char"', ['a', 'Z', '\\351']],
  ['c_name', 'name', ['some_name', 'Mixed Case Name', 'x'.repeat(63)]],
  ['c_bytea', 'bytea', ['\\x00', '\\x00ff7f80deadbeef00', '\\x', '\\xc3a9000a0d5c']],
  ['c_date', 'date', ['infinity', '-infinity', '2024-02-29', '0044-03-15 BC', '5874897-12-31']],
  ['c_time', 'time', ['00:00:00', '23:59:59.999999', '24:00:00', '12:34:56.5']],
  ['c_timetz', 'timetz', ['12:34:56.789+05:30', '00:00:00-15:59', '23:59:59+15:59', '04:05:06.000001+00']],
  ['c_timestamp', 'timestamp', ['infinity', '-infinity', '2000-01-01 00:00:00', '1999-12-31 23:59:59.999999', '0044-03-15 12:00:00 BC', '294276-12-31 23:59:59.999999']],
  ['c_timestamptz', 'timestamptz', ['infinity', '-infinity', '2024-06-30 23:59:59.123456+09', '1970-01-01 00:00:00+00', '4713-01-01 00:00:00+00 BC']],
  ['c_interval', 'interval', ['1 year 2 mons 3 days 04:05:06.789', '-1 days +02:00:00', '0', '-178000000 years', 'infinity', '-infinity', '00:00:00.000001']],
  ['c_uuid', 'uuid', ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff']],
  ['c_json', 'json', [
    '{"b": 1,   "a": [1, 2,  {"z": null}], "b": 2}', '[]', '"str"', 'null',
    '{\n  "k" :\t"v",\n  "esc": "\\u00e9 \\" \\\\"\n}', '  1.500000000000000000001  ',
  ]],
  ['c_jsonb', 'jsonb', ['{"b": 1, "a": [1, 2.50, {"z": null}]}', '[]', '"str"', 'null', '{"esc": "\\u00e9", "num": 1e3, "big": 123456789012345678901234567890.5}', '{}']],
  ['c_xml', 'xml', ['<root a="1"><child>text &amp; more</child></root>', 'plain text content', '<a/><b>two roots</b>', '<doc xmlns="urn:x"><é/></doc>']],
  ['c_money', 'money', ['1234.56', '-0.01', '92233720368547758.07', '-92233720368547758.08', '0']],
  ['c_bit', 'bit(8)', ['10101010', '00000000', '11111111']],
  ['c_varbit', 'varbit(16)', ['', '1', '1111000011110000']],
  ['c_int4_arr', 'int4[]', ['{1,NULL,3}', '{}', '{{1,2},{3,4}}', '{NULL}', '[0:2]={7,8,9}', '{-2147483648,2147483647}']],
  ['c_text_arr', 'text[]', ['{"a b","with \\"quote\\" and \\\\ backslash",NULL,"NULL",""}', '{{a,b},{c,d}}', '{}', '{"é","🐘",", comma","{brace}"}']],
  ['c_int4_2d', 'int4[][]', ['{{1,2,3},{4,5,6}}', '{{NULL,1},{2,NULL}}', '[1:2][5:6]={{1,2},{3,4}}']],
  ['c_int4range', 'int4range', ['[1,10)', 'empty', '(,5]', '[3,)']],
  ['c_tstzrange', 'tstzrange', ['[2024-01-01 00:00:00+00,2024-12-31 23:59:59.5+02)', '(-infinity,infinity)', 'empty', '[2000-01-01 00:00:00+00,)']],
  ['c_numrange', 'numrange', ['[0.1,0.20]', '(,)', 'empty', '[-1.5,2)']],
  ['c_multirange', 'int4multirange', ['{[1,3),[5,8)}', '{}', '{[1,2], [2,5)}']],
  ['c_enum', 'sem.mood', ['sad', 'ok', 'happy']],
  ['c_domain', 'sem.positive_int', ['1', '2147483647', '7']],
  ['c_composite', 'sem.pair', ['(plain,1.50)', '("with, comma and ""quote""",-2.00)', '(,)', '("",0)']],
  ['c_point', 'point', ['(1.5,-2.25)', '(0.1,-0)', '(1e+300,-1e-300)']],
  ['c_line', 'line', ['{1,-1,0}', '{0,1,-2.5}']],
  ['c_lseg', 'lseg', ['[(0,0),(1,1)]', '[(-1.5,2),(3,-4)]']],
  ['c_box', 'box', ['(1,1),(0,0)', '(3,4),(-1,-2)']],
  ['c_path', 'path', ['[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(2,0))']],
  ['c_polygon', 'polygon', ['((0,0),(1,1),(1,0))', '((0.5,0.5),(2,3),(4,-1),(0,0))']],
  ['c_circle', 'circle', ['<(0,0),1.5>', '<(-1,2.5),0.1>']],
  ['c_inet', 'inet', ['192.168.0.1/24', '::1', '2001:db8::1/64', '10.0.0.1', '::ffff:1.2.3.4']],
  ['c_cidr', 'cidr', ['10.0.0.0/8', '2001:db8::/32', '192.168.1.128/25']],
  ['c_macaddr', 'macaddr', ['08:00:2b:01:02:03', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00']],
  ['c_macaddr8', 'macaddr8', ['08:00:2b:01:02:03:04:05', '08:00:2b:ff:fe:01:02:03']],
  ['c_tsvector', 'tsvector', ['a:1A fat:2B,4C cat:5D', "'with space':1 'it''s':2", '']],
  ['c_tsquery', 'tsquery', ['fat & (rat | !cat) <-> mouse', 'supernova:*A & !x', "'with space'"]],
  ['c_oid', 'oid', ['0', '4294967295', '16384']],
  ['c_pg_lsn', 'pg_lsn', ['0/0', 'FFFFFFFF/FFFFFFFF', '16/B374D848']],
];
const VARIANTS = Math.max(...TYPE_COLUMNS.map(([, , values]) => values.length));

const SCHEMA_DDL = `
CREATE SCHEMA sem;
CREATE TYPE sem.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN sem.positive_int AS integer CHECK (VALUE > 0);
CREATE TYPE sem.pair AS (label text, amount numeric(10,2));
CREATE TABLE sem.types (id int PRIMARY KEY, ${TYPE_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')});

CREATE TABLE sem.pk_change (id int PRIMARY KEY, v text NOT NULL);
CREATE TABLE sem.pk_composite (region text, seq int, v text, PRIMARY KEY (region, seq));

CREATE TABLE sem.toasted (id int PRIMARY KEY, counter int NOT NULL DEFAULT 0, big text, note text);
ALTER TABLE sem.toasted ALTER COLUMN big SET STORAGE EXTERNAL;

CREATE TABLE sem.trunc_a (id int PRIMARY KEY, v text);
CREATE TABLE sem.trunc_b (id int PRIMARY KEY, v text);
CREATE TABLE sem.trunc_ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);

CREATE TABLE sem.generated (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ref int GENERATED BY DEFAULT AS IDENTITY (START WITH 100),
  name text NOT NULL,
  price numeric(10,2) NOT NULL,
  qty int NOT NULL,
  total numeric GENERATED ALWAYS AS (price * qty) STORED,
  label text GENERATED ALWAYS AS ('item-' || lower(name)) STORED
);

CREATE TABLE sem.churn (id int PRIMARY KEY, v int NOT NULL, note text);

CREATE TABLE sem.uniq_email (id int PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE sem.uniq_swap (id int PRIMARY KEY, code text UNIQUE);

CREATE TABLE sem.bulk (id int PRIMARY KEY, v int NOT NULL, pad text);
`;

/** Rows present before the task starts: they reach the destination through the full sync. */
const SEED_SQL = `
INSERT INTO sem.pk_change SELECT g, 'row ' || g FROM generate_series(1, 10) g;
INSERT INTO sem.pk_composite SELECT r, g, r || '-' || g FROM unnest(ARRAY['eu', 'us']) r, generate_series(1, 5) g;
INSERT INTO sem.toasted (id, big, note) VALUES (1, (SELECT string_agg(md5('one' || i), '') FROM generate_series(1, 400) i), 'seeded');
INSERT INTO sem.trunc_a SELECT g, 'a' || g FROM generate_series(1, 20) g;
INSERT INTO sem.trunc_b SELECT g, 'b' || g FROM generate_series(1, 20) g;
INSERT INTO sem.trunc_ident (v) SELECT 'i' || g FROM generate_series(1, 20) g;
INSERT INTO sem.generated (name, price, qty) SELECT 'Seed ' || g, g * 1.25, g FROM generate_series(1, 5) g;
INSERT INTO sem.churn VALUES (5, 0, 'seeded');
INSERT INTO sem.uniq_email VALUES (1, 'x@example.com'), (2, 'y@example.com');
INSERT INTO sem.uniq_swap VALUES (1, 'A'), (2, 'B'), (3, 'C');
`;

/** Every table of the schema, with the ORDER BY that makes its checksum deterministic. */
const TABLES: Record<string, string> = {
  'sem.types': 'id',
  'sem.pk_change': 'id',
  'sem.pk_composite': 'region, seq',
  'sem.toasted': 'id',
  'sem.trunc_a': 'id',
  'sem.trunc_b': 'id',
  'sem.trunc_ident': 'id',
  'sem.generated': 'id',
  'sem.churn': 'id',
  'sem.uniq_email': 'id',
  'sem.uniq_swap': 'id',
  'sem.bulk': 'id',
};
const only = (...names: string[]): Record<string, string> => Object.fromEntries(names.map((n) => [n, TABLES[n]]));

const sqlValue = (v: string | null): string => (v === null ? 'NULL' : escapeLiteral(v));
/** Row variant k of sem.types (null: every column NULL), as column -> SQL literal. */
function typeRow(k: number | null): [string, string][] {
  return TYPE_COLUMNS.map(([name, , values]) => [name, k === null ? 'NULL' : sqlValue(values[k % values.length])]);
}
function insertTypeRow(id: number, k: number | null): string {
  const row = typeRow(k);
  return `INSERT INTO sem.types (id, ${row.map(([c]) => c).join(', ')}) VALUES (${id}, ${row.map(([, v]) => v).join(', ')})`;
}
function updateTypeRow(id: number, k: number | null): string {
  return `UPDATE sem.types SET ${typeRow(k).map(([c, v]) => `${c} = ${v}`).join(', ')} WHERE id = ${id}`;
}

/** 12 800 bytes of md5 hex: incompressible enough, and STORAGE EXTERNAL keeps it out of line anyway. */
const bigValue = (seed: string): string => `(SELECT string_agg(md5('${seed}' || i), '') FROM generate_series(1, 400) i)`;

describe('incremental sync semantics (real task, worker process, PostgreSQL 17)', () => {
  let src: PgClient;
  let dst: PgClient;
  let worker: WorkerProcess;
  let temporal: Client;
  let task: WorkflowHandle;

  const status = () => task.query(statusQuery);

  async function inTransaction(statements: string[]): Promise<void> {
    await src.query('BEGIN');
    try {
      for (const s of statements) await src.query(s);
      await src.query('COMMIT');
    } catch (err) {
      await src.query('ROLLBACK');
      throw err;
    }
  }

  /** Per-column differences of sem.types, to say which type did not round-trip. */
  async function typeDifferences(): Promise<string[]> {
    const sql = `SELECT id, ${TYPE_COLUMNS.map(([c]) => `${c}::text AS ${c}`).join(', ')} FROM sem.types ORDER BY id`;
    const [a, b] = [(await src.query(sql)).rows, (await dst.query(sql)).rows];
    const out: string[] = [];
    const byId = new Map(b.map((r) => [r.id, r]));
    for (const r of a) {
      const d = byId.get(r.id);
      if (!d) {
        out.push(`id ${r.id}: missing on the destination`);
        continue;
      }
      for (const [c] of TYPE_COLUMNS) if (r[c] !== d[c]) out.push(`id ${r.id} ${c}: source ${JSON.stringify(r[c])} destination ${JSON.stringify(d[c])}`);
    }
    for (const d of b) if (!a.some((r) => r.id === d.id)) out.push(`id ${d.id}: extra on the destination`);
    return out;
  }

  /** Waits for convergence; on timeout adds what the worker logged about errors and what the task reports. */
  async function converge(tables: Record<string, string>, timeoutMs = 120_000): Promise<void> {
    try {
      await waitForConvergence(src, dst, tables, timeoutMs);
    } catch (err) {
      const log = worker.output().split('\n').filter((l) => /"level":(40|50|60)|error/i.test(l)).slice(-15).join('\n');
      const s = await status().catch(() => null);
      const extra = 'sem.types' in tables ? `\ntype differences:\n${(await typeDifferences()).slice(0, 40).join('\n')}` : '';
      throw new Error(`${(err as Error).message}${extra}\ntask: phase ${s?.phase} incremental ${JSON.stringify(s?.incremental)} lastError ${s?.lastError}\nworker log:\n${log}`);
    }
  }

  before(async () => {
    const pg = await startClusterPair();
    src = await pg.source.client();
    dst = await pg.destination.client();
    onCleanup(() => src.end());
    onCleanup(() => dst.end());
    await src.query(SCHEMA_DDL);
    await src.query(SEED_SQL);
    for (let k = 0; k < VARIANTS; k++) await src.query(insertTypeRow(k + 1, k));
    await src.query(insertTypeRow(VARIANTS + 1, null));

    worker = startWorker({ PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD }, TASK_QUEUE);
    temporal = await temporalClient();
    task = await temporal.workflow.start(WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: TASK,
      args: [clusterSpec(pg, TASK, { objects: [{ schema: 'sem' }] })],
    });
    onCleanup(() => task.terminate('test file finished').catch(() => undefined));
    await waitFor('incremental phase', async () => {
      const s = await status();
      if (s.phase === 'failed') throw new Error(`task failed: ${s.lastError}`);
      return s.phase === 'incremental';
    }, 180_000, 200);
  });
  after(releaseAll);

  it('1. every built-in type family round-trips byte-exact via full sync, INSERT and UPDATE', async () => {
    await converge(only('sem.types')); // the full sync's rows
    const s = await status();
    assert.equal(s.tables.find((t) => t.source === 'sem.types')?.rowsCopied, VARIANTS + 1);

    for (let k = 0; k < VARIANTS; k++) await src.query(insertTypeRow(101 + k, k));
    await src.query(insertTypeRow(101 + VARIANTS, null));
    // Every seeded row takes the next variant's values, so each value also arrives through an UPDATE.
    await inTransaction(Array.from({ length: VARIANTS }, (_, k) => updateTypeRow(k + 1, (k + 1) % VARIANTS)));
    await src.query(updateTypeRow(VARIANTS + 1, 0)); // all NULL -> values
    await src.query(updateTypeRow(101, null)); // values -> all NULL
    await src.query(`UPDATE sem.types SET c_bytea = '\\x0000ff', c_json = '{ "only":"json" }', c_numeric = 'NaN' WHERE id = 102`);
    await converge(only('sem.types'));

    const rows = await dst.query(`SELECT count(*)::int AS n FROM sem.types`);
    assert.equal(rows.rows[0].n, 2 * (VARIANTS + 1));
    const nulls = await dst.query(`SELECT count(*)::int AS n FROM sem.types t WHERE id = 101 AND num_nonnulls(t.*) = 1`);
    assert.equal(nulls.rows[0].n, 1, 'the all-NULL row stays all NULL');
    assert.deepEqual(await typeDifferences(), []);
  });

  it('2. UPDATEs that change the primary key, incl. a swap through a temporary key, and a composite key', async () => {
    await src.query(`UPDATE sem.pk_change SET id = id + 1000 WHERE id <= 3`);
    await src.query(`UPDATE sem.pk_change SET id = 50, v = 'moved' WHERE id = 4`);
    await inTransaction([
      `UPDATE sem.pk_change SET id = -1 WHERE id = 5`,
      `UPDATE sem.pk_change SET id = 5 WHERE id = 6`,
      `UPDATE sem.pk_change SET id = 6 WHERE id = -1`,
    ]);
    // The key a row leaves is taken by a new row in the same transaction.
    await inTransaction([`UPDATE sem.pk_change SET id = 70 WHERE id = 7`, `INSERT INTO sem.pk_change VALUES (7, 'new seven')`]);

    await src.query(`UPDATE sem.pk_composite SET region = 'apac' WHERE region = 'eu' AND seq = 1`);
    await src.query(`UPDATE sem.pk_composite SET seq = seq + 10 WHERE region = 'us'`);
    await inTransaction([
      `UPDATE sem.pk_composite SET region = 'tmp', seq = 0 WHERE region = 'eu' AND seq = 2`,
      `UPDATE sem.pk_composite SET seq = 2 WHERE region = 'eu' AND seq = 3`,
      `UPDATE sem.pk_composite SET region = 'eu', seq = 3 WHERE region = 'tmp' AND seq = 0`,
    ]);
    await src.query(`UPDATE sem.pk_composite SET v = 'changed' WHERE region = 'eu' AND seq = 4`);
    await src.query(`DELETE FROM sem.pk_composite WHERE region = 'eu' AND seq = 5`);
    await converge(only('sem.pk_change', 'sem.pk_composite'));

    const swapped = await dst.query(`SELECT id, v FROM sem.pk_change WHERE id IN (5, 6, 7, 70) ORDER BY id`);
    assert.deepEqual(swapped.rows, [{ id: 5, v: 'row 6' }, { id: 6, v: 'row 5' }, { id: 7, v: 'new seven' }, { id: 70, v: 'row 7' }]);
    const eu = await dst.query(`SELECT seq, v FROM sem.pk_composite WHERE region = 'eu' ORDER BY seq`);
    assert.deepEqual(eu.rows, [{ seq: 2, v: 'eu-3' }, { seq: 3, v: 'eu-2' }, { seq: 4, v: 'changed' }]);
  });

  it('3. an unchanged TOASTed value stays intact when other columns (or the key) change', async () => {
    const toast = await src.query(`SELECT reltoastrelid::regclass::text AS rel FROM pg_class WHERE oid = 'sem.toasted'::regclass`);
    const chunks = await src.query(`SELECT count(*)::int AS n FROM ${toast.rows[0].rel}`);
    assert.ok(chunks.rows[0].n > 0, 'the seeded value is stored out of line on the source');

    await src.query(`INSERT INTO sem.toasted (id, big, note) VALUES (2, ${bigValue('two')}, 'streamed'), (3, ${bigValue('three')}, 'streamed')`);
    await converge(only('sem.toasted'));
    await src.query(`UPDATE sem.toasted SET counter = counter + 1`);
    await inTransaction([`UPDATE sem.toasted SET counter = counter + 1 WHERE id = 1`, `UPDATE sem.toasted SET note = 'noted' WHERE id = 1`]);
    await src.query(`UPDATE sem.toasted SET note = NULL WHERE id = 2`);
    await src.query(`UPDATE sem.toasted SET id = 30, counter = counter + 5 WHERE id = 3`); // key change, value unchanged
    // One transaction: one row gets a new large value, another keeps its own (rows of one batch differ).
    await inTransaction([`UPDATE sem.toasted SET big = ${bigValue('one again')} WHERE id = 1`, `UPDATE sem.toasted SET counter = counter + 1 WHERE id = 2`]);
    await converge(only('sem.toasted'));

    const q = `SELECT id, counter, length(big) AS len, md5(big) AS md5 FROM sem.toasted ORDER BY id`;
    const d = await dst.query(q);
    assert.deepEqual(d.rows, (await src.query(q)).rows);
    assert.deepEqual(d.rows.map((r) => [r.id, r.counter, r.len]), [[1, 2, 12800], [2, 2, 12800], [30, 6, 12800]]);
  });

  it('4. TRUNCATE of two tables in one statement, and TRUNCATE … RESTART IDENTITY, then more rows', async () => {
    await converge(only('sem.trunc_a', 'sem.trunc_b', 'sem.trunc_ident'));
    await inTransaction([
      `INSERT INTO sem.trunc_b VALUES (100, 'before truncate')`,
      `TRUNCATE sem.trunc_a, sem.trunc_b`,
      `INSERT INTO sem.trunc_b VALUES (1, 'after truncate, same transaction')`,
    ]);
    await src.query(`INSERT INTO sem.trunc_a SELECT g, 'again ' || g FROM generate_series(1, 3) g`);
    await src.query(`INSERT INTO sem.trunc_ident (v) VALUES ('before restart')`);
    await src.query(`TRUNCATE sem.trunc_ident RESTART IDENTITY`);
    await src.query(`INSERT INTO sem.trunc_ident (v) SELECT 'after restart ' || g FROM generate_series(1, 5) g`);
    await converge(only('sem.trunc_a', 'sem.trunc_b', 'sem.trunc_ident'));

    const ids = await dst.query(`SELECT array_agg(id ORDER BY id) AS ids FROM sem.trunc_ident`);
    assert.deepEqual(ids.rows[0].ids, [1, 2, 3, 4, 5], 'identity values restarted at 1, as on the source');
    assert.deepEqual((await dst.query(`SELECT id FROM sem.trunc_b`)).rows, [{ id: 1 }]);
    assert.equal((await dst.query(`SELECT count(*)::int AS n FROM sem.trunc_a`)).rows[0].n, 3);
  });

  it('5. GENERATED ALWAYS AS IDENTITY and GENERATED … STORED columns: insert, update, delete', async () => {
    await src.query(`INSERT INTO sem.generated (name, price, qty) SELECT 'New ' || g, g * 2.5, g + 1 FROM generate_series(1, 5) g`);
    await src.query(`INSERT INTO sem.generated (id, name, price, qty) OVERRIDING SYSTEM VALUE VALUES (1000, 'Explicit', 9.99, 3)`);
    await src.query(`UPDATE sem.generated SET price = price + 1, qty = qty * 2 WHERE id % 2 = 0`);
    await src.query(`UPDATE sem.generated SET name = 'Renamed ' || id WHERE id IN (1, 7)`);
    await src.query(`UPDATE sem.generated SET ref = 5 WHERE id = 3`);
    await src.query(`DELETE FROM sem.generated WHERE id IN (2, 9)`);
    await converge(only('sem.generated'));

    const q = `SELECT id, ref, total::text, label FROM sem.generated ORDER BY id`;
    const d = await dst.query(q);
    assert.deepEqual(d.rows, (await src.query(q)).rows);
    assert.equal(d.rows.length, 9);
    const explicit = d.rows.find((r) => r.id === '1000');
    assert.deepEqual(explicit, { id: '1000', ref: 110, total: '65.94', label: 'item-explicit' }); // price 10.99 × qty 6 after the update
  });

  it('6. many changes to one row within a transaction and across transactions', async () => {
    await inTransaction([
      `INSERT INTO sem.churn VALUES (1, 0, 'inserted')`,
      `UPDATE sem.churn SET v = 1 WHERE id = 1`,
      `UPDATE sem.churn SET v = 2, note = 'updated twice' WHERE id = 1`,
      `DELETE FROM sem.churn WHERE id = 1`,
      `INSERT INTO sem.churn VALUES (1, 10, 're-inserted')`,
      `UPDATE sem.churn SET v = v + 1 WHERE id = 1`,
      `DO $$ BEGIN FOR i IN 1..50 LOOP UPDATE sem.churn SET v = v + 1 WHERE id = 5; END LOOP; END $$`,
    ]);
    for (const s of [
      `INSERT INTO sem.churn VALUES (2, 0, 'a')`, `UPDATE sem.churn SET v = 1 WHERE id = 2`, `UPDATE sem.churn SET note = 'b' WHERE id = 2`,
      `DELETE FROM sem.churn WHERE id = 2`, `INSERT INTO sem.churn VALUES (2, 20, 'back')`, `UPDATE sem.churn SET v = 21 WHERE id = 2`,
      `INSERT INTO sem.churn VALUES (3, 0, 'short-lived')`, `UPDATE sem.churn SET v = 3 WHERE id = 3`, `DELETE FROM sem.churn WHERE id = 3`,
      `DELETE FROM sem.churn WHERE id = 5`, `INSERT INTO sem.churn VALUES (5, 500, 'seed row replaced')`,
    ]) await src.query(s);
    await inTransaction([`INSERT INTO sem.churn VALUES (4, 4, 'never visible')`, `DELETE FROM sem.churn WHERE id = 4`]);
    await converge(only('sem.churn'));

    const d = await dst.query(`SELECT id, v, note FROM sem.churn ORDER BY id`);
    assert.deepEqual(d.rows, [
      { id: 1, v: 11, note: 're-inserted' },
      { id: 2, v: 21, note: 'back' },
      { id: 5, v: 500, note: 'seed row replaced' },
    ]);
  });

  it('7. a unique value moving between rows (delete + insert, and a swap through a temporary value)', async () => {
    await converge(only('sem.uniq_email', 'sem.uniq_swap'));
    await inTransaction([`DELETE FROM sem.uniq_email WHERE id = 1`, `INSERT INTO sem.uniq_email VALUES (3, 'x@example.com')`]);
    await inTransaction([`UPDATE sem.uniq_email SET email = 'z@example.com' WHERE id = 2`, `INSERT INTO sem.uniq_email VALUES (4, 'y@example.com')`]);
    // The same, split over consecutive transactions (one destination batch for a batching applier).
    await src.query(`DELETE FROM sem.uniq_email WHERE id = 3`);
    await src.query(`INSERT INTO sem.uniq_email VALUES (5, 'x@example.com')`);
    await inTransaction([
      `UPDATE sem.uniq_swap SET code = 'tmp' WHERE id = 1`,
      `UPDATE sem.uniq_swap SET code = 'A' WHERE id = 2`,
      `UPDATE sem.uniq_swap SET code = 'B' WHERE id = 1`,
    ]);
    await src.query(`UPDATE sem.uniq_swap SET code = NULL WHERE id = 3`);
    await src.query(`UPDATE sem.uniq_swap SET code = 'C' WHERE id = 1`);
    await src.query(`UPDATE sem.uniq_swap SET code = 'B' WHERE id = 3`);
    await converge(only('sem.uniq_email', 'sem.uniq_swap'));

    assert.deepEqual((await dst.query(`SELECT id, email FROM sem.uniq_email ORDER BY id`)).rows, [
      { id: 2, email: 'z@example.com' }, { id: 4, email: 'y@example.com' }, { id: 5, email: 'x@example.com' },
    ]);
    assert.deepEqual((await dst.query(`SELECT id, code FROM sem.uniq_swap ORDER BY id`)).rows, [
      { id: 1, code: 'C' }, { id: 2, code: 'A' }, { id: 3, code: 'B' },
    ]);
  });

  it('8. a large transaction (200 000 rows inserted, then updated, each in one statement) converges', async () => {
    await src.query(`INSERT INTO sem.bulk SELECT g, g, md5(g::text) FROM generate_series(1, 200000) g`);
    await src.query(`UPDATE sem.bulk SET v = -v, pad = pad || '!'`);
    await converge(only('sem.bulk'), 600_000);
    const d = await dst.query(`SELECT count(*)::int AS n, sum(v)::text AS s FROM sem.bulk`);
    assert.deepEqual(d.rows[0], { n: 200000, s: String(-(200000 * 200001) / 2) });
  });

  it('everything converges and the task found no missing rows', async () => {
    await converge(TABLES);
    const convergedAt = Date.now();
    // Progress reaches `status` every few seconds: wait for a report taken after the last change was applied.
    const s = await waitFor('a progress report after convergence', async () => {
      const st = await status();
      return st.incremental && Date.parse(st.incremental.reportedAt) > convergedAt ? st : undefined;
    }, 60_000, 500);
    assert.equal(s.phase, 'incremental');
    assert.equal(s.lastError, null);
    assert.equal(s.incremental!.missingRows, 0);
    assert.ok(s.incremental!.rows > 400000, `rows applied: ${s.incremental!.rows}`);
    assert.ok(!worker.output().includes('missing on the destination'), 'the worker logged no missing row');
  });
});
