// Continuous verification in the task spec (`verify: { every, mode }`, issue 16 item 5): a duration users
// can read ("30m", "6h", "1d", "1h30m"), at least the documented minimum, and only the modes that keep row
// values out of the task's history. A bad value names the field and the fix.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTaskSpec, SpecError } from '../../src/spec/validate';
import { DURATION_PATTERN, MIN_VERIFY_EVERY_SECONDS, parseDuration } from '../../src/spec/duration';
import { taskSpecJsonSchema } from '../../src/spec/json-schema';

const base = {
  name: 'orders',
  source: { url: 'postgresql://repl@db1:5432/app' },
  destination: { url: 'postgres://dts@db2/app' },
  objects: [{ schema: 'public' }],
};

const problems = (input: unknown): string[] => {
  let error: unknown;
  assert.throws(() => parseTaskSpec(input), (e: unknown) => ((error = e), e instanceof SpecError));
  return (error as SpecError).problems;
};

const DURATION_FIX = 'verify.every: must be a duration like "30m", "6h" or "1d" (whole numbers with s, m, h or d; "1h30m" combines them)';

describe('durations', () => {
  it('reads seconds, minutes, hours, days and their combinations', () => {
    assert.equal(parseDuration('10s'), 10_000);
    assert.equal(parseDuration('30m'), 1_800_000);
    assert.equal(parseDuration('6h'), 21_600_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1d12h'), 129_600_000);
  });

  it('refuses anything else', () => {
    for (const bad of ['', '6', 'h', '6 h', '6H', '1.5h', '-1h', '30m1h', '1h1h', 'PT6H', '6hours', ' 6h']) {
      assert.equal(parseDuration(bad), null, JSON.stringify(bad));
      assert.ok(!DURATION_PATTERN.test(bad), `the JSON Schema's pattern refuses ${JSON.stringify(bad)} too`);
    }
    for (const good of ['10s', '30m', '6h', '1d', '1h30m', '1d12h', '2d3h4m5s']) assert.ok(DURATION_PATTERN.test(good), good);
  });
});

describe('verify in the task spec', () => {
  it('is optional, and its mode defaults to checksum', () => {
    assert.equal(parseTaskSpec(base).verify, undefined);
    assert.deepEqual(parseTaskSpec({ ...base, verify: { every: '6h' } }).verify, { every: '6h', mode: 'checksum' });
    assert.deepEqual(parseTaskSpec({ ...base, verify: { every: '30m', mode: 'count' } }).verify, { every: '30m', mode: 'count' });
  });

  it('accepts the minimum interval and refuses less, saying what the minimum is', () => {
    assert.equal(MIN_VERIFY_EVERY_SECONDS, 10);
    assert.doesNotThrow(() => parseTaskSpec({ ...base, verify: { every: '10s' } }));
    assert.deepEqual(problems({ ...base, verify: { every: '9s' } }),
      ['verify.every: must be at least 10s (each run compares every selected table on both servers); e.g. "6h"']);
  });

  it('names the field and the format of a bad duration', () => {
    assert.deepEqual(problems({ ...base, verify: { every: '6 hours' } }), [DURATION_FIX]);
    assert.deepEqual(problems({ ...base, verify: { every: 'PT6H' } }), [DURATION_FIX]);
    assert.deepEqual(problems({ ...base, verify: { every: 21600 } }), ['verify.every: must be a string, not a number']);
    assert.deepEqual(problems({ ...base, verify: {} }), ['verify.every: required field is missing']);
  });

  it('takes count or checksum, not rows (its report holds row values), and no unknown field', () => {
    assert.deepEqual(problems({ ...base, verify: { every: '6h', mode: 'rows' } }),
      ['verify.mode: must be "count" or "checksum" (rows mode lists row values: run pg-dts verify --mode rows when a difference is reported)']);
    assert.match(problems({ ...base, verify: { every: '6h', interval: '1h' } })[0]!, /^verify\.interval: unknown field; remove it/);
  });

  it('needs incremental sync: a verification runs while the task streams', () => {
    assert.deepEqual(problems({ ...base, syncTypes: ['schema', 'full'], verify: { every: '6h' } }),
      ['verify: continuous verification runs while the task streams; add "incremental" to syncTypes or remove "verify" (pg-dts verify compares a finished task once)']);
  });

  it('is in the JSON Schema users see', () => {
    const schema = taskSpecJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }> };
    assert.equal((schema.properties.verify?.properties?.every as { pattern?: string }).pattern, DURATION_PATTERN.source);
    assert.ok(schema.properties.verify?.properties?.mode);
  });
});
