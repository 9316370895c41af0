// Column renames and exclusions inside server-printed definitions: only real column references change,
// everything else stays byte for byte the server's text.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadColumnParser, mapConstraintDef, mapExpression, mapIndexDef, mapPartitionKey, type ColumnLookup } from '../../src/schema/column-map';

/** qty -> quantity, "Price" -> cost, note excluded, lower/status/kind unchanged, anything else not a column. */
const lookup = (map: Record<string, string | null>): ColumnLookup => (c) => (Object.hasOwn(map, c) ? map[c] : undefined);
const cols = lookup({ qty: 'quantity', Price: 'cost', note: null, status: 'status', kind: 'Kind', at: 'at', home: 'address', id: 'id', region: 'area' });
const other = lookup({ id: 'customer_pk', code: 'code' });

describe('column mapping in definitions', () => {
  before(() => loadColumnParser());

  it('renames column references in expressions, not functions, literals, types or fields', () => {
    const m = mapExpression(`((qty)::numeric * "Price") + length('qty'::text) + (home).id`, cols);
    assert.deepEqual(m, { sql: `(("quantity")::numeric * "cost") + length('qty'::text) + ("address").id`, excluded: [] });
  });

  it('reports excluded columns an expression uses', () => {
    assert.deepEqual(mapExpression(`(lower(note) <> ''::text) AND (qty > 0)`, cols).excluded, ['note']);
  });

  it('keeps multi-byte text around the renamed tokens intact', () => {
    assert.equal(mapExpression(`('é'::text || qty)`, cols).sql, `('é'::text || "quantity")`);
  });

  it('maps CHECK, PRIMARY KEY with INCLUDE and UNIQUE NULLS NOT DISTINCT', () => {
    assert.equal(mapConstraintDef(`CHECK (((qty > 0) AND ("Price" < (10)::numeric)))`, cols).sql, `CHECK ((("quantity" > 0) AND ("cost" < (10)::numeric)))`);
    assert.equal(mapConstraintDef(`PRIMARY KEY (id, kind) INCLUDE (qty)`, cols).sql, `PRIMARY KEY (id, "Kind") INCLUDE ("quantity")`);
    assert.equal(mapConstraintDef(`UNIQUE NULLS NOT DISTINCT (qty, at) DEFERRABLE`, cols).sql, `UNIQUE NULLS NOT DISTINCT ("quantity", at) DEFERRABLE`);
  });

  it('maps a foreign key: own columns, referenced columns with the other table\'s mapping, SET NULL columns', () => {
    const m = mapConstraintDef(
      `FOREIGN KEY (id, region) REFERENCES fid.customers(id, code) ON UPDATE RESTRICT ON DELETE SET NULL (region) DEFERRABLE INITIALLY DEFERRED`,
      cols,
      other,
    );
    assert.equal(m.sql, `FOREIGN KEY (id, "area") REFERENCES fid.customers("customer_pk", code) ON UPDATE RESTRICT ON DELETE SET NULL ("area") DEFERRABLE INITIALLY DEFERRED`);
  });

  it('maps EXCLUDE elements and predicate', () => {
    const m = mapConstraintDef(`EXCLUDE USING gist (region WITH =, tstzrange(at, at) WITH &&) WHERE ((qty > 0))`, cols);
    assert.equal(m.sql, `EXCLUDE USING gist ("area" WITH =, tstzrange(at, at) WITH &&) WHERE (("quantity" > 0))`);
  });

  it('maps index keys, expressions, INCLUDE and the partial predicate; reports an excluded key', () => {
    const m = mapIndexDef(
      `CREATE UNIQUE INDEX orders_x ON ONLY fid.orders USING btree (kind DESC NULLS LAST, lower("Price"::text) text_pattern_ops) INCLUDE (qty) WHERE (status IS NULL)`,
      cols,
    );
    assert.deepEqual(m, {
      sql: `CREATE UNIQUE INDEX orders_x ON ONLY fid.orders USING btree ("Kind" DESC NULLS LAST, lower("cost"::text) text_pattern_ops) INCLUDE ("quantity") WHERE (status IS NULL)`,
      excluded: [],
    });
    assert.deepEqual(mapIndexDef(`CREATE INDEX i ON fid.orders USING btree (note)`, cols).excluded, ['note']);
    assert.deepEqual(mapIndexDef(`CREATE INDEX i ON fid.orders USING gin (id) WHERE (note IS NULL)`, cols).excluded, ['note']);
  });

  it('does not take an index named like a column for the column', () => {
    assert.equal(mapIndexDef(`CREATE INDEX qty ON fid.qty USING btree (qty)`, cols).sql, `CREATE INDEX qty ON fid.qty USING btree ("quantity")`);
  });

  it('maps partition keys', () => {
    assert.equal(mapPartitionKey(`RANGE (at, lower(kind))`, cols).sql, `RANGE (at, lower("Kind"))`);
    assert.equal(mapPartitionKey(`LIST (region)`, cols).sql, `LIST ("area")`);
    assert.deepEqual(mapPartitionKey(`HASH (note)`, cols).excluded, ['note']);
  });

  it('fails loudly rather than guess when a definition does not have the expected shape', () => {
    assert.throws(() => mapIndexDef(`CREATE INDEX i ON t USING btree (`, cols), /syntax error|cannot parse/);
  });
});
