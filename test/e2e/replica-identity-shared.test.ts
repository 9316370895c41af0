// REPLICA IDENTITY FULL on a source table two tasks select (issue 17, topologies): the identity comes back
// only when the last task relying on it is released, whichever is released first; a table the user had
// made FULL stays FULL. Real clusters, the functions release and source setup call.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { restoreReplicaIdentity, setReplicaIdentityFull } from '../../src/stream/replica-identity';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';

describe('REPLICA IDENTITY FULL shared by two tasks', () => {
  let cs: ClusterSessions;
  const identity = async (table: string): Promise<string> =>
    (await cs.src.query<{ i: string }>(`SELECT relreplident::text AS i FROM pg_class WHERE oid = $1::regclass`, [table])).rows[0]!.i;

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(`CREATE SCHEMA ri;
      CREATE TABLE ri.shared (id int PRIMARY KEY, v text);
      CREATE TABLE ri.indexed (id int NOT NULL, v text); CREATE UNIQUE INDEX indexed_id ON ri.indexed (id);
      ALTER TABLE ri.indexed REPLICA IDENTITY USING INDEX indexed_id;
      CREATE TABLE ri.users_own (id int PRIMARY KEY); ALTER TABLE ri.users_own REPLICA IDENTITY FULL;
      CREATE PUBLICATION dts_pub_ta FOR TABLE ri.shared, ri.indexed, ri.users_own;
      CREATE PUBLICATION dts_pub_tb FOR TABLE ri.shared, ri.indexed, ri.users_own;`);
  });
  after(async () => cs?.close());

  it('the first task released leaves FULL to the second; the second puts back what the table had', async () => {
    const tables = [{ schema: 'ri', name: 'shared' }, { schema: 'ri', name: 'indexed' }, { schema: 'ri', name: 'users_own' }];
    assert.deepEqual((await setReplicaIdentityFull(cs.src, cs.dst, 'ta', tables)).map((t) => t.name).sort(), ['indexed', 'shared']);
    assert.deepEqual(await setReplicaIdentityFull(cs.src, cs.dst, 'tb', tables), [], 'already FULL: nothing changed by the second task');
    for (const t of ['ri.shared', 'ri.indexed', 'ri.users_own']) assert.equal(await identity(t), 'f');

    // Task a (which changed the tables) is released first: b still streams them and needs FULL.
    await cs.src.query('DROP PUBLICATION dts_pub_ta');
    assert.deepEqual(await restoreReplicaIdentity(cs.src, cs.dst, 'ta', 'dts_pub_ta'), []);
    for (const t of ['ri.shared', 'ri.indexed']) assert.equal(await identity(t), 'f', `${t} stays FULL while task b relies on it`);

    await cs.src.query('DROP PUBLICATION dts_pub_tb');
    assert.deepEqual((await restoreReplicaIdentity(cs.src, cs.dst, 'tb', 'dts_pub_tb')).map((t) => t.name).sort(), ['indexed', 'shared']);
    assert.equal(await identity('ri.shared'), 'd');
    assert.equal(await identity('ri.indexed'), 'i');
    assert.equal(await identity('ri.users_own'), 'f', "the user's own FULL is kept");
    const left = await cs.src.query(`SELECT * FROM _pg_dts.replica_identity_users`);
    assert.equal(left.rowCount, 0, 'no record left on the source');
  });
});
