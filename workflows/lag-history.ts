// The last minutes of lag, kept in `status` for the terminal chart: one point per 10 s, ten minutes.
import type { IncrementalStatus } from './status';

const EVERY_MS = 10_000;
const POINTS = 60;

export function recordLag(history: [string, number][] | undefined, stats: Pick<IncrementalStatus, 'reportedAt' | 'lagSeconds'>): [string, number][] {
  const points = history ? [...history] : [];
  const last = points[points.length - 1];
  if (last && Date.parse(stats.reportedAt) - Date.parse(last[0]) < EVERY_MS) return points;
  points.push([stats.reportedAt, stats.lagSeconds]);
  return points.slice(-POINTS);
}
