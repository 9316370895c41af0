// Real time, short runs: the limiter's contract is a measured rate, so measure it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limitsOf, RateLimiter } from '../../src/util/rate-limiter';

/** Calls take(units, bytes) in a loop for `ms` and returns what passed per second. */
async function measure(limiter: RateLimiter, ms: number, units: number, bytes: number) {
  const start = performance.now();
  let u = 0;
  let b = 0;
  while (performance.now() - start < ms) {
    await limiter.take(units, bytes);
    u += units;
    b += bytes;
  }
  const seconds = (performance.now() - start) / 1000;
  return { unitsPerSecond: u / seconds, bytesPerSecond: b / seconds };
}

const within = (actual: number, expected: number, tolerance: number) =>
  assert.ok(Math.abs(actual - expected) <= expected * tolerance, `${actual.toFixed(1)} not within ${tolerance * 100} % of ${expected}`);

describe('RateLimiter', () => {
  it('holds 300 rows/s within 10 %', async () => {
    const { unitsPerSecond } = await measure(new RateLimiter({ perSecond: 300 }), 1500, 10, 0);
    within(unitsPerSecond, 300, 0.1);
  });

  it('holds a bytes limit, the other dimension unlimited', async () => {
    const { bytesPerSecond } = await measure(new RateLimiter({ bytesPerSecond: 100_000 }), 400, 1, 4_000);
    within(bytesPerSecond, 100_000, 0.1);
  });

  it('lets a request larger than the bucket pass after proportional time', async () => {
    const limiter = new RateLimiter({ perSecond: 1000 }); // bucket: 200 units
    const start = performance.now();
    await limiter.take(300, 0);
    within(performance.now() - start, 300, 0.15);
  });

  it('applies setLimits to a caller that is already waiting', async () => {
    const limiter = new RateLimiter({ perSecond: 10 });
    const start = performance.now();
    const waiting = limiter.take(100, 0); // 10 s at the old rate
    setTimeout(() => limiter.setLimits({ perSecond: 1000 }), 50);
    await waiting;
    const ms = performance.now() - start;
    assert.ok(ms < 250, `took ${ms.toFixed(0)} ms after raising the limit`);
    const { unitsPerSecond } = await measure(limiter, 250, 10, 0);
    within(unitsPerSecond, 1000, 0.15);
  });

  it('releases a waiter at once when the limits are lifted', async () => {
    const limiter = new RateLimiter({ perSecond: 1 });
    const waiting = limiter.take(1_000, 0);
    const start = performance.now();
    limiter.setLimits({});
    await waiting;
    assert.ok(performance.now() - start < 20);
    assert.equal(limiter.limited, false);
  });

  it('is immediate and reports limited=false when unlimited', async () => {
    const limiter = new RateLimiter();
    assert.equal(limiter.limited, false);
    const start = performance.now();
    for (let i = 0; i < 10_000; i++) await limiter.take(1_000, 1e9);
    assert.ok(performance.now() - start < 100); // no timers: about a microsecond per call
  });

  it('rejects a limit that is not a positive finite number', () => {
    assert.throws(() => new RateLimiter({ perSecond: 0 }), RangeError);
    assert.throws(() => new RateLimiter({ bytesPerSecond: Infinity }), RangeError);
  });

  it('converts a throttle section (mbps is 1e6 bytes per second)', () => {
    assert.deepEqual(limitsOf({ rps: 5, mbps: 2 }), { perSecond: 5, bytesPerSecond: 2_000_000 });
    assert.deepEqual(limitsOf(undefined), { perSecond: undefined, bytesPerSecond: undefined });
  });
});
