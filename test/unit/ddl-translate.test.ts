// Captured DDL -> destination SQL: which statements are replicated, which are skipped and why, and the
// names they carry on the destination (table/schema renames, case policies, bulk rules, column renames and
// exclusions). Every expected statement is the exact text the applier will run.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { tableOperations, type Mapping, type TableRef } from '../../src/catalog/names';
import { loadDdlParser } from '../../src/ddl/parser';
import type { DdlContext } from '../../src/ddl/translate';
import { translationAsserts } from './ddl-fixture';

/**
 * The source: schema app selected whole (minus audit_log), schema Crm with listed tables (Customers renamed,
 * a column renamed and one excluded; frozen with ddl off), schema legacy whole with ddl off, other unselected.
 */
const MAPPING: Mapping = {
  nameCase: 'default',
  objects: [
    { schema: 'app', excludeTables: ['audit_log'] },
    {
      schema: 'Crm',
      rename: 'crm_dst',
      tables: ['orders', { name: 'Customers', rename: 'clients', columns: { email: 'contact_email' }, excludeColumns: ['ssn'] }, { name: 'frozen', ddl: false }],
    },
    { schema: 'legacy', ddl: false },
  ],
};

const SOURCE_TABLES: TableRef[] = [
  { schema: 'app', name: 'items' },
  { schema: 'app', name: 'Line Items' },
  { schema: 'app', name: 'audit_log' },
  { schema: 'app', name: 'restrict' },
  { schema: 'Crm', name: 'orders' },
  { schema: 'Crm', name: 'Customers' },
  { schema: 'Crm', name: 'frozen' },
  { schema: 'Crm', name: 'unlisted' },
  { schema: 'legacy', name: 'old' },
  { schema: 'other', name: 'ext' },
  { schema: 'other', name: 'items' },
];

function context(mapping: Mapping = MAPPING, searchPath = ['app', 'public']): DdlContext {
  const find = (schema: string, name: string) => SOURCE_TABLES.find((t) => t.schema === schema && t.name === name) ?? null;
  const whole = (schema: string) => mapping.objects.some((o) => o.schema === schema && !o.tables);
  return {
    mapping,
    searchPath,
    resolveTable: (n) => (n.schema ? find(n.schema, n.name) : searchPath.map((s) => find(s, n.name)).find((t) => t) ?? null),
    isSelected: (t) => {
      const entry = mapping.objects.find((o) => o.schema === t.schema);
      if (!entry) return false;
      if (!entry.tables) return !entry.excludeTables?.includes(t.name);
      return entry.tables.some((x) => (typeof x === 'string' ? x : x.name) === t.name);
    },
    selectsWholeSchema: whole,
    ddlEnabled: (t) => tableOperations(mapping, t).ddl,
  };
}

const { applied, skipped } = translationAsserts(() => context());

/** The one destination statement. */
function dest(sql: string, ctx = context()): string {
  const d = applied(sql, ctx);
  assert.equal(d.statements.length, 1, JSON.stringify(d));
  return d.statements[0]!;
}

const APP_ITEMS = { schema: 'app', name: 'items' };
const CUSTOMERS = { schema: 'Crm', name: 'Customers' };

describe('translateDdl', () => {
  before(() => loadDdlParser());

  describe('CREATE TABLE', () => {
    it('creates a table of a whole-selected schema, schema-qualified, with defaults, NOT NULL and constraints', () => {
      const d = applied(
        `CREATE TABLE widgets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "Label" text NOT NULL DEFAULT 'none', ` +
          `qty int CHECK (qty >= 0), item_id int REFERENCES items (id) ON DELETE CASCADE, created timestamptz DEFAULT now())`,
      );
      assert.deepEqual(d.statements, [
        `CREATE TABLE app.widgets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "Label" text NOT NULL DEFAULT 'none', ` +
          `qty int CHECK (qty >= 0), item_id int REFERENCES app.items (id) ON DELETE CASCADE, created timestamptz DEFAULT pg_catalog.now())`,
      ]);
      assert.deepEqual(d.effects, [{ type: 'create-table', table: { schema: 'app', name: 'widgets' } }]);
      assert.deepEqual(d.dropped, []);
      assert.deepEqual(d.searchPath, ['app', 'public']);
    });

    it('resolves an unqualified name to the first schema of the capturing session\'s search path', () => {
      assert.equal(dest('CREATE TABLE t (a int)', context(MAPPING, ['app', 'Crm'])), 'CREATE TABLE app.t (a int)');
      skipped('CREATE TABLE t (a int)', 'outside-selection', /Crm.t was created in schema Crm, which the task does not select as a whole.*modifyObjects/, context(MAPPING, ['Crm', 'app']));
      skipped('CREATE TABLE t (a int)', 'unsupported', /search path is empty/, context(MAPPING, []));
    });

    it('maps quoted mixed-case names by the case policy', () => {
      const sql = 'CREATE TABLE app."NewTable" ("Id" int PRIMARY KEY, "Full Name" text)';
      assert.equal(dest(sql), 'CREATE TABLE app.newtable ("Id" int PRIMARY KEY, "Full Name" text)');
      assert.equal(dest(sql, context({ ...MAPPING, nameCase: 'source' })), 'CREATE TABLE app."NewTable" ("Id" int PRIMARY KEY, "Full Name" text)');
      assert.equal(dest(sql, context({ ...MAPPING, nameCase: 'lower' })), 'CREATE TABLE app.newtable (id int PRIMARY KEY, "full name" text)');
      assert.equal(dest(sql, context({ ...MAPPING, nameCase: 'upper' })), 'CREATE TABLE "APP"."NEWTABLE" ("ID" int PRIMARY KEY, "FULL NAME" text)');
    });

    it('applies bulk rename rules to schema, table and every column reference (constraints, defaults, checks)', () => {
      const ctx = context({
        ...MAPPING,
        renameRules: { schemas: { suffix: '_copy' }, tables: { prefix: 't_' }, columns: { replace: [{ from: 'qty', to: 'quantity' }], suffix: '_c' } },
      });
      assert.equal(
        dest('CREATE TABLE app.stock (id int, qty int CHECK (qty > 0), total int GENERATED ALWAYS AS (qty * 2) STORED, PRIMARY KEY (id), UNIQUE (qty, id), CHECK (app.stock.qty < 1000))', ctx),
        'CREATE TABLE app_copy.t_stock (id_c int, quantity_c int CHECK (quantity_c > 0), total_c int GENERATED ALWAYS AS (quantity_c * 2) STORED, ' +
          'PRIMARY KEY (id_c), UNIQUE (quantity_c, id_c), CHECK (app_copy.t_stock.quantity_c < 1000))',
      );
    });

    it('maps foreign keys to selected tables, with their renamed columns', () => {
      const d = applied('CREATE TABLE notes (id int, cust text, FOREIGN KEY (cust) REFERENCES "Crm"."Customers" (email) ON UPDATE RESTRICT, order_id int REFERENCES "Crm".orders)');
      assert.deepEqual(d.statements, [
        'CREATE TABLE app.notes (id int, cust text, FOREIGN KEY (cust) REFERENCES crm_dst.clients (contact_email) ON UPDATE RESTRICT, order_id int REFERENCES crm_dst.orders)',
      ]);
      assert.deepEqual(d.dropped, []);
    });

    it('keeps a foreign key to the table itself', () => {
      assert.equal(
        dest('CREATE TABLE app.tree (id int PRIMARY KEY, parent int REFERENCES tree (id) DEFERRABLE INITIALLY DEFERRED)'),
        'CREATE TABLE app.tree (id int PRIMARY KEY, parent int REFERENCES app.tree (id) DEFERRABLE INITIALLY DEFERRED)',
      );
    });

    it('leaves out (and reports) foreign keys to tables not synced or to excluded columns, as the schema phase does', () => {
      const d = applied(
        'CREATE TABLE notes (a int REFERENCES other.ext (id) DEFERRABLE INITIALLY DEFERRED NOT NULL, b int, c text, ' +
          'CONSTRAINT fk_b FOREIGN KEY (b) REFERENCES "Crm".unlisted (id), CONSTRAINT fk_c FOREIGN KEY (c) REFERENCES "Crm"."Customers" (ssn))',
      );
      assert.deepEqual(d.statements, ['CREATE TABLE app.notes (a int NOT NULL, b int, c text)']);
      assert.deepEqual(d.dropped, [
        { reason: 'outside-selection', detail: 'foreign key of column a references other.ext, a table the task does not sync: left out on the destination' },
        { reason: 'outside-selection', detail: 'foreign key fk_b of app.notes references Crm.unlisted, a table the task does not sync: left out on the destination' },
        { reason: 'excluded-column', detail: 'foreign key fk_c of app.notes (referenced columns of Crm.Customers) uses excluded column(s) ssn: left out on the destination' },
      ]);
    });

    it('keeps UNIQUE/PRIMARY KEY INCLUDE and WITH, NULLS NOT DISTINCT, EXCLUDE, deferrable and NOT VALID-free checks; drops tablespaces', () => {
      assert.equal(
        dest(
          'CREATE TABLE IF NOT EXISTS app.slots (id int, room int, during tstzrange, note text COLLATE "C", ' +
            'CONSTRAINT slots_pk PRIMARY KEY (id) INCLUDE (note) WITH (fillfactor = 90) USING INDEX TABLESPACE fast, ' +
            'UNIQUE NULLS NOT DISTINCT (room, note) DEFERRABLE, EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (room > 0)) WITH (fillfactor = 70) TABLESPACE fast',
        ),
        'CREATE TABLE IF NOT EXISTS app.slots (id int, room int, during tstzrange, note text COLLATE "C", ' +
          'CONSTRAINT slots_pk PRIMARY KEY (id) INCLUDE (note) WITH (fillfactor=90), UNIQUE NULLS NOT DISTINCT (room, note) DEFERRABLE, ' +
          'EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (room > 0)) WITH (fillfactor=70)',
      );
    });

    it('keeps EXCLUDE with INCLUDE, a qualified operator and a predicate (pgsql-deparser alone would drop or garble them)', () => {
      assert.equal(
        dest('CREATE TABLE app.booking (room int, during tstzrange, note text, EXCLUDE USING gist (room WITH =, during WITH OPERATOR(pg_catalog.&&)) INCLUDE (note) WHERE (room > 0) DEFERRABLE)'),
        'CREATE TABLE app.booking (room int, during tstzrange, note text, EXCLUDE USING gist (room WITH =, during WITH OPERATOR(pg_catalog.&&)) INCLUDE (note) WHERE (room > 0) DEFERRABLE)',
      );
    });

    it('refuses what pgsql-deparser cannot print back exactly instead of running something else', () => {
      // PostgreSQL 17's AT LOCAL comes back from the deparser as timezone(now()): a different statement.
      skipped('CREATE TABLE app.ev (at timestamptz DEFAULT (now() AT LOCAL))', 'unsupported', /pgsql-deparser does not reproduce the statement exactly/);
    });

    it('maps user types, sequences and functions of selected schemas the way the schema phase named them', () => {
      assert.equal(
        dest(
          `CREATE TABLE app.tickets (id int DEFAULT nextval('"Crm".ticket_seq'), state "Crm"."State" DEFAULT 'new'::"Crm"."State", ` +
            `tags app."Tag"[], code text DEFAULT "Crm".make_code(), other_seq int DEFAULT nextval('other.s'::regclass))`,
        ),
        `CREATE TABLE app.tickets (id int DEFAULT pg_catalog.nextval('crm_dst.ticket_seq'), state crm_dst.state DEFAULT CAST('new' AS crm_dst.state), ` +
          `tags app.tag[], code text DEFAULT crm_dst.make_code(), other_seq int DEFAULT pg_catalog.nextval(CAST('other.s' AS regclass)))`,
      );
    });

    it('gives the destination search path: selected schemas renamed, others kept', () => {
      assert.deepEqual(applied('CREATE TABLE t ()', context(MAPPING, ['app', 'Crm', 'public', 'pg_temp_3'])).searchPath, ['app', 'crm_dst', 'public']);
    });

    it('parenthesises a DEFAULT that needs it (AT TIME ZONE, IS NULL, ...)', () => {
      assert.equal(
        dest(`CREATE TABLE app.ev (at timestamp DEFAULT (now() AT TIME ZONE 'utc'), ok bool DEFAULT (1 IS NULL), n int DEFAULT -1)`),
        `CREATE TABLE app.ev (at timestamp DEFAULT (pg_catalog.now() AT TIME ZONE 'utc'), ok bool DEFAULT (1 IS NULL), n int DEFAULT -1)`,
      );
    });

    it('skips tables outside the whole-schema selection and schemas with ddl off', () => {
      skipped('CREATE TABLE "Crm".newone (a int)', 'outside-selection', /does not select as a whole/);
      skipped('CREATE TABLE other.t (a int)', 'outside-selection', /other.t was created in schema other/);
      skipped('CREATE TABLE app.audit_log (a int)', 'outside-selection', /app.audit_log is in excludeTables of schema app/);
      skipped('CREATE TABLE legacy.t (a int)', 'ddl-disabled', /"ddl": false.*legacy/);
    });

    it('refuses temporary, unlogged, partitioned, LIKE, INHERITS and AS SELECT tables', () => {
      skipped('CREATE TEMP TABLE t (a int)', 'unsupported', /temporary/);
      skipped('CREATE TABLE pg_temp.t (a int)', 'unsupported', /temporary/);
      skipped('CREATE UNLOGGED TABLE t (a int)', 'unsupported', /unlogged/);
      skipped('CREATE TABLE t (a int) PARTITION BY RANGE ((a + 1))', 'unsupported', /partition key of app.t is an expression/);
      skipped('CREATE TABLE t (LIKE "Crm"."Customers" INCLUDING ALL)', 'unsupported', /LIKE Crm.Customers: its columns are renamed or excluded/);
      skipped('CREATE TABLE t (b int) INHERITS (items)', 'unsupported', /INHERITS/);
      skipped('CREATE TABLE t AS SELECT * FROM items', 'unsupported', /CREATE TABLE AS is not replicated/);
      skipped('SELECT * INTO t FROM items', 'unsupported', /SELECT INTO is not replicated/);
      skipped('CREATE TABLE t OF some_type', 'unsupported', /typed tables/);
    });
  });

  describe('DROP TABLE', () => {
    it('drops selected tables under their destination names', () => {
      const d = applied('DROP TABLE IF EXISTS items, "Crm"."Customers"');
      assert.deepEqual(d.statements, ['DROP TABLE IF EXISTS app.items, crm_dst.clients']);
      assert.deepEqual(d.effects, [
        { type: 'drop-table', table: APP_ITEMS },
        { type: 'drop-table', table: CUSTOMERS },
      ]);
      assert.equal(dest('DROP TABLE "Line Items"'), 'DROP TABLE app."line items"');
    });

    it('with IF EXISTS leaves out names the source did not have', () => {
      const d = applied('DROP TABLE IF EXISTS app.gone, items');
      assert.deepEqual(d.statements, ['DROP TABLE IF EXISTS app.items']);
      assert.deepEqual(d.dropped, [{ reason: 'outside-selection', detail: 'app.gone did not exist on the source: not dropped on the destination' }]);
    });

    it('skips the whole DROP when one of its tables is not synced or has ddl off', () => {
      skipped('DROP TABLE items, "Crm".unlisted', 'outside-selection', /Crm.unlisted is not selected by the task.*several tables/);
      skipped('DROP TABLE other.ext', 'outside-selection', /other.ext is not selected/);
      skipped('DROP TABLE app.audit_log', 'outside-selection', /app.audit_log is not selected/);
      skipped('DROP TABLE items, "Crm".frozen', 'ddl-disabled', /"ddl": false.*Crm.frozen/);
      skipped('DROP TABLE legacy.old', 'ddl-disabled', /legacy.old/);
    });

    it('skips an explicit CASCADE or RESTRICT, but not a table named restrict', () => {
      skipped('DROP TABLE items CASCADE', 'cascade-or-restrict', /CASCADE is written/);
      skipped('drop table items restrict', 'cascade-or-restrict', /RESTRICT is written/);
      skipped('DROP TABLE restrict RESTRICT', 'cascade-or-restrict', /RESTRICT is written/);
      assert.equal(dest('DROP TABLE restrict'), 'DROP TABLE app.restrict');
      assert.equal(dest('DROP TABLE items, restrict'), 'DROP TABLE app.items, app.restrict');
      assert.equal(dest("DROP TABLE items -- restrict\n"), 'DROP TABLE app.items');
    });

    it('refuses other DROPs', () => {
      // DROP INDEX needs the capture's record of the dropped index and its table (test/unit/ddl-migrations.test.ts).
      skipped('DROP INDEX app.items_idx', 'outside-selection', /index app.items_idx: the capture does not show it dropped/);
      skipped('DROP OPERATOR app.=== (int, int)', 'unsupported', /DROP OPERATOR is not replicated/);
      skipped('DROP SCHEMA app', 'unsupported', /DROP SCHEMA is not replicated/);
    });
  });

  describe('ALTER TABLE', () => {
    it('adds a column with DEFAULT, NOT NULL, CHECK and a foreign key, with names mapped', () => {
      const d = applied(`ALTER TABLE "Crm"."Customers" ADD COLUMN IF NOT EXISTS "Tier" int NOT NULL DEFAULT 0 CHECK ("Tier" BETWEEN 0 AND 5) REFERENCES "Crm".orders (id)`);
      assert.deepEqual(d.statements, [`ALTER TABLE crm_dst.clients ADD COLUMN IF NOT EXISTS "Tier" int NOT NULL DEFAULT 0 CHECK ("Tier" BETWEEN 0 AND 5) REFERENCES crm_dst.orders (id)`]);
      assert.deepEqual(d.effects, [{ type: 'alter-table', table: CUSTOMERS }]);
    });

    it('maps columns by the case policy and rename rules in every subcommand', () => {
      const ctx = context({ ...MAPPING, nameCase: 'upper', renameRules: { columns: { prefix: 'c_' } } });
      assert.equal(
        dest('ALTER TABLE ONLY items ADD "New" text, DROP COLUMN old, ALTER COLUMN price TYPE numeric(12,2) USING price::numeric / 100, ALTER qty SET DEFAULT 1, ALTER qty DROP DEFAULT, ALTER qty SET NOT NULL, ALTER note DROP NOT NULL', ctx),
        // The bulk rule comes after the case policy (names.ts), so the prefix keeps its own case.
        'ALTER TABLE ONLY "APP"."ITEMS" ADD COLUMN "c_NEW" text, DROP COLUMN "c_OLD", ALTER COLUMN "c_PRICE" TYPE numeric(12, 2) USING "c_PRICE"::numeric / 100, ' +
          'ALTER COLUMN "c_QTY" SET DEFAULT 1, ALTER COLUMN "c_QTY" DROP DEFAULT, ALTER COLUMN "c_QTY" SET NOT NULL, ALTER COLUMN "c_NOTE" DROP NOT NULL',
      );
    });

    it('maps explicit column renames (columns) in ALTER COLUMN ... TYPE ... USING', () => {
      assert.equal(
        dest('ALTER TABLE IF EXISTS "Crm"."Customers" ALTER COLUMN email SET DATA TYPE varchar(200) USING lower(email)'),
        'ALTER TABLE IF EXISTS crm_dst.clients ALTER COLUMN contact_email TYPE varchar(200) USING pg_catalog.lower(contact_email)',
      );
    });

    it('adds CHECK, UNIQUE, PRIMARY KEY and FOREIGN KEY constraints; an FK action RESTRICT is not a drop behavior', () => {
      assert.equal(
        dest(
          'ALTER TABLE "Crm"."Customers" ADD CONSTRAINT cust_email_ck CHECK (email LIKE \'%@%\') NOT VALID, ADD CONSTRAINT cust_uq UNIQUE (email) INCLUDE (id), ' +
            'ADD PRIMARY KEY (id), ADD CONSTRAINT cust_order_fk FOREIGN KEY (last_order) REFERENCES "Crm".orders (id) ON DELETE RESTRICT ON UPDATE CASCADE NOT VALID',
        ),
        "ALTER TABLE crm_dst.clients ADD CONSTRAINT cust_email_ck CHECK (contact_email LIKE '%@%') NOT VALID, ADD CONSTRAINT cust_uq UNIQUE (contact_email) INCLUDE (id), " +
          'ADD PRIMARY KEY (id), ADD CONSTRAINT cust_order_fk FOREIGN KEY (last_order) REFERENCES crm_dst.orders (id) ON UPDATE CASCADE ON DELETE RESTRICT NOT VALID',
      );
      assert.equal(
        dest('ALTER TABLE items ADD CONSTRAINT items_pk PRIMARY KEY USING INDEX "Items Idx" DEFERRABLE INITIALLY DEFERRED'),
        'ALTER TABLE app.items ADD CONSTRAINT items_pk PRIMARY KEY USING INDEX "Items Idx" DEFERRABLE INITIALLY DEFERRED',
      );
    });

    it('drops a constraint by its kept name, IF EXISTS (the destination may not have it)', () => {
      assert.equal(dest('ALTER TABLE "Crm"."Customers" DROP CONSTRAINT cust_uq'), 'ALTER TABLE crm_dst.clients DROP CONSTRAINT IF EXISTS cust_uq');
    });

    it('leaves out subcommands about excluded columns when others remain, and says so', () => {
      const d = applied('ALTER TABLE "Crm"."Customers" ADD COLUMN ssn text, ADD COLUMN phone text, DROP COLUMN ssn, ALTER COLUMN ssn TYPE int, ADD CONSTRAINT u UNIQUE (email, ssn), ALTER COLUMN email TYPE text USING email || ssn');
      assert.deepEqual(d.statements, ['ALTER TABLE crm_dst.clients ADD COLUMN phone text']);
      assert.deepEqual(
        d.dropped.map((x) => [x.reason, x.detail]),
        [
          ['excluded-column', 'column ssn of Crm.Customers is in excludeColumns: not added on the destination'],
          ['excluded-column', 'DROP COLUMN of column ssn of Crm.Customers: the column is in excludeColumns, not on the destination'],
          ['excluded-column', 'ALTER COLUMN ... TYPE of column ssn of Crm.Customers: the column is in excludeColumns, not on the destination'],
          ['excluded-column', 'ADD unique constraint u on Crm.Customers uses excluded column(s) ssn: left out on the destination'],
          ['excluded-column', 'the USING expression of ALTER COLUMN ... TYPE of column email uses excluded column(s) ssn: left out on the destination'],
        ],
      );
    });

    it('skips as excluded-column when every subcommand is about excluded columns', () => {
      skipped('ALTER TABLE "Crm"."Customers" DROP COLUMN ssn', 'excluded-column', /column ssn of Crm.Customers: the column is in excludeColumns/);
      skipped('ALTER TABLE "Crm"."Customers" ALTER ssn SET NOT NULL, ALTER ssn DROP DEFAULT', 'excluded-column', /SET NOT NULL of column ssn.*; .*DROP DEFAULT of column ssn/);
      skipped('ALTER TABLE "Crm"."Customers" ADD ssn text', 'excluded-column', /column ssn .* not added/);
    });

    it('leaves out a foreign key to a table not synced; alone it is skipped as outside-selection', () => {
      const d = applied('ALTER TABLE items ADD COLUMN ext_id int REFERENCES other.ext (id), ADD CONSTRAINT fk2 FOREIGN KEY (ext_id) REFERENCES other.ext (id)');
      assert.deepEqual(d.statements, ['ALTER TABLE app.items ADD COLUMN ext_id int']);
      assert.equal(d.dropped.length, 2);
      skipped('ALTER TABLE items ADD CONSTRAINT fk2 FOREIGN KEY (ext_id) REFERENCES "Crm".unlisted (id)', 'outside-selection', /fk2 on app.items references Crm.unlisted, a table the task does not sync/);
    });

    it('skips an explicit CASCADE or RESTRICT anywhere in the statement, but not a column named restrict', () => {
      skipped('ALTER TABLE items DROP COLUMN a CASCADE', 'cascade-or-restrict', /CASCADE/);
      skipped('ALTER TABLE items ADD b int, DROP COLUMN a RESTRICT', 'cascade-or-restrict', /RESTRICT/);
      skipped('ALTER TABLE items DROP CONSTRAINT c RESTRICT', 'cascade-or-restrict', /RESTRICT/);
      skipped('ALTER TABLE items DROP COLUMN restrict RESTRICT', 'cascade-or-restrict', /RESTRICT/);
      assert.equal(dest('ALTER TABLE items DROP COLUMN restrict'), 'ALTER TABLE app.items DROP COLUMN restrict');
      // Without the word this still parses (`USING + a`), but to another tree: a column, not a drop behavior.
      assert.equal(dest('ALTER TABLE items ALTER COLUMN a TYPE bigint USING restrict + a'), 'ALTER TABLE app.items ALTER COLUMN a TYPE bigint USING restrict + a');
      // Token offsets are bytes: a multi-byte name before the word must not throw the check off.
      skipped('ALTER TABLE items DROP COLUMN "prix €" RESTRICT', 'cascade-or-restrict', /RESTRICT/);
      assert.equal(dest('ALTER TABLE items DROP COLUMN "prix €"'), 'ALTER TABLE app.items DROP COLUMN "prix €"');
      assert.equal(dest('ALTER TABLE items ADD COLUMN restrict int'), 'ALTER TABLE app.items ADD COLUMN restrict int');
    });

    it('skips tables not synced or with ddl off', () => {
      skipped('ALTER TABLE other.ext ADD b int', 'outside-selection', /other.ext is not selected/);
      skipped('ALTER TABLE "Crm".unlisted ADD b int', 'outside-selection', /Crm.unlisted/);
      skipped('ALTER TABLE nowhere ADD b int', 'outside-selection', /nowhere is not a table the task knows/);
      skipped('ALTER TABLE "Crm".frozen ADD b int', 'ddl-disabled', /Crm.frozen/);
      skipped('ALTER TABLE legacy.old DROP COLUMN b CASCADE', 'ddl-disabled', /legacy.old/);
    });

    it('resolves an unqualified table through the search path', () => {
      // other.items shadows app.items when other comes first: it is not synced.
      skipped('ALTER TABLE items ADD b int', 'outside-selection', /other.items is not selected/, context(MAPPING, ['other', 'app']));
      assert.equal(dest('ALTER TABLE items ADD b int', context(MAPPING, ['public', 'app', 'other'])), 'ALTER TABLE app.items ADD COLUMN b int');
    });

    it('refuses every other subcommand, and ALTER of other relation kinds', () => {
      skipped('ALTER TABLE items SET TABLESPACE fast', 'unsupported', /SetTableSpace is not replicated/);
      skipped('ALTER TABLE items ADD b int, OWNER TO bob', 'unsupported', /ChangeOwner is not replicated/);
      skipped('ALTER TABLE items REPLICA IDENTITY FULL', 'unsupported', /ReplicaIdentity/);
      skipped('ALTER TABLE items ENABLE TRIGGER t', 'unsupported', /EnableTrig/);
      skipped('ALTER TABLE "Crm"."Customers" ATTACH PARTITION "Crm".p FOR VALUES IN (1)', 'unsupported', /renamed or excluded columns on the destination/);
      skipped('ALTER TABLE items ADD CONSTRAINT nn NOT NULL a', 'unsupported', /PostgreSQL 18 syntax/);
      skipped('ALTER TABLE items SET SCHEMA other', 'unsupported', /ALTER TABLE is not replicated/);
      skipped('ALTER INDEX app.i SET (fillfactor = 50)', 'unsupported', /ALTER INDEX is not replicated/);
      skipped('ALTER SEQUENCE app.s RENAME TO t', 'unsupported', /ALTER SEQUENCE \.\.\. RENAME is not replicated/);
    });
  });

  describe('RENAME', () => {
    it('renames a table of a whole-selected schema', () => {
      const d = applied('ALTER TABLE items RENAME TO "Goods"');
      assert.deepEqual(d.statements, ['ALTER TABLE app.items RENAME TO goods']);
      assert.deepEqual(d.effects, [{ type: 'rename-table', from: APP_ITEMS, to: { schema: 'app', name: 'Goods' } }]);
      assert.equal(dest('ALTER TABLE IF EXISTS app."Line Items" RENAME TO "Order Lines"', context({ ...MAPPING, nameCase: 'source' })), 'ALTER TABLE IF EXISTS app."Line Items" RENAME TO "Order Lines"');
    });

    it('runs nothing when the destination name does not change, but still reports the rename', () => {
      const d = applied('ALTER TABLE "Line Items" RENAME TO "LINE ITEMS"');
      assert.deepEqual(d.statements, []);
      assert.deepEqual(d.effects, [{ type: 'rename-table', from: { schema: 'app', name: 'Line Items' }, to: { schema: 'app', name: 'LINE ITEMS' } }]);
    });

    it('refuses to rename a table listed by name (it would leave the selection): modifyObjects', () => {
      skipped('ALTER TABLE "Crm".orders RENAME TO orders_old', 'unsupported', /listed by name in objects\[\]\.tables.*modifyObjects/);
    });

    it('skips a rename into excludeTables and renames of tables not synced', () => {
      skipped('ALTER TABLE items RENAME TO audit_log', 'outside-selection', /renamed to audit_log, which is in excludeTables/);
      skipped('ALTER TABLE other.ext RENAME TO ext2', 'outside-selection', /not selected/);
      skipped('ALTER TABLE legacy.old RENAME TO old2', 'ddl-disabled', /legacy.old/);
    });

    it('renames a column: mapped old name to the mapping of the new source name', () => {
      assert.equal(dest('ALTER TABLE "Crm"."Customers" RENAME COLUMN email TO "Email Address"'), 'ALTER TABLE crm_dst.clients RENAME COLUMN contact_email TO "Email Address"');
      assert.equal(dest('ALTER TABLE items RENAME COLUMN "a b" TO "c""d"'), 'ALTER TABLE app.items RENAME COLUMN "a b" TO "c""d"');
      const ctx = context({ ...MAPPING, nameCase: 'lower', renameRules: { columns: { suffix: '_x' } } });
      const d = applied('ALTER TABLE items RENAME "Price" TO "Cost"', ctx);
      assert.deepEqual(d.statements, ['ALTER TABLE app.items RENAME COLUMN price_x TO cost_x']);
      assert.deepEqual(d.effects, [{ type: 'alter-table', table: APP_ITEMS }]);
    });

    it('runs nothing for a column rename the case policy hides', () => {
      assert.deepEqual(applied('ALTER TABLE items RENAME "Price" TO price', context({ ...MAPPING, nameCase: 'lower' })).statements, []);
    });

    it('skips renames from or to an excluded column', () => {
      skipped('ALTER TABLE "Crm"."Customers" RENAME ssn TO tax_id', 'excluded-column', /ssn is in excludeColumns/);
      skipped('ALTER TABLE "Crm"."Customers" RENAME email TO ssn', 'excluded-column', /new name is in excludeColumns; the destination keeps column contact_email/);
    });

    it('refuses other renames', () => {
      skipped('ALTER VIEW app.v RENAME COLUMN a TO b', 'unsupported', /^ALTER VIEW \.\.\. RENAME COLUMN is not replicated$/);
    });
  });

  describe('CREATE INDEX', () => {
    it('removes CONCURRENTLY, keeps the name and IF NOT EXISTS, maps columns, expressions, INCLUDE and predicate', () => {
      const d = applied(`CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Cust_Email" ON "Crm"."Customers" USING btree (lower(email), id DESC NULLS LAST) INCLUDE (name) WHERE email IS NOT NULL AND id > 0`);
      assert.deepEqual(d.statements, ['CREATE UNIQUE INDEX IF NOT EXISTS "Cust_Email" ON crm_dst.clients ((pg_catalog.lower(contact_email)), id DESC NULLS LAST) INCLUDE (name) WHERE contact_email IS NOT NULL AND id > 0']);
      assert.deepEqual(d.effects, [{ type: 'alter-table', table: CUSTOMERS }]);
    });

    it('keeps access method, operator classes, options; drops the tablespace; unnamed indexes stay unnamed', () => {
      assert.equal(
        dest(`CREATE INDEX ON items USING gin (tags jsonb_path_ops, (doc ->> 'k') gin_trgm_ops) WITH (fastupdate = off) TABLESPACE fast`, context({ ...MAPPING, renameRules: { columns: { prefix: 'c_' } } })),
        `CREATE INDEX ON app.items USING gin (c_tags jsonb_path_ops, (c_doc ->> 'k') gin_trgm_ops) WITH (fastupdate=off)`,
      );
    });

    it('skips an index on an excluded column or on a table not synced', () => {
      skipped('CREATE INDEX i ON "Crm"."Customers" (email) WHERE ssn IS NULL', 'excluded-column', /index i on Crm.Customers uses excluded column\(s\) ssn/);
      skipped('CREATE INDEX i ON "Crm"."Customers" ((ssn || email))', 'excluded-column', /ssn/);
      skipped('CREATE INDEX i ON other.ext (id)', 'outside-selection', /other.ext/);
      skipped('CREATE INDEX i ON "Crm".frozen (id)', 'ddl-disabled', /Crm.frozen/);
    });
  });

  describe('partitions', () => {
    it('creates a partitioned table in a whole-selected schema, and a partition of a synced table under mapped names', () => {
      assert.equal(dest('CREATE TABLE app.ev (id int, at date) PARTITION BY RANGE (at)'), 'CREATE TABLE app.ev (id int, at date) PARTITION BY RANGE (at)');
      assert.equal(
        dest("CREATE TABLE \"Crm\".orders_2026 PARTITION OF \"Crm\".\"Customers\" FOR VALUES IN ('x')"),
        "CREATE TABLE crm_dst.orders_2026 PARTITION OF crm_dst.clients FOR VALUES IN ('x')",
      );
    });

    it('refuses a partition of a table the task does not sync, or one declaring its own columns', () => {
      skipped('CREATE TABLE other.p PARTITION OF other.ext FOR VALUES IN (1)', 'outside-selection', /other.ext/);
      skipped('CREATE TABLE app.p PARTITION OF items (CONSTRAINT c CHECK (id > 0)) FOR VALUES IN (1)', 'unsupported', /declares its own columns or constraints/);
    });
  });

  describe('what a replayed statement may execute on the destination', () => {
    it('refuses functions that read files, end sessions or are user-defined wherever replay evaluates them', () => {
      skipped("ALTER TABLE items ADD COLUMN pwn text DEFAULT pg_read_file('/etc/hostname') || current_user", 'unsafe-expression', /function pg_read_file\(\) is not one of the side-effect-free built-ins/);
      skipped('ALTER TABLE items ADD COLUMN z boolean DEFAULT pg_catalog.pg_terminate_backend(42)', 'unsafe-expression', /pg_catalog.pg_terminate_backend\(\)/);
      skipped('ALTER TABLE items ADD CONSTRAINT c CHECK (app.is_ok(name))', 'unsafe-expression', /function app.is_ok\(\).*PG_DTS_DDL_TRUSTED_FUNCTIONS=schema.is_ok/);
      skipped('ALTER TABLE items ALTER COLUMN name TYPE int USING (SELECT 1)', 'unsafe-expression', /subquery/);
      skipped('CREATE INDEX i ON items ((evil(name)))', 'unsafe-expression', /function evil\(\)/);
      skipped("CREATE TABLE app.t (a int CHECK (app.f(a)), b int)", 'unsafe-expression', /function app.f\(\)/);
      skipped("CREATE TABLE app.t (a int GENERATED ALWAYS AS (app.f(b)) STORED, b int)", 'unsafe-expression', /function app.f\(\)/);
      skipped('ALTER TABLE items ADD CONSTRAINT c CHECK (name OPERATOR(app.===) \'x\')', 'unsafe-expression', /operator app.=== is not built in/);
    });

    it('pins built-in calls to pg_catalog, so a same-named function elsewhere cannot be picked', () => {
      assert.equal(dest("ALTER TABLE items ADD COLUMN w text DEFAULT lower('X')"), "ALTER TABLE app.items ADD COLUMN w text DEFAULT pg_catalog.lower('X')");
      assert.equal(dest('ALTER TABLE items ADD COLUMN at timestamptz DEFAULT now()'), 'ALTER TABLE app.items ADD COLUMN at timestamptz DEFAULT pg_catalog.now()');
    });

    it("keeps a CREATE TABLE column DEFAULT calling the application's own function (never evaluated by replay)", () => {
      assert.match(dest('CREATE TABLE app.t (a text DEFAULT app.make_code(), b timestamptz DEFAULT now())'), /DEFAULT app.make_code\(\), b timestamptz DEFAULT pg_catalog.now\(\)/);
    });
  });

  describe('other statements', () => {
    it('refuses everything else as unsupported, naming the command', () => {
      for (const [sql, tag] of [
        ['TRUNCATE items', 'TRUNCATE TABLE'],
        ['CREATE OPERATOR app.=== (FUNCTION = f, LEFTARG = int, RIGHTARG = int)', 'CREATE OPERATOR'],
        ["CREATE COLLATION app.c (locale = 'C')", 'CREATE COLLATION'],
        ["COMMENT ON SCHEMA app IS 'x'", 'COMMENT'],
        ['GRANT SELECT ON items TO bob', 'GRANT'],
        ['CREATE TYPE app.span AS RANGE (subtype = int4)', 'CREATE TYPE'],
        ['DO $$ BEGIN END $$', 'DO'],
      ]) {
        skipped(sql!, 'unsupported', new RegExp(`^${tag} is not replicated`));
      }
    });

    it('wants exactly one statement', () => {
      skipped('ALTER TABLE items ADD a int; ALTER TABLE items ADD b int', 'unsupported', /expected one statement, got 2.*findFiredStatement/);
      skipped('ALTER TABLE items ADD', 'unsupported', /cannot parse the statement: syntax error/);
    });
  });
});
