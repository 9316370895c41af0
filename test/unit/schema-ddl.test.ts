// The schema plan from catalog definitions, without a server: column renames and exclusions reach every
// statement, objects using an excluded column are left out and reported, partitions and keys come in
// the order the server needs.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadColumnParser } from '../../src/schema/column-map';
import { DdlGenerator, SchemaSpecError, type PlanInput } from '../../src/schema/ddl';
import type { ColumnDef, ConstraintDef, IndexDef, SequenceDef, TableDef } from '../../src/schema/introspect';
import { parseTaskSpec } from '../../src/spec/validate';

const column = (name: string, typeSql: string, extra: Partial<ColumnDef> = {}): ColumnDef => ({
  name, typeOid: 23, typeSql, collationSql: null, notNull: false, defaultSql: null, identity: '', identitySequence: null,
  generatedSql: null, comment: null, inherited: false, ...extra,
});
const constraint = (name: string, type: ConstraintDef['type'], definition: string, extra: Partial<ConstraintDef> = {}): ConstraintDef => ({
  name, type, columns: [], definition, comment: null, inherited: false, parentIndex: null, ...extra,
});
const index = (name: string, definition: string, extra: Partial<IndexDef> = {}): IndexDef => ({
  name, definition, comment: null, parentIndex: null, constraint: false, ...extra,
});
const table = (schema: string, name: string, extra: Partial<TableDef>): TableDef => ({
  ref: { schema, name }, kind: 'r', comment: null, columns: [], constraints: [], indexes: [], ownedSequences: [], defaultSequences: [],
  partitionKey: null, partition: null, partitions: [], ...extra,
});
const seq = (schema: string, name: string): SequenceDef => ({
  oid: 1, ref: { schema, name }, regclassText: `${schema}.${name}`, dataType: 'bigint', start: '1', increment: '1', min: '1',
  max: '9223372036854775807', cache: '1', cycle: false, comment: null,
});

const customers = table('app', 'customers', {
  columns: [column('id', 'integer', { notNull: true }), column('email', 'text')],
  constraints: [constraint('customers_pkey', 'p', 'PRIMARY KEY (id)')],
});

const orders = table('app', 'orders', {
  columns: [
    column('id', 'bigint', { notNull: true, defaultSql: `nextval('app.orders_id_seq'::regclass)` }),
    column('customer_id', 'integer'),
    column('qty', 'integer', { comment: 'how many' }),
    column('note', 'text', { comment: 'gone' }),
    column('total', 'integer', { generatedSql: '(qty * 2)' }),
    column('shouted', 'text', { generatedSql: 'upper(note)' }),
  ],
  constraints: [
    constraint('orders_pkey', 'p', 'PRIMARY KEY (id)'),
    constraint('orders_qty_check', 'c', 'CHECK ((qty > 0))', { comment: 'positive' }),
    constraint('orders_note_check', 'c', `CHECK ((note <> ''::text))`),
    constraint('orders_late', 'c', 'CHECK ((qty < 100)) NOT VALID'),
    constraint('orders_customer_fk', 'f', 'FOREIGN KEY (customer_id) REFERENCES app.customers(id) ON DELETE CASCADE', {
      refTable: { schema: 'app', name: 'customers' },
    }),
  ],
  indexes: [
    index('orders_pkey', 'CREATE UNIQUE INDEX orders_pkey ON app.orders USING btree (id)', { constraint: true }),
    index('orders_qty_idx', 'CREATE INDEX orders_qty_idx ON app.orders USING btree (customer_id) INCLUDE (qty) WHERE (qty > 1)', { comment: 'c' }),
    index('orders_note_idx', 'CREATE INDEX orders_note_idx ON app.orders USING btree (lower(note))', { comment: 'skipped too' }),
  ],
  ownedSequences: [{ sequence: seq('app', 'orders_id_seq'), column: 'id' }],
});

function plan(objects: unknown, tables: TableDef[], extra: Partial<PlanInput> = {}) {
  const spec = parseTaskSpec({ name: 't', source: { url: 'postgresql://a@h/d' }, destination: { url: 'postgresql://a@h/d' }, objects });
  const regclassText = new Map(tables.flatMap((t) => [t, ...t.partitions]).map((t) => [`${t.ref.schema}.${t.ref.name}`, `${t.ref.schema}.${t.ref.name}`]));
  return new DdlGenerator({ spec, tables, types: [], standaloneSequences: [], schemas: [{ name: 'app', comment: 'the app' }], regclassText, ...extra }).plan();
}

describe('schema plan', () => {
  before(() => loadColumnParser());

  const mapped = (): ReturnType<typeof plan> =>
    plan(
      [{ schema: 'app', rename: 'shop', tables: ['customers', { name: 'orders', columns: { qty: 'quantity' }, excludeColumns: ['note'] }] }],
      [customers, orders],
    );

  it('creates the table with destination column names, without the excluded column or what uses it', () => {
    const create = mapped().beforeData.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS "shop"."orders"'))!;
    assert.equal(
      create,
      [
        'CREATE TABLE IF NOT EXISTS "shop"."orders" (',
        `  "id" bigint DEFAULT nextval('"shop"."orders_id_seq"'::regclass) NOT NULL,`,
        '  "customer_id" integer,',
        '  "quantity" integer,',
        '  "total" integer GENERATED ALWAYS AS (("quantity" * 2)) STORED,',
        '  CONSTRAINT "orders_pkey" PRIMARY KEY (id),',
        '  CONSTRAINT "orders_qty_check" CHECK (("quantity" > 0))',
        ')',
      ].join('\n'),
    );
  });

  it('adds a NOT VALID check after the table (inside CREATE TABLE the server would validate it)', () => {
    const p = mapped().beforeData;
    const late = p.findIndex((s) => s.includes('"orders_late"'));
    assert.ok(late > p.findIndex((s) => s.startsWith('CREATE TABLE IF NOT EXISTS "shop"."orders"')));
    assert.match(p[late]!, /ADD CONSTRAINT "orders_late" CHECK \(\("quantity" < 100\)\) NOT VALID; END IF/);
  });

  it('maps comments, sequence ownership and indexes; reports what uses the excluded column', () => {
    const p = mapped();
    assert.ok(p.beforeData.includes(`COMMENT ON COLUMN "shop"."orders"."quantity" IS 'how many'`));
    assert.ok(p.beforeData.includes(`COMMENT ON CONSTRAINT "orders_qty_check" ON "shop"."orders" IS 'positive'`));
    assert.ok(p.beforeData.includes(`COMMENT ON SCHEMA "shop" IS 'the app'`));
    assert.ok(p.beforeData.includes('ALTER SEQUENCE "shop"."orders_id_seq" OWNED BY "shop"."orders"."id"'));
    assert.ok(!p.beforeData.some((s) => s.includes('gone') || s.includes('"note"')), 'nothing about the excluded column');
    assert.deepEqual(p.afterData, [
      [
        `CREATE INDEX IF NOT EXISTS orders_qty_idx ON "shop"."orders" USING btree (customer_id) INCLUDE ("quantity") WHERE ("quantity" > 1)`,
        `COMMENT ON INDEX "shop"."orders_qty_idx" IS 'c'`,
      ],
    ]);
    assert.deepEqual(p.skippedForExcludedColumns, [
      'app.orders: generated column shouted uses excluded column(s) note',
      'app.orders: check constraint orders_note_check uses excluded column(s) note',
      'app.orders: index orders_note_idx uses excluded column(s) note',
    ]);
  });

  it('maps a foreign key\'s referenced columns with the referenced table\'s renames', () => {
    const p = plan(
      [{ schema: 'app', tables: [{ name: 'customers', columns: { id: 'customer_no' } }, 'orders'] }],
      [customers, orders],
    );
    assert.deepEqual(p.foreignKeys, [
      'DO $pgdts$ BEGIN ALTER TABLE "app"."orders" ADD CONSTRAINT "orders_customer_fk" FOREIGN KEY (customer_id) REFERENCES "app"."customers"("customer_no") ON DELETE CASCADE; ' +
        'EXCEPTION WHEN duplicate_object OR duplicate_table THEN NULL; END $pgdts$',
    ]);
    assert.deepEqual(p.skippedForeignKeys, []);
  });

  it('leaves the server\'s text untouched when no column is renamed, and skips a foreign key to an unselected table', () => {
    const p = plan([{ schema: 'app', tables: ['orders'] }], [orders]);
    assert.ok(p.beforeData.some((s) => s.includes(`CONSTRAINT "orders_note_check" CHECK ((note <> ''::text))`)));
    assert.deepEqual(p.skippedForeignKeys, ['app.orders.orders_customer_fk -> app.customers']);
  });

  it('defers keys after the data when asked, with their comments after them', () => {
    const withComment = { ...orders, constraints: orders.constraints.map((c) => (c.type === 'p' ? { ...c, comment: 'the key' } : c)) };
    const p = plan([{ schema: 'app' }], [withComment], { deferKeys: true });
    assert.ok(!p.beforeData.some((s) => s.includes('PRIMARY KEY')));
    assert.match(p.afterData[0]![0]!, /IF NOT EXISTS \(SELECT 1 FROM pg_constraint WHERE conrelid = '"app"."orders"'::regclass AND conname = 'orders_pkey'\) THEN ALTER TABLE "app"."orders" ADD CONSTRAINT "orders_pkey" PRIMARY KEY \(id\)/);
    assert.equal(p.afterData[0]!.at(-1), `COMMENT ON CONSTRAINT "orders_pkey" ON "app"."orders" IS 'the key'`);
  });

  const events = (): TableDef => {
    const cols = [column('id', 'bigint', { notNull: true }), column('at', 'date', { notNull: true }), column('v', 'text')];
    const root = table('app', 'events', {
      kind: 'p', partitionKey: 'RANGE (at)', columns: cols,
      constraints: [constraint('events_pkey', 'p', 'PRIMARY KEY (id, at)')],
      indexes: [index('events_v_idx', 'CREATE INDEX events_v_idx ON ONLY app.events USING btree (v)')],
    });
    const part = table('app_parts', 'events_2024', {
      columns: cols.map((c) => ({ ...c, inherited: true, ...(c.name === 'v' ? { notNull: true, defaultSql: `'x'::text` } : {}) })),
      partition: { parent: root.ref, bound: `FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`, level: 1 },
      constraints: [constraint('events_2024_key', 'p', 'PRIMARY KEY (id, at)', { inherited: true, parentIndex: 'events_pkey' })],
      indexes: [
        index('events_2024_key', 'CREATE UNIQUE INDEX events_2024_key ON app_parts.events_2024 USING btree (id, at)', { constraint: true, parentIndex: 'events_pkey' }),
        index('events_2024_v', 'CREATE INDEX events_2024_v ON app_parts.events_2024 USING btree (v)', { parentIndex: 'events_v_idx' }),
      ],
    });
    root.partitions = [part];
    return root;
  };

  it('creates partitions from their parent in their own mapped schema, with what differs from the parent', () => {
    const p = plan([{ schema: 'app', tables: [{ name: 'events', columns: { at: 'happened_at' } }] }], [events()], { deferKeys: true });
    assert.ok(p.beforeData.includes('CREATE SCHEMA IF NOT EXISTS "app_parts"'));
    const parts = p.beforeData.filter((s) => s.includes('events_2024'));
    assert.deepEqual(parts, [
      `CREATE TABLE IF NOT EXISTS "app_parts"."events_2024" PARTITION OF "app"."events" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`,
      'ALTER TABLE "app_parts"."events_2024" ALTER COLUMN "v" SET NOT NULL',
      `ALTER TABLE "app_parts"."events_2024" ALTER COLUMN "v" SET DEFAULT 'x'::text`,
    ]);
    assert.ok(p.beforeData.some((s) => s.endsWith(') PARTITION BY RANGE ("happened_at")')));
    const group = p.afterData[0]!;
    assert.match(group[0]!, /ADD CONSTRAINT "events_pkey" PRIMARY KEY \(id, "happened_at"\)/);
    assert.match(group[1]!, /to_regclass\('"app"."events_pkey"'\) AND x.indrelid = '"app_parts"."events_2024"'::regclass; IF cur IS NOT NULL AND cur <> 'events_2024_key'/);
    assert.deepEqual(group.slice(2), [
      'CREATE INDEX IF NOT EXISTS events_v_idx ON ONLY "app"."events" USING btree (v)',
      'CREATE INDEX IF NOT EXISTS events_2024_v ON "app_parts"."events_2024" USING btree (v)',
      `DO $pgdts$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = '"app_parts"."events_2024_v"'::regclass) ` +
        'THEN ALTER INDEX "app"."events_v_idx" ATTACH PARTITION "app_parts"."events_2024_v"; END IF; END $pgdts$',
    ]);
  });

  it('refuses to exclude a partition key column, naming the spec entry and the fix', () => {
    assert.throws(
      () => plan([{ schema: 'app', tables: [{ name: 'events', excludeColumns: ['at'] }] }], [events()]),
      (err: Error) => err instanceof SchemaSpecError && /excludeColumns lists at, part of the partition key of app.events \(RANGE \(at\)\).*remove it from excludeColumns/.test(err.message),
    );
  });

  it('creates an identity column with its source sequence name (the server would pick another after a table rename)', () => {
    const t = table('app', 'renamed', {
      columns: [column('id', 'bigint', { notNull: true, identity: 'a', identitySequence: { ...seq('app', 'old_name_id_seq'), comment: 'ids' } })],
    });
    const p = plan([{ schema: 'app' }], [t]);
    assert.ok(p.beforeData.some((s) => s.includes('"id" bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME "app"."old_name_id_seq" START WITH 1 INCREMENT BY 1')));
    assert.ok(p.beforeData.includes(`COMMENT ON SEQUENCE "app"."old_name_id_seq" IS 'ids'`));
  });
});
