// The lag chart is rendered text: known series, exact lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderLagChart, type LagSample } from '../../src/cli/lag-chart';
import { LagSamples } from '../../src/cli/lag-samples';
import type { IncrementalStatus } from '../../workflows/status';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
/** One sample every 10 s from t = 0. */
const series = (lags: number[]): LagSample[] => lags.map((lag, i) => [at(i * 10), lag]);
const SMALL = { windowSeconds: 100, width: 10, height: 4 };

test('a rise and fall: title with now/max, a y axis from 0, the line, times of both ends', () => {
  assert.deepEqual(renderLagChart(series([0, 1, 2, 4, 8, 4, 2, 1, 0.5, 0.5]), SMALL), [
    '  lag (seconds), last 100 s: now 0.5 s, max 8.0 s',
    '       8.0 ┼   ╭╮',
    '       6.0 ┤   ││',
    '       4.0 ┤  ╭╯╰╮',
    '       2.0 ┤╭─╯  ╰─╮',
    '       0.0 ┼╯      ╰─',
    '           00:00:00 - 00:01:30 UTC',
  ]);
});

test('a 10-minute window at 10 s per column: 60 samples fill 60 columns and the x axis spans them', () => {
  const lines = renderLagChart(series(Array.from({ length: 60 }, (_, i) => (i < 30 ? 0 : 2))), { height: 2 });
  assert.deepEqual(lines, [
    '  lag (seconds), last 10 min: now 2.0 s, max 2.0 s',
    `       2.0 ┼${' '.repeat(29)}╭${'─'.repeat(29)}`,
    '       1.0 ┤                             │',
    `       0.0 ┼${'─'.repeat(29)}╯`,
    `           00:00:00${' '.repeat(44)}00:09:50 UTC`,
  ]);
});

test('several samples in one column count with the highest; samples outside the window are left out', () => {
  const samples: LagSample[] = [[at(-500), 99], [at(0), 1], [at(2), 5], [at(4), 1], [at(10), 1], [at(20), 1]];
  // Columns (-10, 0], (0, 10], (10, 20]: 1, max(5, 1, 1), 1.
  assert.deepEqual(renderLagChart(samples, { windowSeconds: 30, width: 3, height: 2 }), [
    '  lag (seconds), last 30 s: now 1.0 s, max 5.0 s',
    '       5.0 ┼╭╮',
    '       2.5 ┤││',
    '       0.0 ┼╯╰',
    '           00:00:00 - 00:00:20 UTC',
  ]);
});

test('no samples, and no samples in the window', () => {
  assert.deepEqual(renderLagChart([]), ['  lag (seconds), last 10 min: no samples yet']);
  assert.deepEqual(renderLagChart([['not a time', 3], [at(0), Number.NaN]]), ['  lag (seconds), last 10 min: no samples yet']);
  assert.deepEqual(renderLagChart(series([1]), { end: at(3600) }), ['  lag (seconds), last 10 min: no samples in this window']);
});

test('a flat series: a straight line at its level, axis from 0; a flat zero line gets a 0..1 axis', () => {
  assert.deepEqual(renderLagChart(series([3, 3, 3, 3]), { ...SMALL, height: 3 }), [
    '  lag (seconds), last 100 s: now 3.0 s, max 3.0 s',
    '       3.0 ┼───',
    '       2.0 ┤',
    '       1.0 ┤',
    '       0.0 ┤',
    '           00:00:00 - 00:00:30 UTC',
  ]);
  assert.deepEqual(renderLagChart(series([0, 0, 0]), { ...SMALL, height: 2 }), [
    '  lag (seconds), last 100 s: now 0.0 s, max 0.0 s',
    '       1.0 ┼',
    '       0.5 ┤',
    '       0.0 ┼──',
    '           00:00:00 - 00:00:20 UTC',
  ]);
});

test('one point: drawn on the axis, one time under it; negative lag is drawn as 0', () => {
  assert.deepEqual(renderLagChart([[at(0), 4]], SMALL), [
    '  lag (seconds), last 100 s: now 4.0 s, max 4.0 s',
    '       4.0 ┼',
    '       3.0 ┤',
    '       2.0 ┤',
    '       1.0 ┤',
    '       0.0 ┤',
    '           00:00:00 UTC',
  ]);
  assert.equal(renderLagChart([[at(0), -2]], SMALL)[0], '  lag (seconds), last 100 s: now 0.0 s, max 0.0 s');
});

test('LagSamples: one sample per report, merged with lagHistory, bounded to the window', () => {
  const inc = (reportedAt: string, lagSeconds: number, lagHistory?: [string, number][]) => ({ reportedAt, lagSeconds, lagHistory }) as IncrementalStatus;
  const s = new LagSamples(60);
  s.add(null);
  assert.deepEqual(s.samples(), []);
  s.add(inc(at(0), 1));
  s.add(inc(at(0), 1)); // the same report polled twice
  s.add(inc(at(30), 2, [[at(10), 5], [at(20), 6]]));
  assert.deepEqual(s.samples(), [[at(0), 1], [at(10), 5], [at(20), 6], [at(30), 2]]);
  s.add(inc(at(70), 3));
  assert.deepEqual(s.samples(), [[at(20), 6], [at(30), 2], [at(70), 3]]);
});
