// Webhook headers in the task spec: a value with a line break would end its header and start another one
// (header injection), so a value with CR, LF or any other control character is refused at validation, with
// the field named; headers that frame the request are pg-dts's own. The disk-space probe is opt-in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTaskSpec, SpecError } from '../../src/spec/validate';

const base = {
  name: 'orders',
  source: { url: 'postgresql://repl@db1:5432/app' },
  destination: { url: 'postgres://dts@db2/app' },
  objects: [{ schema: 'public' }],
};

const withHeaders = (headers: Record<string, string>) => ({ ...base, alerts: { webhook: { url: 'https://hooks.example.com/x', headers } } });

/** The problems a rejected spec is reported with. */
const problems = (input: unknown): string[] => {
  let error: unknown;
  assert.throws(() => parseTaskSpec(input), (e: unknown) => ((error = e), e instanceof SpecError));
  return (error as SpecError).problems;
};

describe('alert webhook headers in the spec', () => {
  it('refuses CR, LF and other control characters in a header value, naming the field', () => {
    assert.deepEqual(problems(withHeaders({ authorization: 'Bearer x\r\nx-evil: 1' })),
      ['alerts.webhook.headers.authorization: must not contain line breaks or other control characters']);
    assert.deepEqual(problems(withHeaders({ 'x-a': 'one\ntwo', 'x-b': 'nul\u0000', 'x-c': 'del\u007f' })), [
      'alerts.webhook.headers.x-a: must not contain line breaks or other control characters',
      'alerts.webhook.headers.x-b: must not contain line breaks or other control characters',
      'alerts.webhook.headers.x-c: must not contain line breaks or other control characters',
    ]);
  });

  it('refuses headers that frame the request', () => {
    assert.deepEqual(problems(withHeaders({ Host: 'metadata.google.internal', 'Content-Length': '0' })), [
      'alerts.webhook.headers.Host: frames the request or its connection (pg-dts sets what it needs): remove it',
      'alerts.webhook.headers.Content-Length: frames the request or its connection (pg-dts sets what it needs): remove it',
    ]);
  });

  it('accepts ordinary values, tabs and non-ASCII text included', () => {
    const spec = parseTaskSpec(withHeaders({ authorization: 'Bearer abc.def', 'x-note': 'a\tb', 'x-name': 'Zoë' }));
    assert.equal(spec.alerts?.webhook.headers?.authorization, 'Bearer abc.def');
  });

  it('precheck.diskSpaceProbe is off unless asked for', () => {
    assert.equal(parseTaskSpec(base).precheck.diskSpaceProbe, false);
    assert.equal(parseTaskSpec({ ...base, precheck: { diskSpaceProbe: true } }).precheck.diskSpaceProbe, true);
    assert.deepEqual(problems({ ...base, precheck: { diskSpaceProbe: 'yes' } }), ['precheck.diskSpaceProbe: must be true or false, not a string']);
  });
});
