// The source side of `pg-dts verify --repair` on a real server, engine level (no Temporal): the read and
// the control row land at ONE position of the source's history. A transaction changing a repaired row,
// or inserting a repaired key the source did not have, that is in flight during the repair commits BEFORE
// the repair in the WAL and the repair carries its result (row lock, resp. table lock then a second read);
// without the locks it would commit between the read and the control row and the stream would undo it.
// The WAL order is read with test_decoding.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import { RepairRefused, recordRepair } from '../../src/verify/repair';
import { parseRepair, type RepairRequest } from '../../src/verify/repair-row';
import { prepareSession } from '../../src/verify/sql';
import type { VerifyTable } from '../../src/verify/types';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';

const LOG = { schema: '_pg_dts', name: 'ddl_log_lock' };
const table: VerifyTable = {
  key: 'rl.t',
  table: { source: { schema: 'rl', name: 't' }, target: { schema: 'rl', name: 't' } },
  sourceColumns: ['id', 'v'], targetColumns: ['id', 'v'],
  sourceKey: [{ name: 'id', type: 'integer' }], targetKey: [{ name: 'id', type: 'integer' }],
  where: `v <> 'hidden'`,
  ranges: [],
  estimatedRows: 3,
};

const settledWithin = async (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('verify --repair: one source position for the read and the control row', () => {
  let fx: ClusterSessions;
  let repairSession: PgClient;
  let writer: PgClient;

  /** The decoded changes since the last call: each transaction's lines (test_decoding). */
  const decoded = async (): Promise<string[]> =>
    (await fx.src.query<{ data: string }>(`SELECT data FROM pg_logical_slot_get_changes('repair_lock', NULL, NULL)`)).rows.map((r) => r.data);
  const repairIn = (lines: string[]): RepairRequest => {
    const line = lines.find((l) => l.startsWith(`table ${LOG.schema}.${LOG.name}: INSERT`))!;
    const parsed = parseRepair(JSON.parse(/captured\[text\]:'(.*)'$/.exec(line)![1]!.replace(/''/g, "'")));
    assert.equal(typeof parsed, 'object', String(parsed));
    return parsed as RepairRequest;
  };

  before(async () => {
    fx = await openClusterSessions();
    await fx.src.query(`
      CREATE SCHEMA rl; CREATE SCHEMA _pg_dts;
      CREATE TABLE rl.t (id int PRIMARY KEY, v text NOT NULL);
      INSERT INTO rl.t VALUES (1, 'old'), (2, 'hidden'), (3, 'three');
      CREATE TABLE ${LOG.schema}.${LOG.name} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, captured text NOT NULL);`);
    await fx.src.query(`SELECT pg_create_logical_replication_slot('repair_lock', 'test_decoding')`);
    repairSession = await fx.pg.source.client();
    await prepareSession(repairSession); // the verification's session: read-only by default, search_path ''
    writer = await fx.pg.source.client();
  });
  after(async () => {
    await repairSession?.end();
    await writer?.end();
    await fx.src.query(`SELECT pg_drop_replication_slot('repair_lock')`).catch(() => undefined);
    await fx?.close();
  });

  it('waits for an in-flight change of a repaired row and carries its result, after it in the WAL', async () => {
    await decoded();
    await writer.query(`BEGIN; UPDATE rl.t SET v = 'new' WHERE id = 1`);
    const repair = recordRepair(repairSession, table, LOG, [['1'], ['2']]);
    assert.equal(await settledWithin(repair, 500), false, 'the repair waits for the row lock');
    await writer.query('COMMIT');
    await repair;
    const lines = await decoded();
    const update = lines.findIndex((l) => l.startsWith('table rl.t: UPDATE'));
    const control = lines.findIndex((l) => l.startsWith(`table ${LOG.schema}.${LOG.name}: INSERT`));
    assert.ok(update >= 0 && control > update, lines.join('\n'));
    const req = repairIn(lines);
    assert.deepEqual(req.keys, [['1'], ['2']]);
    assert.deepEqual(req.rows, [['1', 'new']], 'row 2 is left out by the row filter: its key is listed, it has no image');
    assert.equal((await fx.src.query(`SELECT count(*)::int AS n FROM ${LOG.schema}.${LOG.name}`)).rows[0].n, 0, 'the source keeps no copy');
  });

  it('waits for an in-flight insert of a key the source lacked (table lock) and carries the new row', async () => {
    await decoded();
    await writer.query(`BEGIN; INSERT INTO rl.t VALUES (99, 'late')`);
    const repair = recordRepair(repairSession, table, LOG, [['99'], ['3']]);
    assert.equal(await settledWithin(repair, 500), false, 'the repair waits for the table lock');
    await writer.query('COMMIT');
    await repair;
    const lines = await decoded();
    const insert = lines.findIndex((l) => l.startsWith('table rl.t: INSERT'));
    const control = lines.findIndex((l) => l.startsWith(`table ${LOG.schema}.${LOG.name}: INSERT`));
    assert.ok(insert >= 0 && control > insert, lines.join('\n'));
    assert.deepEqual(repairIn(lines).rows, [['99', 'late'], ['3', 'three']]);
  });

  it('splits a batch whose rows exceed a control row, and refuses a single row that does', async () => {
    await decoded();
    // One of these rows as a control row is about 125 bytes, two about 145, three about 165.
    await recordRepair(repairSession, table, LOG, [['1'], ['3'], ['99']], 150);
    const controls = (await decoded()).filter((l) => l.startsWith(`table ${LOG.schema}.${LOG.name}: INSERT`));
    assert.ok(controls.length >= 2, `${controls.length} control rows`);
    const rows = controls.flatMap((l) => repairIn([l]).rows.map((r) => r[0]));
    assert.deepEqual(rows.sort(), ['1', '3', '99']);
    await assert.rejects(recordRepair(repairSession, table, LOG, [['1']], 10), (err: Error) => err instanceof RepairRefused && /copy the table again/.test(err.message));
    assert.deepEqual(await decoded(), [], 'nothing written');
  });
});
