// Object selection and mapping rules of the spec (pure): renames, nameCase, bulk rules, excluded and
// renamed columns, operation selection with table-over-schema precedence, and the modifyObjects payload.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { columnMapper, isIdentityMapping, rowFilterOf, tableOperations, targetSchemaName, targetTableName } from '../../src/catalog/names';
import { parseObjects, parseTaskSpec, SpecError } from '../../src/spec/validate';

const base = { name: 't', source: { url: 'postgresql://a@h/d' }, destination: { url: 'postgresql://a@h/d' } };
const spec = (extra: Record<string, unknown>) => parseTaskSpec({ ...base, ...extra });

describe('object mapping', () => {
  it('applies nameCase to schemas, tables and columns as documented', () => {
    const objects = [{ schema: 'Sales' }];
    const ref = { schema: 'Sales', name: 'Orders' };
    assert.deepEqual(targetTableName(spec({ objects }), ref), { schema: 'sales', name: 'orders' });
    assert.equal(columnMapper(spec({ objects }), ref)('OrderId'), 'OrderId', 'default keeps column names');
    assert.deepEqual(targetTableName(spec({ objects, nameCase: 'source' }), ref), ref);
    assert.equal(columnMapper(spec({ objects, nameCase: 'lower' }), ref)('OrderId'), 'orderid');
    assert.deepEqual(targetTableName(spec({ objects, nameCase: 'upper' }), ref), { schema: 'SALES', name: 'ORDERS' });
    assert.equal(columnMapper(spec({ objects, nameCase: 'upper' }), ref)('OrderId'), 'ORDERID');
  });

  it('applies bulk rules after the case policy; explicit renames win', () => {
    const s = spec({
      objects: [{ schema: 'app', tables: ['orders', { name: 'lines', rename: 'order_lines' }, { name: 'users', columns: { pw_hash: 'secret_hash' } }] }],
      renameRules: {
        schemas: { prefix: 'dw_' },
        tables: { replace: [{ from: 'or', to: 'OR' }], suffix: '_v1' },
        columns: { prefix: 'c_' },
      },
    });
    assert.equal(targetSchemaName(s, 'app'), 'dw_app');
    assert.deepEqual(targetTableName(s, { schema: 'app', name: 'orders' }), { schema: 'dw_app', name: 'ORders_v1' });
    assert.deepEqual(targetTableName(s, { schema: 'app', name: 'lines' }), { schema: 'dw_app', name: 'order_lines' });
    const users = columnMapper(s, { schema: 'app', name: 'users' });
    assert.equal(users('pw_hash'), 'secret_hash');
    assert.equal(users('id'), 'c_id');
  });

  it('excludes columns and knows when a table needs no column work', () => {
    const s = spec({ objects: [{ schema: 'app', tables: [{ name: 'users', excludeColumns: ['ssn'] }, 'plain'] }] });
    const users = { schema: 'app', name: 'users' };
    assert.equal(columnMapper(s, users)('ssn'), null);
    assert.equal(columnMapper(s, users)('id'), 'id');
    assert.equal(isIdentityMapping(s, users), false);
    assert.equal(isIdentityMapping(s, { schema: 'app', name: 'plain' }), true);
    assert.equal(isIdentityMapping(spec({ objects: [{ schema: 'app' }], nameCase: 'lower' }), users), false);
  });

  it('takes a table\'s dml/ddl over its schema\'s, and everything by default', () => {
    const s = spec({
      objects: [
        { schema: 'app', dml: ['insert'], ddl: false, tables: [{ name: 'audit', dml: ['insert', 'update', 'delete'] }, 'events'] },
        { schema: 'all' },
      ],
    });
    assert.deepEqual([...tableOperations(s, { schema: 'app', name: 'audit' }).dml].sort(), ['delete', 'insert', 'update']);
    assert.equal(tableOperations(s, { schema: 'app', name: 'audit' }).ddl, false, 'ddl inherited from the schema');
    assert.deepEqual([...tableOperations(s, { schema: 'app', name: 'events' }).dml], ['insert']);
    assert.deepEqual([...tableOperations(s, { schema: 'all', name: 'x' }).dml].sort(), ['delete', 'insert', 'truncate', 'update']);
    assert.equal(tableOperations(s, { schema: 'all', name: 'x' }).ddl, true);
  });

  it('carries a table\'s row filter', () => {
    const s = spec({ objects: [{ schema: 'app', tables: [{ name: 'orders', where: "status <> 'draft'" }] }] });
    assert.equal(rowFilterOf(s, { schema: 'app', name: 'orders' }), "status <> 'draft'");
    assert.equal(rowFilterOf(s, { schema: 'app', name: 'other' }), undefined);
  });

  it('refuses contradictory selections with the field and the fix', () => {
    const problems = (extra: Record<string, unknown>): string[] => {
      try {
        spec(extra);
      } catch (err) {
        assert.ok(err instanceof SpecError);
        return err.problems;
      }
      return assert.fail('expected a refusal');
    };
    assert.match(problems({ objects: [{ schema: 'a', tables: ['t'], excludeTables: ['u'] }] })[0]!, /^objects\.0\.excludeTables: only applies when the whole schema is selected/);
    assert.match(problems({ objects: [{ schema: 'a', tables: ['t', { name: 't' }] }] })[0]!, /^objects\.0\.tables\.1: table "t" is listed twice/);
    assert.match(problems({ objects: [{ schema: 'a', tables: [{ name: 't', excludeColumns: ['c'], columns: { c: 'd' } }] }] })[0]!, /columns\.c: the column is also in excludeColumns/);
    assert.match(problems({ objects: [{ schema: 'a', dml: ['insert', 'upsert'] }] })[0]!, /^objects\.0\.dml\.1: /);
    assert.match(problems({ objects: [{ schema: 'a' }], replicaIdentity: 'partial' })[0]!, /^replicaIdentity: /);
  });

  it('validates the modifyObjects payload like the spec\'s objects', () => {
    assert.deepEqual(parseObjects({ objects: [{ schema: 'a', tables: ['t'] }] }), { ok: true, objects: [{ schema: 'a', tables: ['t'] }] });
    const missing = parseObjects([{ schema: 'a' }]);
    assert.equal(missing.ok, false);
    assert.match(!missing.ok ? missing.problems[0]! : '', /^objects: required field is missing/);
    const bad = parseObjects({ objects: [{ schema: 'a', tables: [] }] });
    assert.match(!bad.ok ? bad.problems[0]! : '', /^objects\.0\.tables: list at least one table/);
    const twice = parseObjects({ objects: [{ schema: 'a' }, { schema: 'a' }] });
    assert.match(!twice.ok ? twice.problems[0]! : '', /schema "a" is listed twice/);
  });
});
