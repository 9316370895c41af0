// Row filters: what the parser check accepts and rejects, and how the full sync's COPY statements carry the
// filter and the column mapping.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadRowFilterParser, parseRowFilter, RowFilterError, assertRowFilter } from '../../src/catalog/row-filter';
import { chunkPredicate, chunkStatements } from '../../src/snapshot/copy-chunk';
import { binaryEligible, type ColumnInfo, type TablePlan } from '../../src/snapshot/plan';

const COLUMNS = ['id', 'status', 'amount', 'created', 'tags', 'Name', 'flag', 'doc'];

function rejected(expr: string): string {
  const v = parseRowFilter(expr, COLUMNS);
  assert.equal(v.ok, false, `${JSON.stringify(expr)} should be rejected`);
  return (v as { reason: string }).reason;
}

describe('parseRowFilter', () => {
  before(() => loadRowFilterParser());

  it('accepts boolean expressions over the columns with built-in operators and immutable functions', () => {
    const accepted: [string, string[]][] = [
      ["lower(status) = 'open'", ['status']],
      ['id > 5 AND amount BETWEEN 1 AND 10', ['id', 'amount']],
      ["status IN ('a', 'b') OR status IS NULL", ['status']],
      ['flag', ['flag']],
      ['NOT flag IS TRUE', ['flag']],
      [`"Name" LIKE 'A%'`, ['Name']],
      ["status ~ '^op'", ['status']],
      ["status !~* 'x'", ['status']],
      ['coalesce(amount, 0) > 0 AND greatest(id, amount) < 10', ['amount', 'id']],
      ['CASE WHEN id > 1 THEN flag ELSE false END', ['id', 'flag']],
      ['id = ANY (ARRAY[1, 2, 3])', ['id']],
      ["created >= '2024-01-01'::date AND extract(year FROM created) = 2024", ['created']],
      ["substring(status FROM 1 FOR 2) = 'op'", ['status']],
      [`status COLLATE "C" > 'a'`, ['status']],
      ['ROW(id, amount) > ROW(1, 2)', ['id', 'amount']],
      ["doc ->> 'k' = 'v' AND tags @> ARRAY['x']", ['doc', 'tags']],
      ["E'a\\\\b' <> status AND pg_catalog.upper(status) = 'X'", ['status']],
      ['id % 3 = 0', ['id']],
    ];
    for (const [expr, columns] of accepted) {
      const v = parseRowFilter(expr, COLUMNS);
      assert.deepEqual(v, { ok: true, columns }, expr);
    }
  });

  it('rejects subqueries', () => {
    assert.match(rejected('id IN (SELECT 1)'), /subqueries/);
    assert.match(rejected('EXISTS (SELECT 1 FROM pg_class)'), /subqueries/);
  });

  it('rejects volatile and stable functions, now() included (the server rejects it too)', () => {
    assert.match(rejected('random() > 0.5'), /random\(\) is not immutable \(volatile/);
    assert.match(rejected('now() > created'), /now\(\) is not immutable \(stable/);
    assert.match(rejected('created > current_date'), /not immutable/);
    assert.match(rejected("nextval('s') > 1"), /side effect/);
    assert.match(rejected("to_char(created, 'YYYY') = '2024'"), /to_char\(\) is not immutable/);
    assert.match(rejected('pg_sleep(1) IS NULL'), /pg_sleep\(\) is not one of the immutable built-in functions/);
    assert.match(rejected('count(*) > 1'), /aggregates/);
    assert.match(rejected('public.is_open(status)'), /function public\.is_open is not built in/);
  });

  it('rejects semicolons and multiple statements', () => {
    assert.match(rejected('id = 1; DROP TABLE t'), /semicolon/);
    assert.match(rejected('id = 1;'), /semicolon/);
  });

  it('rejects text that would break out of the parentheses it is embedded in', () => {
    assert.match(rejected('x) OR (1=1'), /not a valid SQL expression: syntax error/);
    assert.match(rejected('1) UNION SELECT (1'), /not a valid SQL expression: syntax error/);
    assert.match(rejected('1 = 1) AND (SELECT pg_sleep(10)) IS NULL AND (1 = 1'), /syntax error/);
    assert.match(rejected('id = 1 UNION SELECT 1'), /UNION/);
    assert.match(rejected('id = 1 ORDER BY 1'), /ORDER BY/);
    assert.match(rejected('id = 1 LIMIT 1'), /LIMIT/);
    assert.match(rejected('id = 1 FOR UPDATE'), /FOR UPDATE/);
    // A trailing comment would swallow the `) AND <key range>` the copy appends.
    assert.match(rejected('id = 1 --'), /comments/);
    assert.match(rejected('id = /* x */ 1'), /comments/);
    // With standard_conforming_strings off the server would end this string at the second quote.
    assert.match(rejected("status = 'a\\' OR true"), /backslash/);
  });

  it('rejects unknown, qualified and system columns', () => {
    assert.match(rejected('nope = 1'), /unknown column "nope" \(columns: id, status/);
    assert.match(rejected('name = 1'), /unknown column "name"/, 'an unquoted name is folded to lower case; the column is "Name"');
    assert.match(rejected('t.id = 1'), /bare column names \(not t\.id\)/);
    assert.match(rejected("ctid = '(0,1)'"), /system column ctid/);
    assert.match(rejected("xmin::text = '1'"), /system column xmin/);
  });

  it('rejects parameters, user-defined types and operators, subscripts', () => {
    assert.match(rejected('id = $1'), /parameters/);
    assert.match(rejected("status::public.mood = 'x'"), /type public\.mood is not built in/);
    assert.match(rejected("status::mood = 'x'"), /type mood is not a built-in type/);
    assert.match(rejected('id OPERATOR(public.===) 1'), /operator public\.=== is not built in/);
    assert.match(rejected("tags[1] = 'x'"), /subscripts/);
  });

  it('rejects what is not a boolean condition', () => {
    assert.match(rejected('SELECT 1'), /syntax error at or near "SELECT"/);
    assert.match(rejected('SELECT id, status FROM t'), /syntax error/);
    assert.match(rejected('id, status'), /syntax error at or near ","/);
    assert.match(rejected('id + 1'), /not a condition/);
    assert.match(rejected("'abc'"), /not a condition/);
    assert.match(rejected('ARRAY[1]'), /not a condition/);
    assert.match(rejected('~ id'), /not a condition/);
    assert.match(rejected('   '), /empty/);
    assert.match(rejected('id ='), /syntax error at end of input/);
  });

  it('assertRowFilter names the table, the reason and what is allowed', async () => {
    await assert.rejects(assertRowFilter({ schema: 'shop', name: 'orders' }, 'random() > 0.5', ['id']), (err: unknown) => {
      assert.ok(err instanceof RowFilterError);
      assert.match(err.message, /^row filter \(where\) of shop\.orders: function random\(\) is not immutable .*Allowed: a boolean expression/);
      return true;
    });
  });
});

describe('full sync COPY statements', () => {
  const plan = (extra: Partial<TablePlan>): TablePlan => ({
    key: 's.t',
    table: { source: { schema: 's', name: 't' }, target: { schema: 'd', name: 'u' } },
    columns: ['id', 'Full Name', 'age'],
    keyColumns: [{ name: 'id', type: 'bigint' }],
    binary: false,
    estimatedRows: 0,
    estimatedBytes: 0,
    chunks: [{ lo: null, hi: null }],
    plainTable: true,
    ...extra,
  });

  it('ANDs the parenthesised filter with the key range', () => {
    const key = [{ name: 'id', type: 'bigint' }];
    assert.equal(chunkPredicate('a = 1 OR b = 2', key, { lo: ['10'], hi: ['20'] }), ` WHERE (a = 1 OR b = 2) AND "id" >= '10'::bigint AND "id" < '20'::bigint`);
    assert.equal(chunkPredicate('a = 1 OR b = 2', key, { lo: null, hi: null }), ' WHERE (a = 1 OR b = 2)');
    assert.equal(chunkPredicate(undefined, key, { lo: null, hi: null }), '');
  });

  it('reads an unfiltered whole ordinary table with COPY t TO, anything else with a query', () => {
    const whole = { lo: null, hi: null };
    assert.equal(chunkStatements(plan({}), whole).read, `COPY "s"."t" ("id", "Full Name", "age") TO STDOUT`);
    assert.equal(
      chunkStatements(plan({ where: 'age >= 18' }), whole).read,
      `COPY (SELECT "id", "Full Name", "age" FROM "s"."t" WHERE (age >= 18)) TO STDOUT`,
      'a filtered table needs the SELECT form',
    );
    assert.equal(
      chunkStatements(plan({ plainTable: false, binary: true }), whole).read,
      `COPY (SELECT "id", "Full Name", "age" FROM "s"."t") TO STDOUT (FORMAT binary)`,
      'a partitioned root (not plain) is queried: COPY t TO would read only its own, empty, heap',
    );
  });

  it('reads the source names and writes the destination names, in the same order', () => {
    const mapped = plan({ targetColumns: ['id', 'full_name', 'years'], where: 'age > 1' });
    const s = chunkStatements(mapped, { lo: ['5'], hi: null });
    assert.equal(s.read, `COPY (SELECT "id", "Full Name", "age" FROM "s"."t" WHERE (age > 1) AND "id" >= '5'::bigint) TO STDOUT`);
    assert.equal(s.write, `COPY "d"."u" ("id", "full_name", "years") FROM STDIN`);
    assert.equal(chunkStatements(plan({}), { lo: null, hi: null }).write, `COPY "d"."u" ("id", "Full Name", "age") FROM STDIN`, 'a plan without renames');
  });
});

describe('binaryEligible with a column mapping', () => {
  const col = (name: string, typeOid: number): ColumnInfo => ({ name, typeOid, type: String(typeOid), generated: false });
  const source = [col('id', 20), col('Full Name', 25), col('secret', 17)];
  const mapper = (c: string): string | null => (c === 'secret' ? null : c === 'Full Name' ? 'full_name' : c);

  it('compares each copied column with the destination column of its new name', () => {
    assert.equal(binaryEligible(source, [col('id', 20), col('full_name', 25)], true, mapper), true, 'the excluded column is not needed');
    assert.equal(binaryEligible(source, [col('id', 20), col('full_name', 1043)], true, mapper), false, 'text -> varchar under the new name');
    assert.equal(binaryEligible(source, [col('id', 20), col('Full Name', 25)], true, mapper), false, 'the old name is not the target');
  });
});
