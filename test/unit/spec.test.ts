import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseObjects, parseTaskSpec, redactUrl, endpointLabel } from '../../src/spec/validate';
import { problems, valid } from './spec-fixture';
import { taskSpecJsonSchema } from '../../src/spec/json-schema';
import { parseThrottle } from '../../src/spec/schema';

/** Builds the kind of URL the validator must refuse (a fake password, assembled so no real-looking secret is committed). */
const inlinePasswordUrl = (user: string, password: string, rest: string): string =>
  ['postgresql://', user, ':', password, '@', rest].join('');

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

  it('says what type a field must have when it has another, and "missing" only when it is absent', () => {
    assert.deepEqual(problems({ ...valid, name: 5 }), ['name: must be a string, not a number']);
    assert.deepEqual(problems({ ...valid, name: null }), ['name: must be a string, not null']);
    assert.deepEqual(problems({ ...valid, source: { url: 5 } }), ['source.url: must be a string, not a number']);
    assert.deepEqual(problems({ ...valid, source: 'postgresql://db1/app' }), ['source: must be an object, not a string']);
    assert.deepEqual(problems({ ...valid, objects: { schema: 'public' } }), ['objects: must be a list, not an object']);
    assert.deepEqual(problems({ ...valid, retry: { connectionMinutes: 30.5 } }), ['retry.connectionMinutes: must be a whole number, not a fraction']);
    assert.deepEqual(problems({ ...valid, retry: { connectionMinutes: '30' } }), ['retry.connectionMinutes: must be a number, not a string']);
    assert.deepEqual(problems({ ...valid, alerts: { webhook: { url: 'https://h/x' }, onFailure: 'yes' } }), ['alerts.onFailure: must be true or false, not a string']);
    // a table entry is a name or an object: say so, or what is wrong inside the object
    assert.deepEqual(problems({ ...valid, objects: [{ schema: 'public', tables: [5] }] }), ['objects.0.tables.0: must be a string or an object, not a number']);
    assert.deepEqual(problems({ ...valid, objects: [{ schema: 'public', tables: [{ name: 5 }] }] }), ['objects.0.tables.0.name: must be a string, not a number']);
    assert.deepEqual(problems({ ...valid, objects: [{ schema: 'public', tables: [{ rename: 'x' }] }] }), ['objects.0.tables.0.name: required field is missing']);
    assert.deepEqual(parseObjects({ objects: [{ schema: 7 }] }), { ok: false, problems: ['objects.0.schema: must be a string, not a number'] });
    assert.deepEqual(parseObjects({ objects: [{}] }), { ok: false, problems: ['objects.0.schema: required field is missing'] });
  });

  it('limits identifiers to 63 bytes in UTF-8, as PostgreSQL does, not to 63 characters', () => {
    const table = (name: string) => ({ ...valid, objects: [{ schema: 'public', tables: [name] }] });
    assert.doesNotThrow(() => parseTaskSpec(table('a'.repeat(63))));
    assert.doesNotThrow(() => parseTaskSpec(table('é'.repeat(31)))); // 62 bytes
    assert.deepEqual(problems(table('é'.repeat(32))), ['objects.0.tables.0: PostgreSQL identifiers are at most 63 bytes in UTF-8; shorten it']); // 32 characters, 64 bytes
    assert.deepEqual(problems(table('a'.repeat(64))), ['objects.0.tables.0: PostgreSQL identifiers are at most 63 bytes in UTF-8; shorten it']);
    assert.deepEqual(problems(table('表'.repeat(22))), ['objects.0.tables.0: PostgreSQL identifiers are at most 63 bytes in UTF-8; shorten it']); // 66 bytes
    assert.deepEqual(problems({ ...valid, objects: [{ schema: 'x'.repeat(40) + '😀'.repeat(6) }] }), ['objects.0.schema: PostgreSQL identifiers are at most 63 bytes in UTF-8; shorten it']); // 64 bytes
    assert.deepEqual(
      problems({ ...valid, objects: [{ schema: 'public', tables: [{ name: 't', columns: { ['ü'.repeat(32)]: 'x' } }] }] }),
      [`objects.0.tables.0.columns.${'ü'.repeat(32)}: PostgreSQL identifiers are at most 63 bytes in UTF-8; shorten it`],
    );
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

  it('accepts a throttle and leaves it out when absent (unlimited)', () => {
    const throttle = { full: { sourceQps: 50, rps: 10_000, mbps: 20.5 }, incremental: { rps: 500 } };
    assert.deepEqual(parseTaskSpec({ ...valid, throttle }).throttle, throttle);
    assert.equal(parseTaskSpec(valid).throttle, undefined);
    assert.deepEqual(parseTaskSpec({ ...valid, throttle: {} }).throttle, {});
  });

  it('rejects a zero, negative or unknown throttle limit, naming the field', () => {
    assert.match(problems({ ...valid, throttle: { incremental: { rps: 0 } } })[0], /^throttle\.incremental\.rps: must be a number greater than 0/);
    assert.match(problems({ ...valid, throttle: { full: { mbps: -1 } } })[0], /^throttle\.full\.mbps: must be a number greater than 0/);
    assert.match(problems({ ...valid, throttle: { full: { qps: 5 } } })[0], /^throttle\.full\.qps: unknown field/);
    assert.match(problems({ ...valid, throttle: { incremental: { rps: '500' } } })[0], /^throttle\.incremental\.rps: /);
  });

  it('validates a throttle signal payload on its own, with the same rules and field names', () => {
    assert.deepEqual(parseThrottle({ incremental: { rps: 500 } }), { ok: true, throttle: { incremental: { rps: 500 } } });
    assert.deepEqual(parseThrottle({ incremental: { rps: -5, bps: 1 } }), {
      ok: false,
      problems: ['throttle.incremental.rps: must be a number greater than 0 (omit it for no limit)', 'throttle.incremental.bps: unknown field'],
    });
    assert.equal(parseThrottle(undefined).ok, false);
  });

  it('redacts and labels URLs without credentials', () => {
    assert.equal(redactUrl(inlinePasswordUrl('u', 'p', 'h/db')), inlinePasswordUrl('u', '***', 'h/db'));
    assert.equal(endpointLabel('postgresql://u@h:5433/db?sslmode=require'), 'h:5433/db');
  });

  it('exports a JSON Schema that lists the spec fields', () => {
    const schema = taskSpecJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    assert.ok(['name', 'source', 'destination', 'objects', 'syncTypes', 'retry', 'throttle'].every((f) => f in schema.properties));
    assert.deepEqual([...schema.required].sort(), ['destination', 'name', 'objects', 'source']);
  });
});
