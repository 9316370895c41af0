// Constraints and indexes created by replicated DDL keep their source names (src/ddl/keep-names.ts): after a
// statement that may create some under generated names, the destination runs a rename block built from the
// names the capture recorded, with the columns mapped to the destination's. Rows captured before the names
// were recorded replay exactly as before.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Mapping, TableRef } from '../../src/catalog/names';
import { decideDdl } from '../../src/ddl/apply';
import type { CapturedDdl, SourceNames } from '../../src/ddl/capture';
import { keepSourceNames } from '../../src/ddl/keep-names';
import { loadDdlParser } from '../../src/ddl/parser';

const MAPPING: Mapping = {
  nameCase: 'upper',
  objects: [{ schema: 'app', tables: [{ name: 'Customer', rename: 'CUSTOMER_t', columns: { note: 'NOTE_c' }, excludeColumns: ['secret'] }, 'orders'] }],
};
const CUSTOMER: TableRef = { schema: 'app', name: 'Customer' };
const NAMES: SourceNames = {
  constraints: [
    { name: 'Customer_pkey', type: 'p', columns: ['id'] },
    { name: 'Customer_note_check', type: 'c', columns: ['note'] },
    { name: 'Customer_secret_check', type: 'c', columns: ['secret'] },
  ],
  indexes: [{ name: 'Customer_note_idx', columns: ['note'] }, { name: 'Customer_expr_idx', columns: [''] }],
};
const selection = { isSelected: (t: TableRef) => t.schema === 'app' };
const captured = (query: string, tag: string, names?: SourceNames): CapturedDdl => ({
  query, tag, ordinal: 0, searchPath: ['app'], role: 'origin',
  objects: [{ type: 'table', schema: 'app', identity: 'app."Customer"', ...(names ? { names } : {}) }],
});

/** The JSON of wanted renames inside a block (what the block matches the destination's objects against). */
const wantedOf = (block: string): unknown => JSON.parse(/jsonb_to_recordset\('(.*?)'::jsonb\)/s.exec(block)![1]!.replace(/''/g, "'"));

describe('replicated DDL keeps source names of generated constraints and indexes', () => {
  before(() => loadDdlParser());

  it('maps the columns of each source name to the destination, leaving out names on excluded columns', () => {
    const [block, ...more] = keepSourceNames([{ table: CUSTOMER, names: NAMES }], MAPPING);
    assert.equal(more.length, 0);
    assert.match(block!, /to_regclass\('"APP"\."CUSTOMER_t"'\)/);
    assert.deepEqual(wantedOf(block!), [
      { kind: 'constraint', name: 'Customer_pkey', type: 'p', columns: ['ID'] },
      { kind: 'constraint', name: 'Customer_note_check', type: 'c', columns: ['NOTE_c'] },
      { kind: 'index', name: 'Customer_note_idx', columns: ['NOTE_c'] },
      { kind: 'index', name: 'Customer_expr_idx', columns: [''] },
    ]);
    // Every source name (also those left out) is one the block never renames away.
    assert.match(block!, /"Customer_secret_check"/);
  });

  it('appends the block after the translated statement of an ALTER TABLE with an unnamed constraint', () => {
    const d = decideDdl(captured(`ALTER TABLE app."Customer" ADD CHECK (note <> '')`, 'ALTER TABLE', NAMES), MAPPING, selection, new Set());
    assert.equal(d.kind, 'apply', JSON.stringify(d));
    if (d.kind !== 'apply') return;
    assert.equal(d.statements.length, 2);
    assert.equal(d.statements[0], `ALTER TABLE "APP"."CUSTOMER_t" ADD CHECK ("NOTE_c" <> '')`);
    assert.match(d.statements[1]!, /^DO \$pgdts\$/);
  });

  it('keeps the old behaviour for a capture row without names (captured before this release)', () => {
    const d = decideDdl(captured(`ALTER TABLE app."Customer" ADD CHECK (note <> '')`, 'ALTER TABLE'), MAPPING, selection, new Set());
    assert.deepEqual(d.kind === 'apply' && d.statements, [`ALTER TABLE "APP"."CUSTOMER_t" ADD CHECK ("NOTE_c" <> '')`]);
  });

  it('adds nothing to statements that create no constraint or index, nor to refused ones', () => {
    const drop = decideDdl(captured(`ALTER TABLE app."Customer" DROP CONSTRAINT "Customer_note_check"`, 'ALTER TABLE', NAMES), MAPPING, selection, new Set());
    // ALTER TABLE may still create one (ADD …) — the block runs, but finds nothing missing but the dropped name.
    assert.equal(drop.kind === 'apply' && drop.statements[0], `ALTER TABLE "APP"."CUSTOMER_t" DROP CONSTRAINT IF EXISTS "Customer_note_check"`);
    const comment = decideDdl(captured(`COMMENT ON TABLE app."Customer" IS 'x'`, 'COMMENT', NAMES), MAPPING, selection, new Set());
    assert.equal(comment.kind === 'apply' && comment.statements.length, 1);
    const other = decideDdl({ ...captured(`ALTER TABLE other.t ADD CHECK (a > 0)`, 'ALTER TABLE'), objects: [{ type: 'table', schema: 'other', identity: 'other.t', names: NAMES }] }, MAPPING, selection, new Set());
    assert.equal(other.kind, 'refuse');
  });

  it('finds the table of a CREATE INDEX from the index object', () => {
    const d = decideDdl(
      { ...captured(`CREATE INDEX ON app."Customer" (note)`, 'CREATE INDEX'), objects: [{ type: 'index', schema: 'app', identity: 'app."Customer_note_idx"', table: CUSTOMER, names: NAMES }] },
      MAPPING, selection, new Set(),
    );
    assert.equal(d.kind === 'apply' && d.statements.length, 2, JSON.stringify(d));
    assert.equal(d.kind === 'apply' && d.statements[0], `CREATE INDEX ON "APP"."CUSTOMER_t" ("NOTE_c")`);
  });
});
