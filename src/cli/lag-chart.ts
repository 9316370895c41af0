// The lag of the last minutes as a terminal chart (asciichart). Pure: samples in, lines out, so the
// rendering is tested line by line and `status --watch` only has to collect samples.
import { plot } from 'asciichart';

/** [ISO time, lag seconds], as in IncrementalStatus.lagHistory. */
export type LagSample = [string, number];

export interface LagChartOptions {
  /** Seconds the chart spans, ending at `end`; default 600 (10 minutes). */
  windowSeconds?: number;
  /** Columns of the plot; each is windowSeconds / width seconds and shows the highest lag in it. */
  width?: number;
  /** Rows of the plot above the zero line. */
  height?: number;
  /** ISO time the chart ends at; default the newest sample (keeps the function pure). */
  end?: string;
}

export const LAG_WINDOW_SECONDS = 600;
const LABEL_WIDTH = 9;

/** Samples with a readable time and a finite lag, oldest first, lag clamped at 0. */
function clean(samples: readonly LagSample[]): { t: number; lag: number }[] {
  return samples
    .map(([at, lag]) => ({ t: Date.parse(at), lag }))
    .filter((s) => Number.isFinite(s.t) && typeof s.lag === 'number' && Number.isFinite(s.lag))
    .map((s) => ({ t: s.t, lag: Math.max(0, s.lag) }))
    .sort((a, b) => a.t - b.t);
}

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
const seconds = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

/**
 * The chart's lines: a title, the plot (y axis: lag in seconds, from 0), and an x axis with the times
 * of the first plotted column and of the end. Columns before the first sample are left out; a column
 * without a sample repeats the one before (lag is a level, not an event).
 */
export function renderLagChart(samples: readonly LagSample[], opts: LagChartOptions = {}): string[] {
  const windowSeconds = opts.windowSeconds ?? LAG_WINDOW_SECONDS;
  const width = Math.max(1, Math.floor(opts.width ?? 60));
  const height = Math.max(1, Math.floor(opts.height ?? 8));
  const all = clean(samples);
  const endMs = opts.end !== undefined && Number.isFinite(Date.parse(opts.end)) ? Date.parse(opts.end) : all.at(-1)?.t;
  const title = `  lag (seconds), last ${windowSeconds % 60 === 0 ? `${windowSeconds / 60} min` : `${windowSeconds} s`}`;
  if (endMs === undefined) return [`${title}: no samples yet`];
  const step = (windowSeconds * 1000) / width;
  const startMs = endMs - windowSeconds * 1000;
  const inWindow = all.filter((s) => s.t > startMs && s.t <= endMs);
  if (!inWindow.length) return [`${title}: no samples in this window`];

  // Highest lag per column. Column i covers (start + i*step, start + (i+1)*step]: the window is open at
  // its start and closed at its end, so samples `step` apart land in consecutive columns.
  const columns: (number | undefined)[] = new Array(width).fill(undefined);
  for (const s of inWindow) {
    const i = Math.min(width - 1, Math.max(0, Math.ceil((s.t - startMs) / step) - 1));
    columns[i] = Math.max(columns[i] ?? 0, s.lag);
  }
  const first = columns.findIndex((v) => v !== undefined);
  const series: number[] = [];
  for (let i = first; i < width; i++) series.push(columns[i] ?? series[series.length - 1]);

  const max = Math.max(...series);
  const now = series[series.length - 1];
  const chart = plot(series, {
    min: 0,
    // A flat zero line has no range: give it one row above so the axis reads 0 to 1.
    max: max > 0 ? max : 1,
    height,
    format: (v: number) => seconds(v).padStart(LABEL_WIDTH - 1),
  }).split('\n').map((l) => `  ${l.trimEnd()}`);
  // Row = indent (2) + label (LABEL_WIDTH - 1) + space + axis: the first value sits on the axis column
  // and each further one a column to its right. Times are the ends of the first and last columns.
  const left = clock(startMs + (first + 1) * step);
  const right = clock(endMs);
  const span = series.length; // columns from the axis to the newest value, both included
  const axis = left === right ? right : span >= left.length + right.length + 2 ? `${left}${right.padStart(span - left.length)}` : `${left} - ${right}`;
  return [
    `${title}: now ${seconds(now)} s, max ${seconds(max)} s`,
    ...chart,
    `  ${' '.repeat(LABEL_WIDTH)}${axis} UTC`,
  ];
}
