// 1:N and N:1 at once (issue 17): two sources, two destinations, four tasks on one worker.
//   t1  source A -> destination 1: schema shop whole
//   t2  source A -> destination 2: shop.orders (also t1's) and schema billing      (1:N, overlapping)
//   t3  source A -> destination 1: schema billing renamed billing_a                  (a third task on A)
//   t4  source B -> destination 1: B's own schema shop renamed shop_b, later + crm   (N:1, same-named schemas apart)
// Every source takes writes throughout; the worker is SIGKILLed several times; tasks are paused,
// throttled, modified and released in different orders. Each destination must equal its sources, and a
// released task must leave every other task's objects (slots, publications, origins) and streams alone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { startCluster, SECURE_USER, type PgCluster } from '../../src/pgcluster/embedded';
import { slotName, taskIdFromWorkflowId } from '../../src/spec/task-id';
import { freePort } from '../../src/util/ports';
import { modifyObjectsUpdate, pauseSignal, releaseSignal, resumeSignal, statusQuery, throttleUpdate, WORKFLOW_TYPE } from '../../workflows/messages';
import { tableChecksum, waitFor } from '../harness/checksum';
import { onCleanup, releaseAll } from '../harness/cleanup';
import { TEST_PASSWORD } from '../harness/clusters';
import { startWorker, temporalClient, type WorkerProcess } from '../harness/temporal';
import { startWriteLoop, type WriteLoop } from '../harness/write-loop';

const QUEUE = 'pg-dts-topologies';
const ENV = { PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD };

const SCHEMA = (extra: string): string => `
  CREATE SCHEMA shop;
  CREATE TABLE shop.customers (id serial PRIMARY KEY, name text NOT NULL);
  CREATE TABLE shop.orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, amount numeric(10,2), note text);
  INSERT INTO shop.customers (name) SELECT 'c' || g FROM generate_series(1, 100) g;
  INSERT INTO shop.orders (customer_id, amount) SELECT 1 + g % 100, g FROM generate_series(1, 1000) g;
  ${extra}`;
const SOURCE_A = SCHEMA(`CREATE SCHEMA billing;
  CREATE TABLE billing.invoices (id bigserial PRIMARY KEY, order_id bigint, total numeric(10,2));
  INSERT INTO billing.invoices (order_id, total) SELECT g, g * 2 FROM generate_series(1, 500) g;`);
const SOURCE_B = SCHEMA(`CREATE SCHEMA crm;
  CREATE TABLE crm.contacts (id bigserial PRIMARY KEY, email text);
  INSERT INTO crm.contacts (email) SELECT 'e' || g || '@b.example' FROM generate_series(1, 300) g;`);

/** Each destination table and the source table it must equal. */
type Pair = { source: () => PgClient; table: string; destination: () => PgClient; target: string };

describe('1:N and N:1 topologies under load, kills and operations in different orders', () => {
  const clusters: Record<'a' | 'b' | 'd1' | 'd2', PgCluster> = {} as never;
  const db: Record<'a' | 'b' | 'd1' | 'd2', PgClient> = {} as never;
  let temporal: Client;
  let worker: WorkerProcess;
  const loops: WriteLoop[] = [];

  const spec = (name: string, source: PgCluster, destination: PgCluster, objects: unknown[]): Record<string, unknown> => ({
    name,
    source: { url: source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_SRC' },
    destination: { url: destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DST' },
    objects,
  });
  const handle = (task: string) => temporal.workflow.getHandle(task);
  const streaming = (task: string) => waitFor(`${task} streaming`, async () => {
    const s = await handle(task).query(statusQuery);
    return s.phase === 'incremental' && !s.paused && s.incremental !== null;
  }, 180_000, 500);

  const pairs: Pair[] = [
    { source: () => db.a, table: 'shop.customers', destination: () => db.d1, target: 'shop.customers' },
    { source: () => db.a, table: 'shop.orders', destination: () => db.d1, target: 'shop.orders' },
    { source: () => db.a, table: 'shop.orders', destination: () => db.d2, target: 'shop.orders' },
    { source: () => db.a, table: 'billing.invoices', destination: () => db.d2, target: 'billing.invoices' },
    { source: () => db.a, table: 'billing.invoices', destination: () => db.d1, target: 'billing_a.invoices' },
    { source: () => db.b, table: 'shop.customers', destination: () => db.d1, target: 'shop_b.customers' },
    { source: () => db.b, table: 'shop.orders', destination: () => db.d1, target: 'shop_b.orders' },
    { source: () => db.b, table: 'crm.contacts', destination: () => db.d1, target: 'crm.contacts' },
  ];

  async function differing(list: Pair[]): Promise<string[]> {
    const out: string[] = [];
    for (const p of list) {
      const [s, d] = [await tableChecksum(p.source(), p.table, 'id'), await tableChecksum(p.destination(), p.target, 'id')];
      if (s.rows !== d.rows || s.md5 !== d.md5) out.push(`${p.table} -> ${p.target}: source ${s.rows} rows, destination ${d.rows}`);
    }
    return out;
  }
  const converged = async (list: Pair[], timeoutMs = 120_000): Promise<void> => {
    let last: string[] = [];
    try {
      await waitFor('every destination equals its sources', async () => (last = await differing(list)).length === 0, timeoutMs, 500);
    } catch {
      assert.fail(`not converged: ${last.join('; ')}`);
    }
  };

  before(async () => {
    for (const k of ['a', 'b', 'd1', 'd2'] as const) {
      clusters[k] = await startCluster({ port: await freePort(), securePassword: TEST_PASSWORD });
      onCleanup(() => clusters[k].stop());
      db[k] = await clusters[k].client();
    }
    await db.a.query(SOURCE_A);
    await db.b.query(SOURCE_B);
    temporal = await temporalClient();
    worker = startWorker(ENV, QUEUE);
  });
  after(async () => {
    for (const l of loops) await l.stop().catch(() => undefined);
    for (const c of Object.values(db)) await c.end().catch(() => undefined);
    await releaseAll();
  });

  it('four tasks start on one worker and stream', async () => {
    const starts: [string, Record<string, unknown>][] = [
      ['topo-t1', spec('topo-t1', clusters.a, clusters.d1, [{ schema: 'shop' }])],
      ['topo-t2', spec('topo-t2', clusters.a, clusters.d2, [{ schema: 'shop', tables: ['orders'] }, { schema: 'billing' }])],
      ['topo-t3', spec('topo-t3', clusters.a, clusters.d1, [{ schema: 'billing', rename: 'billing_a' }])],
      ['topo-t4', spec('topo-t4', clusters.b, clusters.d1, [{ schema: 'shop', rename: 'shop_b' }])],
    ];
    for (const [id, s] of starts) await temporal.workflow.start(WORKFLOW_TYPE, { taskQueue: QUEUE, workflowId: id, args: [s] });
    for (const [id] of starts) await streaming(id);
    // Writes on both sources from here to the end.
    for (const [source, n0] of [[db.a, 0], [db.b, 0]] as const) {
      loops.push(startWriteLoop(async (n) => {
        await source.query(`INSERT INTO shop.orders (customer_id, amount, note) VALUES ($1, $2, $3)`, [1 + (n % 100), n, `live ${n0 + n}`]);
        await source.query(`UPDATE shop.orders SET amount = amount + 1 WHERE id = $1`, [1 + ((n * 7) % 1000)]);
        await source.query(`UPDATE shop.customers SET name = name || '.' WHERE id = $1`, [1 + (n % 100)]);
        if (n % 5 === 0) await source.query(`DELETE FROM shop.orders WHERE id = $1`, [1 + ((n * 13) % 1000)]);
        if (source === db.a) await source.query(`INSERT INTO billing.invoices (order_id, total) VALUES ($1, $2)`, [n, n * 3]);
        else await source.query(`INSERT INTO crm.contacts (email) VALUES ($1)`, [`live${n}@b.example`]);
      }, 20));
    }
  });

  it('paused, throttled, modified and killed in different orders, every destination equals its sources', async () => {
    await handle('topo-t2').signal(pauseSignal);
    await handle('topo-t1').executeUpdate(throttleUpdate, { args: [{ incremental: { rps: 300 } }] });
    await worker.kill('SIGKILL');
    worker = startWorker(ENV, QUEUE);
    // N:1: source B's second schema joins task 4 while it streams.
    await handle('topo-t4').executeUpdate(modifyObjectsUpdate, { args: [{ objects: [{ schema: 'shop', rename: 'shop_b' }, { schema: 'crm' }] }] });
    await new Promise((r) => setTimeout(r, 3000));
    await worker.kill('SIGKILL');
    worker = startWorker(ENV, QUEUE);
    await handle('topo-t2').signal(resumeSignal);
    await handle('topo-t1').executeUpdate(throttleUpdate, { args: [{}] });
    await waitFor('crm.contacts joined task 4', async () => {
      const m = (await handle('topo-t4').query(statusQuery)).modification;
      if (m?.state === 'refused' || m?.state === 'failed') assert.fail(`modifyObjects ${m.state}: ${m.problems.join('; ')}`);
      return m?.state === 'done' && m.added.includes('crm.contacts');
    }, 180_000, 500);
    await worker.kill('SIGKILL');
    worker = startWorker(ENV, QUEUE);
    for (const id of ['topo-t1', 'topo-t2', 'topo-t3', 'topo-t4']) await streaming(id);
    for (const l of loops.splice(0)) assert.ok((await l.stop()) > 10, 'the write loops ran');
    await converged(pairs);
  });

  it("releasing one task leaves the others' objects and streams alone", async () => {
    const slotsOnA = async (): Promise<string[]> => (await db.a.query<{ s: string }>(`SELECT slot_name AS s FROM pg_replication_slots ORDER BY 1`)).rows.map((r) => r.s);
    const before = await slotsOnA();
    // t1 (the first task on source A, sharing shop.orders with t2) goes first.
    await handle('topo-t1').signal(releaseSignal);
    await handle('topo-t1').result();
    const t1Slot = slotName(taskIdFromWorkflowId('topo-t1'));
    assert.deepEqual(await slotsOnA(), before.filter((s) => s !== t1Slot), "only t1's slot is gone");
    const identity = await db.a.query<{ i: string }>(`SELECT relreplident::text AS i FROM pg_class WHERE oid = 'shop.orders'::regclass`);
    assert.ok(identity.rows[0], 'shop.orders exists');
    // The others still stream: new writes arrive.
    await db.a.query(`INSERT INTO shop.orders (customer_id, amount, note) VALUES (1, 1, 'after t1 release'); INSERT INTO billing.invoices (order_id, total) VALUES (0, 0)`);
    await db.b.query(`INSERT INTO shop.orders (customer_id, amount, note) VALUES (1, 1, 'after t1 release')`);
    await converged(pairs.filter((p) => !(p.destination() === db.d1 && p.target.startsWith('shop.'))));
    for (const id of ['topo-t3', 'topo-t2', 'topo-t4']) {
      await handle(id).signal(releaseSignal);
      await handle(id).result();
    }
    assert.deepEqual(await slotsOnA(), [], 'no slot left on source A');
    assert.equal((await db.b.query(`SELECT 1 FROM pg_replication_slots`)).rowCount, 0, 'no slot left on source B');
    for (const k of ['a', 'b'] as const) assert.equal((await db[k].query(`SELECT 1 FROM pg_publication`)).rowCount, 0, `no publication left on source ${k}`);
    for (const k of ['d1', 'd2'] as const) assert.equal((await db[k].query(`SELECT 1 FROM pg_replication_origin`)).rowCount, 0, `no origin left on ${k}`);
  });
});
