// Pure parts of issue 15, item 8: the lag alert judged by a new evaluator (stream retried, resumed), the
// ddl-refused alert's body and its spec setting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ThresholdMonitor } from '../../src/alerts/threshold';
import { incrementalAlerts } from '../../src/alerts/incremental';
import { ddlRefusedEnabled, ddlRefusedEvent } from '../../src/alerts/ddl-refused';
import type { AlertEvent } from '../../src/alerts/event';
import { parseTaskSpec, SpecError } from '../../src/spec/validate';

const base = {
  name: 'orders',
  source: { url: 'postgresql://repl@db1:5432/app' },
  destination: { url: 'postgres://dts@db2/app' },
  objects: [{ schema: 'public' }],
};

describe('lag alert across stream attempts', () => {
  it('an age above threshold + duration fires at the first sample of a new evaluator', () => {
    const m = new ThresholdMonitor(3, 5_000, false, true);
    assert.equal(m.update(9, 100_000), 'firing', 'a 9 s old change has kept the lag above 3 s for 6 s');
    assert.equal(m.since, 100_000 - 6_000);
  });

  it('an age above the threshold for less than the duration waits, then fires on time', () => {
    const m = new ThresholdMonitor(3, 5_000, false, true);
    assert.equal(m.update(5, 0), null);
    assert.equal(m.update(7, 2_000), null);
    assert.equal(m.update(8, 3_000), 'firing');
  });

  it('a plain value (retained WAL) still needs the duration', () => {
    const m = new ThresholdMonitor(3, 5_000);
    assert.equal(m.update(100, 0), null);
  });

  it('each short-lived evaluator of a stuck stream: the lag alert fires once it is due', () => {
    const sent: AlertEvent[] = [];
    const spec = { name: 't', alerts: { webhook: { url: 'http://x' }, lag: { seconds: 3, forSeconds: 5 }, onFailure: true } };
    // Attempts of a stuck stream, each a new evaluator that sees one sample before it fails.
    for (const [lag, at] of [[2, 0], [4, 2_000], [7, 5_000], [12, 10_000]] as const) {
      incrementalAlerts('t', spec, async (_w, e) => void sent.push(e), { firing: sent.length ? ['lag'] : [] })({ lagSeconds: lag, retainedWalBytes: null }, at);
    }
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.state, 'firing');
    assert.equal(sent[0]!.value, 12);
  });
});

describe('ddl-refused alert', () => {
  const refusal = (i: number) => ({ at: '2026-01-01T00:00:00.000Z', lsn: `0/${i}`, statement: `ALTER TABLE a.t ADD COLUMN c${i} int`, outcome: 'replica-role', detail: 'why' });

  it('lists the refusals with reason, LSN and statement', () => {
    const e = ddlRefusedEvent('task', { name: 'orders' }, [refusal(1), refusal(2)], new Date('2026-01-01T00:00:05Z'));
    assert.equal(e.kind, 'ddl-refused');
    assert.equal(e.state, 'firing');
    assert.equal(e.value, 2);
    assert.match(e.message, /^task orders: 2 DDL statements not replicated: replica-role at 0\/1: ALTER TABLE a\.t ADD COLUMN c1 int; replica-role at 0\/2/);
    assert.deepEqual(e.refusals![0], { at: refusal(1).at, lsn: '0/1', reason: 'replica-role', statement: refusal(1).statement, detail: 'why' });
  });

  it('lists at most 20 and says how many more', () => {
    const e = ddlRefusedEvent('task', { name: 'orders' }, Array.from({ length: 25 }, (_, i) => refusal(i)));
    assert.equal(e.refusals!.length, 20);
    assert.match(e.message, /25 DDL statements not replicated \(the first 5 not listed/);
  });

  it('is on unless the spec says false; everySeconds defaults to 60', () => {
    const spec = (alerts: unknown) => parseTaskSpec({ ...base, alerts });
    const webhook = { url: 'https://hooks.example.com/x' };
    assert.equal(ddlRefusedEnabled(spec({ webhook })), true);
    assert.equal(ddlRefusedEnabled(spec({ webhook, ddlRefused: false })), false);
    assert.deepEqual(spec({ webhook, ddlRefused: {} }).alerts!.ddlRefused, { everySeconds: 60 });
    assert.throws(() => spec({ webhook, ddlRefused: { everySeconds: -1 } }), (err) => err instanceof SpecError && err.problems.some((p) => p.includes('ddlRefused')));
    assert.equal(ddlRefusedEnabled(parseTaskSpec(base)), false, 'no alerts section, no alert');
  });
});
