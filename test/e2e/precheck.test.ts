// The precheck against real catalogs: runPrecheck on a cluster pair for the items that need a live server
// (privileges of non-superusers, keys, same-name tables, open transactions, inheritance, name collisions,
// spec columns, extension members, row filters, free space), and `pg-dts precheck` as a subprocess.
// Every check only reads: at the end neither side holds anything the precheck made.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClientConfig } from 'pg';
import { clientConfig } from '../../src/conn/endpoint';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import { runPrecheck, type PrecheckOptions } from '../../src/precheck/run';
import type { CheckResult, PrecheckReport } from '../../src/precheck/types';
import { parseTaskSpec } from '../../src/spec/validate';
import { openClusterSessions, TEST_PASSWORD, type ClusterSessions } from '../harness/clusters';

const ROOT = join(__dirname, '..', '..');

describe('precheck against real clusters', () => {
  let cs: ClusterSessions;
  const config = (port: number, user = 'postgres', password?: string): ClientConfig =>
    ({ host: '127.0.0.1', port, user, database: 'postgres', ...(password ? { password } : {}) });
  const specOf = (extra: Record<string, unknown>) => parseTaskSpec({
    name: 'precheck-e2e', source: { url: cs.pg.source.url() }, destination: { url: cs.pg.destination.url() }, ...extra,
  });
  const run = async (extra: Record<string, unknown>, users: { src?: string; dst?: string } = {}, options?: PrecheckOptions) =>
    (await runPrecheck(specOf(extra), config(cs.pg.source.port, users.src), config(cs.pg.destination.port, users.dst), 'dts_sync_precheck_e2e', options)).report;
  const item = (report: PrecheckReport, id: string): CheckResult => {
    const r = report.results.find((x) => x.id === id);
    assert.ok(r, `${id} is in the report: ${report.results.map((x) => x.id).join(', ')}`);
    return r;
  };
  const failed = (report: PrecheckReport): string[] => report.results.filter((r) => !r.passed).map((r) => r.id).sort();

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(`
      CREATE SCHEMA keys;
      CREATE TABLE keys.good (id int PRIMARY KEY, v text);
      CREATE TABLE keys.keyless (v text);
      CREATE TABLE keys.expr_unique (a int NOT NULL, b int); CREATE UNIQUE INDEX ON keys.expr_unique ((a + 0));
      CREATE TABLE keys.partial_unique (a int NOT NULL); CREATE UNIQUE INDEX ON keys.partial_unique (a) WHERE a > 0;
      CREATE TABLE keys.nullable_unique (a int UNIQUE);
      CREATE TABLE keys.notnull_unique (a int NOT NULL UNIQUE, b text);
      CREATE SCHEMA conf; CREATE TABLE conf.t1 (id int PRIMARY KEY); CREATE TABLE conf.t2 (id int PRIMARY KEY); CREATE TABLE conf.t3 (id int PRIMARY KEY);
      CREATE SCHEMA priv; CREATE TABLE priv.t (id int PRIMARY KEY, v text);
      CREATE ROLE weak_src LOGIN;
      CREATE SCHEMA inh_a; CREATE TABLE inh_a.parent (id int PRIMARY KEY);
      CREATE SCHEMA inh_b; CREATE TABLE inh_b.child (extra text) INHERITS (inh_a.parent); ALTER TABLE inh_b.child ADD PRIMARY KEY (id);
      CREATE SCHEMA inh_c; CREATE TABLE inh_c.parent (id int PRIMARY KEY); CREATE TABLE inh_c.child () INHERITS (inh_c.parent);
      ALTER TABLE inh_c.child ADD PRIMARY KEY (id);
      CREATE SCHEMA coll; CREATE TABLE coll."Orders" (id int PRIMARY KEY); CREATE TABLE coll.orders (id int PRIMARY KEY);
      CREATE TABLE coll.items (id int PRIMARY KEY); CREATE TABLE coll.items_v2 (id int PRIMARY KEY);
      CREATE SCHEMA colls; CREATE TABLE colls.cols (id int PRIMARY KEY, "Name" text, name text);
      CREATE SCHEMA ext; CREATE TABLE ext.member (id int PRIMARY KEY); ALTER EXTENSION plpgsql ADD TABLE ext.member;
      CREATE SEQUENCE public.free_seq; CREATE TABLE ext.plain (id int PRIMARY KEY, n int DEFAULT nextval('public.free_seq'::regclass));
      CREATE SCHEMA rf; CREATE TABLE rf.t (id int PRIMARY KEY, status text, at timestamptz);
      CREATE SCHEMA ts; CREATE TABLE ts.metrics (id int PRIMARY KEY, at timestamptz);
    `);
    await cs.dst.query(`CREATE SCHEMA conf; CREATE TABLE conf.t1 (id int); CREATE VIEW conf.t3 AS SELECT 1 AS id; CREATE ROLE weak_dst LOGIN`);
  });
  after(async () => {
    await cs?.close();
  });

  it('a healthy selection passes every item as superuser, with free space measured through df when the spec asks', async () => {
    const report = await run({ objects: [{ schema: 'keys', tables: ['good', 'notnull_unique'] }], precheck: { diskSpaceProbe: true } });
    assert.deepEqual(failed(report), []);
    assert.equal(report.blocked, false);
    assert.match(item(report, 'destination-space').message, /free on the destination \(.+\), the selected data takes/);
    // Without the opt-in no program runs on the destination's host: the item passes and states the size.
    const plain = await run({ objects: [{ schema: 'keys', tables: ['good', 'notnull_unique'] }] });
    assert.equal(item(plain, 'destination-space').passed, true);
    assert.match(item(plain, 'destination-space').message, /^free space not measured \("precheck\.diskSpaceProbe" is off/);
    assert.match(item(report, 'replica-identity').message, /sets REPLICA IDENTITY FULL at start on keys\.good, keys\.notnull_unique/);
  });

  it('primary-key: keyless, expression-unique, partial-unique and nullable-unique tables fail; a NOT NULL unique index passes', async () => {
    const report = await run({ objects: [{ schema: 'keys' }] });
    assert.equal(item(report, 'primary-key').message,
      'no primary key or non-null unique index: keys.expr_unique, keys.keyless, keys.nullable_unique, keys.partial_unique');
    assert.deepEqual(failed(report), ['primary-key']);
  });

  it('conflicting-tables names every same-name destination relation; ignore mode passes', async () => {
    const report = await run({ objects: [{ schema: 'conf' }] });
    assert.equal(item(report, 'conflicting-tables').message, 'already on the destination: conf.t1, conf.t3');
    assert.deepEqual(failed(report), ['conflicting-tables']);
    const ignored = await run({ objects: [{ schema: 'conf' }], conflictingTables: 'ignore' });
    assert.equal(ignored.blocked, false);
  });

  it('privileges: a plain role on each side fails every privilege item, and passes once granted', async () => {
    const probe = { precheck: { diskSpaceProbe: true } };
    const before = await run({ objects: [{ schema: 'priv' }], ...probe }, { src: 'weak_src', dst: 'weak_dst' });
    assert.deepEqual(failed(before), [
      'ddl-capture', 'destination-create-privilege', 'destination-origin-privilege', 'destination-replication-role', 'destination-space',
      'source-create-privilege', 'source-replication-privilege', 'source-select-privilege', 'source-table-ownership',
    ]);
    assert.match(item(before, 'source-table-ownership').message, /weak_src does not own priv\.t/);
    assert.match(item(before, 'destination-space').message, /not measurable/);
    assert.match(item(before, 'destination-origin-privilege').message, /pg_replication_origin_session_setup\(text\)/);

    await cs.src.query(`ALTER ROLE weak_src REPLICATION; GRANT CREATE ON DATABASE postgres TO weak_src;
      GRANT USAGE ON SCHEMA priv TO weak_src; ALTER TABLE priv.t OWNER TO weak_src`);
    const grants = item(before, 'destination-origin-privilege').fix!.match(/GRANT EXECUTE ON FUNCTION [^;]+;/g)!;
    await cs.dst.query(`GRANT CREATE ON DATABASE postgres TO weak_dst; GRANT SET ON PARAMETER session_replication_role TO weak_dst;
      GRANT pg_execute_server_program TO weak_dst; ${grants.join(' ')}`);
    const granted = await run({ objects: [{ schema: 'priv' }], ...probe }, { src: 'weak_src', dst: 'weak_dst' });
    // Only DDL capture still wants a superuser (event triggers); it is a warning the user may accept.
    assert.deepEqual(failed(granted), ['ddl-capture']);
    assert.equal((await run({ objects: [{ schema: 'priv' }], precheck: { ignoreWarnings: ['ddl-capture'] } }, { src: 'weak_src', dst: 'weak_dst' })).blocked, false);
    assert.match(item(granted, 'destination-space').message, /free on the destination/);
  });

  it('a wrong password is a failed source-connect that never shows the password; a missing password variable too', async () => {
    const report = (await runPrecheck(specOf({ objects: [{ schema: 'keys' }] }),
      config(cs.pg.source.port, SECURE_USER, 'wrong-Pw-1234'),
      () => clientConfig('destination', { url: cs.pg.destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_PRECHECK_UNSET' }, 'x'),
      'dts_sync_x')).report;
    assert.equal(report.blocked, true);
    assert.match(item(report, 'source-connect').message, /^cannot connect to the source: password authentication failed for user "pgdts"/);
    assert.match(item(report, 'destination-connect').message, /PG_DTS_PW_PRECHECK_UNSET is not set/);
    assert.ok(!JSON.stringify(report).includes('wrong-Pw-1234'));
    const good = (await runPrecheck(specOf({ objects: [{ schema: 'keys', tables: ['good'] }] }),
      config(cs.pg.source.port, SECURE_USER, TEST_PASSWORD), config(cs.pg.destination.port), 'dts_sync_x')).report;
    assert.equal(item(good, 'source-connect').passed, true);
    assert.ok(!JSON.stringify(good).includes(TEST_PASSWORD));
  });

  it('long-transactions names the pid and age of a writing transaction, never its query', async () => {
    const open = await cs.pg.source.client();
    try {
      await open.query('BEGIN');
      const pid = (await open.query(`SELECT pg_backend_pid() AS pid, txid_current() /* secret-marker */`)).rows[0].pid;
      await new Promise((r) => setTimeout(r, 1500));
      const report = await run({ objects: [{ schema: 'keys', tables: ['good'] }] }, {}, { longTransactionSeconds: 1 });
      const r = item(report, 'long-transactions');
      assert.deepEqual([r.passed, r.level], [false, 'warn']);
      assert.match(r.message, new RegExp(`pid ${pid} \\(idle in transaction\\) \\d+ s in postgres by postgres`));
      assert.doesNotMatch(JSON.stringify(report), /secret-marker/);
      const ignored = await run({ objects: [{ schema: 'keys', tables: ['good'] }], precheck: { ignoreWarnings: ['long-transactions'] } }, {}, { longTransactionSeconds: 1 });
      assert.equal(ignored.blocked, false);
      await open.query('ROLLBACK');
      assert.equal(item(await run({ objects: [{ schema: 'keys', tables: ['good'] }] }, {}, { longTransactionSeconds: 1 }), 'long-transactions').passed, true);
    } finally {
      await open.end();
    }
  });

  it('unsupported-inheritance: across schemas and with an unselected child; a same-schema pair selected together passes', async () => {
    const across = await run({ objects: [{ schema: 'inh_a' }, { schema: 'inh_b' }] });
    assert.match(item(across, 'unsupported-inheritance').message, /inh_b\.child INHERITS inh_a\.parent \(across schemas\)/);
    const alone = await run({ objects: [{ schema: 'inh_c', tables: ['parent'] }] });
    assert.match(item(alone, 'unsupported-inheritance').message, /inh_c\.child INHERITS inh_c\.parent \(child not selected\)/);
    assert.equal(item(await run({ objects: [{ schema: 'inh_c' }] }), 'unsupported-inheritance').passed, true);
  });

  it('mapping collisions: tables through nameCase and renameRules, columns through nameCase', async () => {
    const cased = await run({ objects: [{ schema: 'coll', tables: ['Orders', 'orders'] }] });
    assert.match(item(cased, 'mapping-table-collision').message, /coll\.Orders, coll\.orders -> coll\.orders/);
    const ruled = await run({ objects: [{ schema: 'coll', tables: ['items', 'items_v2'] }], renameRules: { tables: { replace: [{ from: '_v2', to: '' }] } } });
    assert.match(item(ruled, 'mapping-table-collision').message, /coll\.items, coll\.items_v2 -> coll\.items/);
    const columns = await run({ objects: [{ schema: 'colls' }], nameCase: 'lower' });
    assert.match(item(columns, 'mapping-column-collision').message, /colls\.cols \(Name, name -> name\)/);
    assert.equal(item(await run({ objects: [{ schema: 'colls' }] }), 'mapping-column-collision').passed, true);
  });

  it('spec columns: unknown names and an excluded key column fail', async () => {
    const report = await run({ objects: [{ schema: 'keys', tables: [{ name: 'good', excludeColumns: ['nope', 'id'], columns: { ghost: 'x' } }] }] });
    assert.match(item(report, 'mapping-unknown-column').message, /keys\.good: nope, ghost/);
    assert.match(item(report, 'mapping-excluded-key').message, /keys\.good\.id \(in primary key good_pkey\)/);
  });

  it('extension members, TimescaleDB hypertables and stray sequences are reported', async () => {
    const report = await run({ objects: [{ schema: 'ext' }] });
    assert.match(item(report, 'unsupported-extension-object').message, /table ext\.member \(extension plpgsql\)/);
    assert.match(item(report, 'sequences').message, /ext\.plain\.n uses public\.free_seq \(owned by no table\)/);
    // TimescaleDB's catalog, as far as the check reads it.
    await cs.src.query(`CREATE SCHEMA _timescaledb_catalog; CREATE TABLE _timescaledb_catalog.hypertable (schema_name name, table_name name);
      INSERT INTO _timescaledb_catalog.hypertable VALUES ('ts', 'metrics')`);
    try {
      assert.match(item(await run({ objects: [{ schema: 'ts' }] }), 'unsupported-hypertable').message, /ts\.metrics/);
    } finally {
      await cs.src.query('DROP SCHEMA _timescaledb_catalog CASCADE');
    }
  });

  it('row filters: an invalid filter fails with the validator\'s reason, a valid one passes', async () => {
    const bad = await run({ objects: [{ schema: 'rf', tables: [{ name: 't', where: 'random() > 0.5' }] }] });
    assert.match(item(bad, 'row-filter').message, /rf\.t: .*random\(\)/);
    const stable = await run({ objects: [{ schema: 'rf', tables: [{ name: 't', where: `date_trunc('day', at) > '2024-01-01'` }] }] });
    assert.match(item(stable, 'row-filter').message, /rf\.t: the source server rejects it/);
    const good = await run({ objects: [{ schema: 'rf', tables: [{ name: 't', where: `status = 'open'` }] }] });
    assert.equal(item(good, 'row-filter').passed, true);
    assert.equal(item(good, 'row-filter-version').passed, true);
  });

  it('pg-dts precheck --spec FILE --json prints the report and exits 1 when blocked, 0 otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-dts-precheck-'));
    const cli = (name: string, objects: unknown[], json = true) => {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify({
        name,
        source: { url: cs.pg.source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_SRC' },
        destination: { url: cs.pg.destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DST' },
        objects,
      }));
      return spawnSync('npx', ['tsx', 'src/cli/main.ts', 'precheck', '--spec', file, ...(json ? ['--json'] : [])], {
        cwd: ROOT, encoding: 'utf8', env: { ...process.env, PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD },
      });
    };
    const blocked = cli('cli-blocked', [{ schema: 'keys', tables: ['keyless'] }]);
    assert.equal(blocked.status, 1, blocked.stderr);
    const report = JSON.parse(blocked.stdout) as PrecheckReport;
    assert.equal(report.blocked, true);
    assert.match(item(report, 'primary-key').message, /keys\.keyless/);
    assert.ok(!blocked.stdout.includes(TEST_PASSWORD));

    const passed = cli('cli-passed', [{ schema: 'keys', tables: ['good'] }]);
    assert.equal(passed.status, 0, passed.stderr + passed.stdout);
    assert.equal((JSON.parse(passed.stdout) as PrecheckReport).blocked, false);

    const table = cli('cli-table', [{ schema: 'keys', tables: ['keyless'] }], false);
    assert.equal(table.status, 1);
    assert.match(table.stdout, /^ID\s+LEVEL\s+RESULT\s+MESSAGE\s+FIX/);
    assert.match(table.stdout, /primary-key\s+fail\s+FAILED\s+no primary key/);
    assert.match(table.stdout, /precheck BLOCKED/);
  });

  it('left nothing behind: no slot or publication on the source, no pg-dts schema or temp table on the destination', async () => {
    assert.deepEqual((await cs.src.query('SELECT slot_name FROM pg_replication_slots')).rows, []);
    assert.deepEqual((await cs.src.query('SELECT pubname FROM pg_publication')).rows, []);
    assert.deepEqual((await cs.src.query(`SELECT relname FROM pg_class WHERE relreplident = 'f' AND relnamespace::regnamespace::text NOT LIKE 'pg_%'`)).rows, []);
    assert.deepEqual((await cs.dst.query(`SELECT nspname FROM pg_namespace WHERE nspname IN ('_pg_dts', 'keys', 'priv')`)).rows, []);
    assert.deepEqual((await cs.dst.query(`SELECT relname FROM pg_class WHERE relname = 'pg_dts_precheck_df'`)).rows, []);
  });
});
