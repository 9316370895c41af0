// Which replayed DDL makes the task copy a table again (src/ddl/recopy.ts), and how ATTACH / DETACH
// PARTITION and CREATE TABLE … (LIKE …) are translated (translate-partition.ts, translate-create.ts).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { tableOperations, type Mapping, type TableRef } from '../../src/catalog/names';
import { loadDdlParser } from '../../src/ddl/parser';
import { translateDdl, type DdlContext, type DdlDecision } from '../../src/ddl/translate';

const MAPPING: Mapping = {
  nameCase: 'default',
  objects: [{ schema: 'app' }, { schema: 'crm', tables: [{ name: 'people', columns: { email: 'mail' } }] }],
};
const TABLES: TableRef[] = [
  { schema: 'app', name: 'orders' }, { schema: 'app', name: 'events' }, { schema: 'app', name: 'events_2027_02' },
  { schema: 'app', name: 'events_2026_11' }, { schema: 'staging', name: 'events_2027_01' }, { schema: 'crm', name: 'people' },
];

function context(): DdlContext {
  const find = (schema: string, name: string) => TABLES.find((t) => t.schema === schema && t.name === name) ?? null;
  return {
    mapping: MAPPING,
    searchPath: ['app'],
    resolveTable: (n) => (n.schema ? find(n.schema, n.name) : find('app', n.name)),
    isSelected: (t) => t.schema === 'app' || (t.schema === 'crm' && t.name === 'people'),
    selectsWholeSchema: (s) => s === 'app',
    ddlEnabled: (t) => tableOperations(MAPPING, t).ddl,
  };
}

const decide = (sql: string): DdlDecision => translateDdl(sql, context());
const recopies = (d: DdlDecision) => (d.kind === 'apply' ? d.effects.filter((e) => e.type === 'recopy-table') : []);

describe('DDL that needs the table copied again', () => {
  before(loadDdlParser);

  for (const sql of [
    'ALTER TABLE app.orders ADD COLUMN created timestamptz NOT NULL DEFAULT now()',
    'ALTER TABLE app.orders ADD COLUMN created timestamptz DEFAULT CURRENT_TIMESTAMP',
    "ALTER TABLE app.orders ADD COLUMN created date DEFAULT 'today'",
    'ALTER TABLE app.orders ADD COLUMN token uuid DEFAULT gen_random_uuid()',
    'ALTER TABLE app.orders ADD COLUMN r float8 DEFAULT random() * 10',
    'ALTER TABLE app.orders ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY',
    'ALTER TABLE app.orders ADD COLUMN n bigserial',
    "ALTER TABLE app.orders ADD COLUMN n bigint DEFAULT nextval('app.seq')",
    'ALTER TABLE app.orders ALTER COLUMN amount TYPE bigint USING (amount + (random() * 0)::int)',
    'ALTER TABLE app.orders ADD COLUMN a int DEFAULT 1, ADD COLUMN created timestamptz DEFAULT statement_timestamp()',
  ]) {
    it(`copies app.orders again after: ${sql}`, () => {
      const d = decide(sql);
      assert.equal(d.kind, 'apply', JSON.stringify(d));
      const r = recopies(d);
      assert.equal(r.length, 1);
      assert.deepEqual((r[0] as { table: TableRef }).table, { schema: 'app', name: 'orders' });
    });
  }

  for (const sql of [
    'ALTER TABLE app.orders ADD COLUMN a int DEFAULT 0',
    "ALTER TABLE app.orders ADD COLUMN s text NOT NULL DEFAULT lower('X')",
    "ALTER TABLE app.orders ADD COLUMN d date DEFAULT '2020-01-01'",
    'ALTER TABLE app.orders ADD COLUMN g int GENERATED ALWAYS AS (amount * 2) STORED',
    'ALTER TABLE app.orders ALTER COLUMN amount TYPE bigint',
    'ALTER TABLE app.orders ALTER COLUMN amount SET DEFAULT now()',
  ]) {
    it(`replays without a copy: ${sql}`, () => {
      const d = decide(sql);
      assert.equal(d.kind, 'apply', JSON.stringify(d));
      assert.deepEqual(recopies(d), []);
    });
  }
});

describe('ATTACH / DETACH PARTITION and LIKE', () => {
  before(loadDdlParser);

  it('ATTACH of a table the task does not sync: created LIKE the parent, attached, the parent copied again', () => {
    const d = decide("ALTER TABLE app.events ATTACH PARTITION staging.events_2027_01 FOR VALUES FROM ('2027-01-01') TO ('2027-02-01')");
    assert.equal(d.kind, 'apply', JSON.stringify(d));
    assert.deepEqual(d.kind === 'apply' && d.statements, [
      'CREATE SCHEMA IF NOT EXISTS "staging"',
      'CREATE TABLE IF NOT EXISTS "staging"."events_2027_01" (LIKE "app"."events")',
      "ALTER TABLE app.events ATTACH PARTITION staging.events_2027_01 FOR VALUES FROM ('2027-01-01') TO ('2027-02-01')",
    ]);
    assert.deepEqual(recopies(d).map((e) => (e as { table: TableRef }).table), [{ schema: 'app', name: 'events' }]);
  });

  it('ATTACH of a table the task syncs: replayed as is, no copy', () => {
    const d = decide("ALTER TABLE app.events ATTACH PARTITION events_2027_02 FOR VALUES FROM ('2027-02-01') TO ('2027-03-01')");
    assert.deepEqual(d.kind === 'apply' && d.statements, ["ALTER TABLE app.events ATTACH PARTITION app.events_2027_02 FOR VALUES FROM ('2027-02-01') TO ('2027-03-01')"]);
    assert.deepEqual(recopies(d), []);
  });

  it('DETACH CONCURRENTLY is replayed as a plain DETACH; FINALIZE changes nothing', () => {
    const d = decide('ALTER TABLE app.events DETACH PARTITION app.events_2026_11 CONCURRENTLY');
    assert.deepEqual(d.kind === 'apply' && d.statements, ['ALTER TABLE app.events DETACH PARTITION app.events_2026_11']);
    const f = decide('ALTER TABLE app.events DETACH PARTITION app.events_2026_11 FINALIZE');
    assert.deepEqual(f.kind === 'apply' && f.statements, []);
  });

  it('CREATE TABLE (LIKE a synced table) names the destination table; LIKE a remapped table is refused', () => {
    const d = decide('CREATE TABLE app.events_2027_03 (LIKE app.events INCLUDING ALL)');
    assert.deepEqual(d.kind === 'apply' && d.statements, ['CREATE TABLE app.events_2027_03 (LIKE app.events INCLUDING ALL)']);
    const r = decide('CREATE TABLE app.people_copy (LIKE crm.people)');
    assert.equal(r.kind, 'skip');
    assert.match(r.kind === 'skip' ? r.detail : '', /renamed or excluded/);
    const outside = decide('CREATE TABLE app.x (LIKE staging.events_2027_01)');
    assert.equal(outside.kind === 'skip' && outside.reason, 'outside-selection');
  });
});
