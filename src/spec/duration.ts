// Durations in the task spec ("30m", "6h", "1d", "1h30m"): read by people, so units rather than a number
// of milliseconds. Pure: the workflow computes its timers with it.

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
const FORMAT = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
/** The same format without captures, for the JSON Schema's `pattern` (editors check it as users type). */
export const DURATION_PATTERN = /^(?=\d)(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?$/;

/** Milliseconds, or null when `text` is not whole numbers of d, h, m, s in that order (at least one). */
export function parseDuration(text: string): number | null {
  const m = FORMAT.exec(text);
  if (!m || text === '') return null;
  const [, d, h, min, s] = m;
  return [d, h, min, s].reduce((sum, v, i) => sum + Number(v ?? 0) * Object.values(UNIT_MS)[i]!, 0);
}

/**
 * The shortest `verify.every`: each run reads every selected table on both servers, so a short interval is
 * for tests and small databases; 10 s lets a test see several runs.
 */
export const MIN_VERIFY_EVERY_SECONDS = 10;
