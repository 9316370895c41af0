// _pg_dts.created_objects under several destination roles: a role that may not use the records (another
// role's table, no CREATE where it would go) neither records nor reads them — and never fails on them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { canRecord, createdObjectsSetup, ownLeftovers, recordCreated } from '../../src/schema/created-objects';

const owner = { namespace: 'default', workflowId: 'wf' };
const orders = { schema: 'public', name: 'orders' };

describe('created-objects records and roles', () => {
  let cs: ClusterSessions;
  before(async () => {
    cs = await openClusterSessions();
    await cs.dst.query(`CREATE ROLE other LOGIN; REVOKE CREATE ON DATABASE postgres FROM PUBLIC`);
  });
  after(async () => {
    await cs?.close();
  });

  it('a role without CREATE on the database cannot record; the creator can, and finds its leftover by oid', async () => {
    await cs.dst.query('SET ROLE other');
    assert.equal(await canRecord(cs.dst), false);
    await cs.dst.query('RESET ROLE');
    assert.equal(await canRecord(cs.dst), true);
    await cs.dst.query('BEGIN');
    for (const q of [...createdObjectsSetup(), 'CREATE TABLE public.orders (id int)', ...recordCreated('t1', owner, [orders, { schema: 'public', name: 'missing' }])]) await cs.dst.query(q);
    await cs.dst.query('COMMIT');
    assert.deepEqual(await ownLeftovers(cs.dst, 't1', owner, [orders]), [orders]);
    assert.deepEqual(await ownLeftovers(cs.dst, 't1', null, [orders]), [orders], 'unknown owner: the task id alone');
    assert.deepEqual(await ownLeftovers(cs.dst, 't1', { ...owner, workflowId: 'other' }, [orders]), [], 'another workflow');
    assert.deepEqual(await ownLeftovers(cs.dst, 't2', owner, [orders]), [], 'another task id');
  });

  it('a table that was there before the transaction is not recorded; one made again under the name is not the task\'s', async () => {
    await cs.dst.query('CREATE TABLE public.kept (id int)');
    await cs.dst.query('BEGIN');
    for (const q of ['CREATE TABLE IF NOT EXISTS public.kept (id int)', ...recordCreated('t3', owner, [{ schema: 'public', name: 'kept' }])]) await cs.dst.query(q);
    await cs.dst.query('COMMIT');
    assert.deepEqual(await ownLeftovers(cs.dst, 't3', owner, [{ schema: 'public', name: 'kept' }]), []);
    await cs.dst.query('DROP TABLE public.orders; CREATE TABLE public.orders (id int)');
    assert.deepEqual(await ownLeftovers(cs.dst, 't1', owner, [orders]), []);
  });

  it('another role neither records nor reads the table, without an error', async () => {
    await cs.dst.query('SET ROLE other');
    assert.equal(await canRecord(cs.dst), false);
    assert.deepEqual(await ownLeftovers(cs.dst, 't1', owner, [orders]), []);
    await cs.dst.query('RESET ROLE');
  });
});
