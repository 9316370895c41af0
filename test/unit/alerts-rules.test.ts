// The alert rules without a network: the threshold timing, the spec's `alerts` validation, and the
// failure-classification the retry metric uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { incrementalAlerts } from '../../src/alerts/incremental';
import { ThresholdMonitor } from '../../src/alerts/threshold';
import { classifyFailure } from '../../src/retry/classify';
import { metricsPort } from '../../src/metrics/server';
import { parseTaskSpec, SpecError } from '../../src/spec/validate';

const base = {
  name: 'orders',
  source: { url: 'postgresql://repl@db1:5432/app' },
  destination: { url: 'postgres://dts@db2/app' },
  objects: [{ schema: 'public' }],
};
function problems(alerts: unknown): string[] {
  try {
    parseTaskSpec({ ...base, alerts });
    return [];
  } catch (err) {
    assert.ok(err instanceof SpecError);
    return err.problems;
  }
}

describe('ThresholdMonitor', () => {
  it('fires once after the value stays above the threshold for the duration, and resolves once', () => {
    const m = new ThresholdMonitor(10, 5_000);
    assert.equal(m.update(11, 0), null, 'not yet: above for 0 s');
    assert.equal(m.update(12, 3_000), null);
    assert.equal(m.update(13, 5_000), 'firing');
    assert.equal(m.update(14, 8_000), null, 'fires once');
    assert.equal(m.update(null, 9_000), null, 'unknown changes nothing');
    assert.equal(m.update(10, 10_000), 'resolved', 'at the threshold is not above it');
    assert.equal(m.update(5, 11_000), null, 'resolves once');
  });

  it('restarts the duration when the value dips below the threshold before it elapsed', () => {
    const m = new ThresholdMonitor(10, 5_000);
    m.update(11, 0);
    assert.equal(m.update(9, 4_000), null, 'never fired: nothing to resolve');
    assert.equal(m.update(11, 6_000), null);
    assert.equal(m.update(11, 10_000), null, 'only 4 s above since the dip');
    assert.equal(m.update(11, 11_000), 'firing');
  });

  it('fires at the first sample above with a zero duration', () => {
    assert.equal(new ThresholdMonitor(1, 0).update(2, 0), 'firing');
  });

  it('left firing by an earlier evaluator: stays quiet while above, resolves when it falls back', () => {
    const m = new ThresholdMonitor(10, 5_000, true);
    assert.equal(m.update(20, 0), null, 'still above: not fired again');
    assert.equal(m.update(20, 60_000), null);
    assert.equal(m.update(3, 61_000), 'resolved');
    assert.equal(new ThresholdMonitor(10, 0, true).update(3, 0), 'resolved', 'cleared while no evaluator ran: resolved at the first sample');
  });
});

describe('incremental alerts evaluator', () => {
  const spec = { name: 'orders', alerts: { webhook: { url: 'http://h/x' }, lag: { seconds: 5, forSeconds: 0 }, retainedWalBytes: 100, onFailure: true } };
  it('starts from the alerts already firing and reports every transition', () => {
    const sent: string[] = [];
    const transitions: string[] = [];
    const evaluate = incrementalAlerts('t1', spec, async (_webhook, e) => void sent.push(`${e.kind}:${e.state}`), {
      firing: ['retained-wal'], onTransition: (kind, state) => void transitions.push(`${kind}:${state}`),
    });
    evaluate({ lagSeconds: 9, retainedWalBytes: 500 }, 0);
    assert.deepEqual(sent, ['lag:firing'], 'retained WAL was firing already: only lag fires');
    evaluate({ lagSeconds: 1, retainedWalBytes: 50 }, 1_000);
    assert.deepEqual(sent, ['lag:firing', 'lag:resolved', 'retained-wal:resolved']);
    assert.deepEqual(transitions, sent, 'each transition is reported for the workflow status');
  });

  it('while paused: lag is not judged, retained WAL is, and the message says so', () => {
    const events: { kind: string; message: string }[] = [];
    const evaluate = incrementalAlerts('t1', spec, async (_webhook, e) => void events.push(e), { paused: true });
    evaluate({ lagSeconds: null, retainedWalBytes: 500 }, 0);
    assert.deepEqual(events.map((e) => e.kind), ['retained-wal']);
    assert.match(events[0]!.message, /retains 500 bytes of WAL on the source while the task is paused \(threshold 100\)/);
  });
});

describe('spec alerts', () => {
  it('accepts a full setting and fills the defaults', () => {
    const spec = parseTaskSpec({ ...base, alerts: { webhook: { url: 'https://hooks.example.com/x', headers: { Authorization: 'Bearer t' } }, lag: { seconds: 30 } } });
    assert.deepEqual(spec.alerts, {
      webhook: { url: 'https://hooks.example.com/x', headers: { Authorization: 'Bearer t' } }, lag: { seconds: 30, forSeconds: 60 }, onFailure: true,
    });
  });

  it('names the field and the fix for bad values', () => {
    assert.deepEqual(problems({ webhook: { url: 'ftp://x/y' } }), ['alerts.webhook.url: must be an http:// or https:// URL, e.g. https://hooks.example.com/pg-dts']);
    assert.deepEqual(problems({}), ['alerts.webhook: required field is missing']);
    assert.deepEqual(problems({ webhook: { url: 'http://h' }, lag: { seconds: 0, forSeconds: -1 } }), [
      'alerts.lag.seconds: must be a number of seconds greater than 0',
      'alerts.lag.forSeconds: must be 0 or more seconds',
    ]);
    assert.deepEqual(problems({ webhook: { url: 'http://h' }, retainedWalBytes: 1.5 }), ['alerts.retainedWalBytes: must be a whole number of bytes']);
    assert.deepEqual(problems({ webhook: { url: 'http://h', headers: { 'bad name': 'v' } } }), ['alerts.webhook.headers.bad name: must be an HTTP header name (letters, digits, "-")']);
    assert.match(problems({ webhook: { url: 'http://h' }, extra: 1 })[0], /^alerts\.extra: unknown field/);
  });
});

describe('retry classification and metrics port', () => {
  it('classifies connection failures through the cause chain', () => {
    assert.equal(classifyFailure(Object.assign(new Error('x'), { code: '08006' })), 'connection');
    assert.equal(classifyFailure(Object.assign(new Error('x'), { code: '57P01' })), 'connection');
    assert.equal(classifyFailure(new Error('wrapped', { cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }) })), 'connection');
    assert.equal(classifyFailure(new Error('Connection terminated unexpectedly')), 'connection');
    assert.equal(classifyFailure(Object.assign(new Error('dup'), { code: '23505' })), 'other');
    assert.equal(classifyFailure('nope'), 'other');
  });

  it('reads PG_DTS_METRICS_PORT: unset or 0 is off, a port serves, garbage is an error naming the variable', () => {
    assert.equal(metricsPort({}), null);
    assert.equal(metricsPort({ PG_DTS_METRICS_PORT: '0' }), null);
    assert.equal(metricsPort({ PG_DTS_METRICS_PORT: '9100' }), 9100);
    assert.throws(() => metricsPort({ PG_DTS_METRICS_PORT: 'x' }), /PG_DTS_METRICS_PORT: "x" is not a port/);
  });
});
