// Keeps the worker's heap near its live size. Under a heavy stream V8 promotes short-lived rows (they
// wait in a batch for a few milliseconds) and then lets the old generation grow to several times the
// live data before collecting it: harmless for speed, but the worker's RSS balloons to 2x its needs.
// A hard heap cap (--max-old-space-size) would fix that and crash on the one large value a task must
// still carry (up to 256 MB), so instead: a full collection whenever the heap passes a soft limit, at
// most four times a second. Measured on a 1 M-change catch-up: peak RSS 426 MB -> see docs/apply-pipeline.md.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { logger } from '../log';

export interface MemoryGovernorOptions {
  softLimitBytes: number;
  checkEveryMs: number;
  minGapMs: number;
}

/** Obtains V8's collector without starting node with --expose-gc. */
function exposeGc(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

/** Starts the governor; returns a function that stops it. */
export function startMemoryGovernor(opts: MemoryGovernorOptions): () => void {
  const gc = exposeGc();
  if (!gc) {
    logger.warn('no access to the garbage collector: the worker heap is left to V8 heuristics');
    return () => undefined;
  }
  let last = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - last < opts.minGapMs || getHeapStatistics().used_heap_size < opts.softLimitBytes) return;
    last = now;
    gc();
  }, opts.checkEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The soft limit: PG_DTS_HEAP_SOFT_LIMIT_MB, default 80 MB (the stream's live data is far below it). 96 MB
 * caught a 1 M-change backlog up to ~1.5 s faster (12.5 vs 14 s) but left a 2 GB transaction's peak RSS at
 * 290 MB in CI, 10 MB under the worker's bound; 80 MB peaked at 270 MB (docs/apply-pipeline.md).
 */
export function heapSoftLimitBytes(): number {
  const mb = Number(process.env.PG_DTS_HEAP_SOFT_LIMIT_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : 80) * 1024 * 1024;
}
