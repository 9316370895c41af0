// `pg-dts throttle`: flags -> the `throttle` signal payload, checked with the spec's own schema so the
// CLI refuses exactly what the workflow would ignore, and says which flag is wrong.
import { InvalidArgumentError } from 'commander';
import { parseThrottle, type Throttle } from '../spec/schema';

export interface ThrottleFlags {
  fullRps?: number;
  fullMbps?: number;
  fullSourceQps?: number;
  incrementalRps?: number;
  incrementalMbps?: number;
  clear?: boolean;
}

/** Flag for each throttle field path, to name the flag in errors rather than the JSON field. */
const FLAGS: Record<string, string> = {
  'throttle.full.rps': '--full-rps',
  'throttle.full.mbps': '--full-mbps',
  'throttle.full.sourceQps': '--full-source-qps',
  'throttle.incremental.rps': '--incremental-rps',
  'throttle.incremental.mbps': '--incremental-mbps',
};

/** commander option parser: a finite number; the > 0 rule is the schema's. */
export function limitValue(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number');
  return n;
}

/** The whole new setting (the signal replaces it): limits not given become unlimited. */
export function throttleFromFlags(o: ThrottleFlags): Throttle {
  const full = { rps: o.fullRps, mbps: o.fullMbps, sourceQps: o.fullSourceQps };
  const incremental = { rps: o.incrementalRps, mbps: o.incrementalMbps };
  const given = [...Object.values(full), ...Object.values(incremental)].some((v) => v !== undefined);
  if (o.clear && given) throw new Error('--clear removes every limit; give it alone');
  // Replacing the setting with nothing would silently lift every limit: make that explicit.
  if (!o.clear && !given) throw new Error('give at least one limit (--full-rps, --incremental-rps, ...) or --clear');
  // Only the limits given: the payload is what a user would write by hand for `temporal workflow signal`.
  const candidate: Record<string, Record<string, number>> = {};
  for (const [name, section] of Object.entries({ full, incremental })) {
    const set = Object.entries(section).filter((e): e is [string, number] => e[1] !== undefined);
    if (set.length) candidate[name] = Object.fromEntries(set);
  }
  const parsed = parseThrottle(candidate);
  if (!parsed.ok) {
    throw new Error(parsed.problems.map((p) => p.replace(/^([\w.]+)/, (path) => FLAGS[path] ?? path)).join('\n'));
  }
  return parsed.throttle;
}
