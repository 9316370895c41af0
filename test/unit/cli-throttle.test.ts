import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limitValue, throttleFromFlags } from '../../src/cli/throttle';
import { formatStatus } from '../../src/cli/format-status';
import type { TaskStatus } from '../../workflows/status';

describe('pg-dts throttle flags', () => {
  it('build the signal payload from the flags given, nothing else', () => {
    assert.deepEqual(throttleFromFlags({ incrementalRps: 500 }), { incremental: { rps: 500 } });
    assert.deepEqual(throttleFromFlags({ fullRps: 1000, fullMbps: 2.5, fullSourceQps: 20, incrementalMbps: 1 }), {
      full: { rps: 1000, mbps: 2.5, sourceQps: 20 },
      incremental: { mbps: 1 },
    });
    assert.deepEqual(throttleFromFlags({ clear: true }), {});
  });

  it('name the flag that is wrong', () => {
    assert.throws(() => throttleFromFlags({ incrementalRps: 0 }), /^Error: --incremental-rps: must be a number greater than 0/);
    assert.throws(() => throttleFromFlags({ fullSourceQps: -1 }), /^Error: --full-source-qps: /);
    assert.throws(() => limitValue('fast'), /must be a number/);
    assert.throws(() => limitValue('Infinity'), /must be a number/);
  });

  it('refuse an empty or contradictory request', () => {
    assert.throws(() => throttleFromFlags({}), /or --clear/);
    assert.throws(() => throttleFromFlags({ clear: true, fullRps: 5 }), /give it alone/);
  });

  it('show up in pg-dts status', () => {
    const status = { name: 't', taskId: 't', phase: 'incremental', paused: false, source: 'a', destination: 'b', slot: 's', tables: [], lastError: null, incremental: null };
    const text = (throttle: unknown) => formatStatus({ ...status, throttle } as unknown as TaskStatus);
    assert.match(text({ full: { rps: 10, sourceQps: 2 }, incremental: { mbps: 1.5 } }), /throttle: full 10 rows\/s, 2 source queries\/s; incremental 1.5 MB\/s/);
    assert.match(text({}), /throttle: none \(unlimited\)/);
    assert.match(text(undefined), /throttle: none \(unlimited\)/);
  });
});
