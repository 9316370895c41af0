// Everyday migration DDL (Rails, Django, Flyway) -> destination SQL: VALIDATE / RENAME CONSTRAINT,
// ALTER INDEX ... RENAME, DROP INDEX [CONCURRENTLY], sequences, enum and composite types, COMMENT ON.
// Names are mapped like every other statement; objects the task does not sync are refused with a reason.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { tableOperations, type Mapping, type TableRef } from '../../src/catalog/names';
import { decideDdl } from '../../src/ddl/apply';
import type { CapturedDdl } from '../../src/ddl/capture';
import { loadDdlParser } from '../../src/ddl/parser';
import type { DdlContext } from '../../src/ddl/translate';
import { translationAsserts } from './ddl-fixture';
import type { CapturedObject, ObjectKind } from '../../src/ddl/types';

/** app selected whole (renamed app_dst, minus audit_log); Crm by table list; legacy whole with ddl off. */
const MAPPING: Mapping = {
  nameCase: 'default',
  objects: [
    { schema: 'app', rename: 'app_dst', excludeTables: ['audit_log'] },
    { schema: 'Crm', rename: 'crm_dst', tables: ['orders', { name: 'Customers', rename: 'clients', columns: { email: 'contact_email' }, excludeColumns: ['ssn'] }, { name: 'frozen', ddl: false }] },
    { schema: 'legacy', ddl: false },
  ],
};

const TABLES: TableRef[] = [
  { schema: 'app', name: 'items' }, { schema: 'app', name: 'audit_log' },
  { schema: 'Crm', name: 'orders' }, { schema: 'Crm', name: 'Customers' }, { schema: 'Crm', name: 'frozen' }, { schema: 'Crm', name: 'unlisted' },
  { schema: 'legacy', name: 'old' }, { schema: 'other', name: 'ext' },
];

/** What the capture recorded for the statement: index, sequence and type objects (with tables). */
type Objects = Partial<Record<ObjectKind, CapturedObject[]>>;

function context(objects: Objects = {}, searchPath = ['app', 'public']): DdlContext {
  const find = (schema: string, name: string) => TABLES.find((t) => t.schema === schema && t.name === name) ?? null;
  return {
    mapping: MAPPING,
    searchPath,
    resolveTable: (n) => (n.schema ? find(n.schema, n.name) : searchPath.map((s) => find(s, n.name)).find((t) => t) ?? null),
    isSelected: (t) => {
      const entry = MAPPING.objects.find((o) => o.schema === t.schema);
      if (!entry) return false;
      if (!entry.tables) return !entry.excludeTables?.includes(t.name);
      return entry.tables.some((x) => (typeof x === 'string' ? x : x.name) === t.name);
    },
    selectsWholeSchema: (schema) => MAPPING.objects.some((o) => o.schema === schema && !o.tables),
    ddlEnabled: (t) => tableOperations(MAPPING, t).ddl,
    resolveObject: (kind, n) => (objects[kind] ?? []).find((o) => o.name === n.name && (!n.schema || o.schema === n.schema)) ?? null,
  };
}

const { applied, skipped } = translationAsserts(() => context());

const dest = (sql: string, ctx = context()): string[] => applied(sql, ctx).statements;

/** The guarded form: runs `sql` only when the destination has the object. */
const guardedSql = (sql: string): RegExp => new RegExp(`^DO \\$pgdts\\$ BEGIN IF EXISTS \\(.+\\) THEN EXECUTE '${sql.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'; END IF; END \\$pgdts\\$$`);

const ITEMS = { schema: 'app', name: 'items' };
const CUSTOMERS = { schema: 'Crm', name: 'Customers' };

describe('migration DDL', () => {
  before(() => loadDdlParser());

  describe('constraints', () => {
    it('validates a constraint added NOT VALID, on the destination table, only if the destination has it', () => {
      const [sql] = dest('ALTER TABLE items VALIDATE CONSTRAINT items_qty_check');
      assert.match(sql!, guardedSql('ALTER TABLE app_dst.items VALIDATE CONSTRAINT items_qty_check'));
      assert.match(sql!, /conrelid = pg_catalog.to_regclass\('"app_dst"."items"'\) AND conname = 'items_qty_check'/);
      const [crm] = dest('ALTER TABLE "Crm"."Customers" VALIDATE CONSTRAINT fk');
      assert.match(crm!, guardedSql('ALTER TABLE crm_dst.clients VALIDATE CONSTRAINT fk'));
    });

    it('keeps VALIDATE among other subcommands unguarded', () => {
      assert.deepEqual(dest('ALTER TABLE items ADD COLUMN x int, VALIDATE CONSTRAINT c'), ['ALTER TABLE app_dst.items ADD COLUMN x int, VALIDATE CONSTRAINT c']);
    });

    it('renames a constraint of a synced table', () => {
      const [sql] = dest('ALTER TABLE "Crm"."Customers" RENAME CONSTRAINT a TO b');
      assert.match(sql!, guardedSql('ALTER TABLE crm_dst.clients RENAME CONSTRAINT a TO b'));
    });

    it('refuses constraints of tables not synced or with ddl off', () => {
      skipped('ALTER TABLE "Crm".unlisted VALIDATE CONSTRAINT c', 'outside-selection', /not selected/);
      skipped('ALTER TABLE legacy.old RENAME CONSTRAINT a TO b', 'ddl-disabled', /ddl/);
    });
  });

  describe('table and column settings', () => {
    it('replays storage parameters and per-column statistics and options, columns mapped', () => {
      assert.deepEqual(dest('ALTER TABLE items SET (fillfactor = 70, autovacuum_enabled = false)'), ['ALTER TABLE app_dst.items SET (fillfactor = 70, autovacuum_enabled = false)']);
      assert.deepEqual(dest('ALTER TABLE items RESET (fillfactor)'), ['ALTER TABLE app_dst.items RESET (FILLFACTOR)']);
      assert.deepEqual(dest('ALTER TABLE "Crm"."Customers" ALTER COLUMN email SET STATISTICS 500'), ['ALTER TABLE crm_dst.clients ALTER COLUMN contact_email SET STATISTICS 500']);
      assert.deepEqual(dest('ALTER TABLE items ALTER COLUMN qty SET (n_distinct = 100)'), ['ALTER TABLE app_dst.items ALTER COLUMN qty SET (n_distinct = 100)']);
      skipped('ALTER TABLE "Crm"."Customers" ALTER COLUMN ssn SET STATISTICS 10', 'excluded-column', /ssn/);
    });
  });

  describe('indexes', () => {
    const idx = (name: string, table: TableRef, schema = table.schema): Objects => ({ index: [{ schema, name, table }] });

    it('drops an index of a synced table in its table\'s destination schema, without CONCURRENTLY, IF EXISTS', () => {
      assert.deepEqual(dest('DROP INDEX CONCURRENTLY index_items_on_qty', context(idx('index_items_on_qty', ITEMS))), ['DROP INDEX IF EXISTS app_dst.index_items_on_qty']);
      assert.deepEqual(dest('DROP INDEX IF EXISTS "Crm".cust_idx', context(idx('cust_idx', CUSTOMERS))), ['DROP INDEX IF EXISTS crm_dst.cust_idx']);
    });

    it('leaves out IF EXISTS names the source did not drop, refuses unknown tables, other tables and CASCADE', () => {
      const d = applied('DROP INDEX IF EXISTS nothing_here, i1', context(idx('i1', ITEMS)));
      assert.deepEqual(d.statements, ['DROP INDEX IF EXISTS app_dst.i1']);
      assert.match(d.dropped[0]!.detail, /did not exist on the source/);
      skipped('DROP INDEX i1', 'unsupported', /which table/, context({ index: [{ schema: 'app', name: 'i1' }] }));
      skipped('DROP INDEX i1', 'outside-selection', /not selected/, context(idx('i1', { schema: 'app', name: 'audit_log' })));
      skipped('DROP INDEX i1, i2', 'ddl-disabled', /several indexes/, context({ index: [...idx('i1', ITEMS).index!, ...idx('i2', { schema: 'Crm', name: 'frozen' }).index!] }));
      skipped('DROP INDEX i1 CASCADE', 'cascade-or-restrict', /CASCADE/, context(idx('i1', ITEMS)));
    });

    it('renames an index (the capture knows it by its new name)', () => {
      assert.deepEqual(dest('ALTER INDEX index_items_on_qty RENAME TO idx_qty', context(idx('idx_qty', ITEMS))), ['ALTER INDEX IF EXISTS app_dst.index_items_on_qty RENAME TO idx_qty']);
      skipped('ALTER INDEX i RENAME TO j', 'outside-selection', /not selected/, context(idx('j', { schema: 'Crm', name: 'unlisted' })));
    });
  });

  describe('sequences', () => {
    const seq = (name: string, schema = 'app', table?: TableRef): Objects => ({ sequence: [{ schema, name, ...(table ? { table } : {}) }] });

    it('creates a sequence of a whole-selected schema, OWNED BY mapped', () => {
      assert.deepEqual(dest('CREATE SEQUENCE order_no START 1000 OWNED BY items.id', context(seq('order_no', 'app', ITEMS))), ['CREATE SEQUENCE app_dst.order_no START 1000 OWNED BY app_dst.items.id']);
      assert.deepEqual(dest('CREATE SEQUENCE IF NOT EXISTS app.s AS integer INCREMENT BY 2', context(seq('s'))), ['CREATE SEQUENCE IF NOT EXISTS app_dst.s AS int INCREMENT 2']);
    });

    it('leaves out OWNED BY a table the task does not sync', () => {
      const d = applied('CREATE SEQUENCE s OWNED BY audit_log.id', context(seq('s')));
      assert.deepEqual(d.statements, ['CREATE SEQUENCE app_dst.s']);
      assert.match(d.dropped[0]!.detail, /OWNED BY audit_log.id/);
    });

    it('alters a sequence of a whole-selected schema, or one a synced table owns', () => {
      assert.deepEqual(dest('ALTER SEQUENCE s OWNED BY items.id', context(seq('s', 'app', ITEMS))), ['ALTER SEQUENCE app_dst.s OWNED BY app_dst.items.id']);
      assert.deepEqual(dest('ALTER SEQUENCE "Crm"."Customers_id_seq" RESTART WITH 5', context(seq('Customers_id_seq', 'Crm', CUSTOMERS))), ['ALTER SEQUENCE crm_dst.customers_id_seq RESTART 5']);
      skipped('ALTER SEQUENCE "Crm".loose MAXVALUE 10', 'outside-selection', /no synced table owns it/, context(seq('loose', 'Crm')));
      skipped('ALTER SEQUENCE legacy.s MAXVALUE 10', 'ddl-disabled', /legacy/, context(seq('s', 'legacy')));
    });

    it('drops sequences the source dropped, IF EXISTS', () => {
      assert.deepEqual(dest('DROP SEQUENCE s', context(seq('s'))), ['DROP SEQUENCE IF EXISTS app_dst.s']);
      skipped('DROP SEQUENCE other.s', 'outside-selection', /not in a schema the task selects whole/, context(seq('s', 'other')));
      skipped('DROP SEQUENCE s CASCADE', 'cascade-or-restrict', /CASCADE/, context(seq('s')));
    });
  });

  describe('types', () => {
    const type = (name: string, schema = 'app'): Objects => ({ type: [{ schema, name }] });

    it('creates enum and composite types of a whole-selected schema under their destination names', () => {
      assert.deepEqual(dest(`CREATE TYPE mood AS ENUM ('sad', 'ok')`, context(type('mood'))), [`CREATE TYPE app_dst.mood AS ENUM ('sad', 'ok')`]);
      assert.deepEqual(dest('CREATE TYPE app.pair AS (a int, m app.mood)', context(type('pair'))), ['CREATE TYPE app_dst.pair AS (a int, m app_dst.mood)']);
      skipped(`CREATE TYPE "Crm".mood AS ENUM ('a')`, 'outside-selection', /selects whole/, context(type('mood', 'Crm')));
    });

    it('adds an enum value (commit after its source transaction) and renames one', () => {
      const add = applied(`ALTER TYPE mood ADD VALUE IF NOT EXISTS 'happy' AFTER 'ok'`, context(type('mood')));
      assert.deepEqual(add.statements, [`ALTER TYPE app_dst.mood ADD VALUE IF NOT EXISTS 'happy' AFTER 'ok'`]);
      assert.equal(add.commitAfter, true);
      const rename = applied(`ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'`, context(type('mood')));
      assert.deepEqual(rename.statements, [`ALTER TYPE app_dst.mood RENAME VALUE 'ok' TO 'fine'`]);
      assert.equal(rename.commitAfter, undefined);
      skipped(`ALTER TYPE legacy.t ADD VALUE 'x'`, 'ddl-disabled', /legacy/, context(type('t', 'legacy')));
    });

    it('drops types the source dropped', () => {
      assert.deepEqual(dest('DROP TYPE IF EXISTS mood, ghost', context(type('mood'))), ['DROP TYPE IF EXISTS app_dst.mood']);
      skipped('DROP TYPE mood CASCADE', 'cascade-or-restrict', /CASCADE/, context(type('mood')));
    });
  });

  describe('COMMENT ON', () => {
    it('comments on synced tables, columns, constraints, indexes, sequences and types under destination names', () => {
      assert.deepEqual(dest(`COMMENT ON TABLE items IS 'Things'`), [`COMMENT ON TABLE app_dst.items IS 'Things'`]);
      assert.deepEqual(dest(`COMMENT ON COLUMN "Crm"."Customers".email IS 'mail'`), [`COMMENT ON COLUMN crm_dst.clients.contact_email IS 'mail'`]);
      assert.match(dest(`COMMENT ON CONSTRAINT c ON items IS 'x'`)[0]!, guardedSql(`COMMENT ON CONSTRAINT c ON app_dst.items IS ''x''`));
      assert.match(dest(`COMMENT ON INDEX i1 IS NULL`, context({ index: [{ schema: 'app', name: 'i1', table: ITEMS }] }))[0]!, guardedSql('COMMENT ON INDEX app_dst.i1 IS NULL'));
      assert.deepEqual(dest(`COMMENT ON SEQUENCE s IS 'n'`, context({ sequence: [{ schema: 'app', name: 's' }] })), [`COMMENT ON SEQUENCE app_dst.s IS 'n'`]);
      assert.deepEqual(dest(`COMMENT ON TYPE mood IS 'm'`, context({ type: [{ schema: 'app', name: 'mood' }] })), [`COMMENT ON TYPE app_dst.mood IS 'm'`]);
    });

    it('refuses comments on excluded columns and objects not synced', () => {
      skipped(`COMMENT ON COLUMN "Crm"."Customers".ssn IS 'x'`, 'excluded-column', /ssn/);
      skipped(`COMMENT ON TABLE "Crm".unlisted IS 'x'`, 'outside-selection', /not selected/);
      skipped(`COMMENT ON FUNCTION f() IS 'x'`, 'unsupported', /COMMENT/);
    });
  });

  describe('from the capture (decideDdl)', () => {
    const selection = { isSelected: (t: TableRef) => t.schema === 'app' && t.name !== 'audit_log' };
    const captured = (query: string, tag: string, extra: Partial<CapturedDdl>): CapturedDdl => ({ query, tag, ordinal: 0, searchPath: ['app'], role: 'origin', objects: [], ...extra });

    it('finds a dropped index\'s table in the sql_drop record', () => {
      const d = decideDdl(
        captured('DROP INDEX CONCURRENTLY i1', 'DROP INDEX', { dropped: [{ type: 'index', schema: 'app', name: 'i1', identity: 'app.i1', table: ITEMS }] }),
        MAPPING, selection, new Set(),
      );
      assert.equal(d.kind, 'apply', JSON.stringify(d));
      assert.deepEqual(d.kind === 'apply' && d.statements, ['DROP INDEX IF EXISTS app_dst.i1']);
    });

    it('finds a renamed index, a constraint\'s table and an enum from ddl_command_end objects; passes commitAfter on', () => {
      const ren = decideDdl(captured('ALTER INDEX i1 RENAME TO i2', 'ALTER INDEX', { objects: [{ type: 'index', schema: 'app', identity: 'app.i2', table: ITEMS }] }), MAPPING, selection, new Set());
      assert.deepEqual(ren.kind === 'apply' && ren.statements, ['ALTER INDEX IF EXISTS app_dst.i1 RENAME TO i2']);
      const con = decideDdl(captured(`COMMENT ON CONSTRAINT c ON items IS 'x'`, 'COMMENT', { objects: [{ type: 'table constraint', schema: 'app', identity: 'c on app.items' }] }), MAPPING, selection, new Set());
      assert.equal(con.kind, 'apply', JSON.stringify(con));
      const add = decideDdl(captured(`ALTER TYPE mood ADD VALUE 'x'`, 'ALTER TYPE', { objects: [{ type: 'type', schema: 'app', identity: 'app.mood' }] }), MAPPING, selection, new Set());
      assert.equal(add.kind === 'apply' && add.commitAfter, true);
    });
  });
});
