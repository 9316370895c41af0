import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTaskSpec, redactUrl, endpointLabel, SpecError } from '../../src/spec/validate';
import { taskSpecJsonSchema } from '../../src/spec/json-schema';

const valid = {
  name: 'orders',
  source: { url: 'postgresql://repl@db1:5432/app', passwordEnv: 'SRC_PW' },
  destination: { url: 'postgres://dts@db2/app' },
  objects: [{ schema: 'public' }],
};

/** Builds the kind of URL the validator must refuse (a fake password, assembled so no real-looking secret is committed). */
const inlinePasswordUrl = (user: string, password: string, rest: string): string =>
  ['postgresql://', user, ':', password, '@', rest].join('');

function problems(input: unknown): string[] {
  try {
    parseTaskSpec(input);
  } catch (err) {
    assert.ok(err instanceof SpecError);
    return err.problems;
  }
  assert.fail('expected the spec to be rejected');
}

describe('task spec validation', () => {
  it('fills defaults', () => {
    const spec = parseTaskSpec(valid);
    assert.deepEqual(spec.syncTypes, ['schema', 'full', 'incremental']);
    assert.equal(spec.conflictingTables, 'precheck');
    assert.equal(spec.nameCase, 'default');
    assert.deepEqual(spec.retry, { connectionMinutes: 720, otherMinutes: 10 });
  });

  it('names a missing field', () => {
    const { destination: _d, ...rest } = valid;
    assert.deepEqual(problems(rest), ['destination: required field is missing']);
  });

  it('names an unknown field and says how to fix it', () => {
    const [p] = problems({ ...valid, sourceUrl: 'x' });
    assert.match(p, /^sourceUrl: unknown field; remove it/);
    const [nested] = problems({ ...valid, source: { ...valid.source, pasword: 'x' } });
    assert.match(nested, /^source\.pasword: unknown field/);
  });

  it('rejects an inline password and says where to put it instead, without echoing it', () => {
    const bad = { ...valid, source: { url: inlinePasswordUrl('repl', 'hunter2', 'db1/app') } };
    const [p] = problems(bad);
    assert.match(p, /^source\.url: contains a password; .*source\.passwordEnv/);
    assert.ok(!p.includes('hunter2'));
    assert.match(problems({ ...valid, destination: { url: 'postgresql://db2/app?password=x' } })[0], /^destination\.url: contains a password/);
  });

  it('rejects a URL that is not a libpq URL', () => {
    assert.match(problems({ ...valid, source: { url: 'mysql://db1/app' } })[0], /^source\.url: must be a libpq URL/);
  });

  it('checks ranges and cross-field rules of the retry windows', () => {
    assert.match(problems({ ...valid, retry: { connectionMinutes: 5 } })[0], /^retry\.connectionMinutes: /);
    assert.match(problems({ ...valid, retry: { connectionMinutes: 10, otherMinutes: 10 } })[0], /^retry\.otherMinutes: otherMinutes must be less/);
  });

  it('redacts and labels URLs without credentials', () => {
    assert.equal(redactUrl(inlinePasswordUrl('u', 'p', 'h/db')), inlinePasswordUrl('u', '***', 'h/db'));
    assert.equal(endpointLabel('postgresql://u@h:5433/db?sslmode=require'), 'h:5433/db');
  });

  it('exports a JSON Schema that lists the spec fields', () => {
    const schema = taskSpecJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    assert.ok(['name', 'source', 'destination', 'objects', 'syncTypes', 'retry'].every((f) => f in schema.properties));
    assert.deepEqual([...schema.required].sort(), ['destination', 'name', 'objects', 'source']);
  });
});
