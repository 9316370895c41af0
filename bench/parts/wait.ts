// Polling with a deadline and periodic progress lines: every wait in the benchmark has a timeout (a
// stuck task must fail the run, not hang it) and says what it is waiting for while it waits.
import { say, sleep } from './log';

export interface PollOptions {
  timeoutMs: number;
  everyMs?: number;
  /** Printed every progressEveryMs while waiting. */
  progress?: () => Promise<string> | string;
  progressEveryMs?: number;
}

export async function pollUntil<T>(what: string, check: () => Promise<T | undefined | null | false>, opts: PollOptions): Promise<T> {
  const started = Date.now();
  const every = opts.everyMs ?? 250;
  let nextProgress = started + (opts.progressEveryMs ?? 5000);
  for (;;) {
    const v = await check();
    if (v) return v;
    const now = Date.now();
    if (now - started > opts.timeoutMs) throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for ${what}`);
    if (opts.progress && now >= nextProgress) {
      nextProgress = now + (opts.progressEveryMs ?? 5000);
      say(`  … ${what}: ${await opts.progress()}`);
    }
    await sleep(every);
  }
}
