// A process's resident memory from /proc/<pid>/status: the kernel's high-water mark (VmHWM), reset
// before a measured step (clear_refs 5, Linux >= 4.0) so what the process did before does not count,
// and VmRSS polled meanwhile as a cross-check of that peak.
import { readFileSync, writeFileSync } from 'node:fs';

const statusKb = (pid: number, field: 'VmHWM' | 'VmRSS'): number => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
};

export interface PeakRss {
  /** Resident MB when the measurement began. */
  startMb: number;
  /** VmHWM since the reset, MB. */
  peakMb: number;
  /** Highest VmRSS sample, MB. */
  sampledMb: number;
}

/** Runs `step` and returns its result with process `pid`'s peak resident memory during it. */
export async function withPeakRss<T>(pid: number, step: () => Promise<T>, everyMs = 100): Promise<{ result: T; rss: PeakRss }> {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const startKb = statusKb(pid, 'VmRSS');
  let sampledKb = startKb;
  const timer = setInterval(() => {
    try {
      sampledKb = Math.max(sampledKb, statusKb(pid, 'VmRSS'));
    } catch {
      // the process is gone: the step fails on its own
    }
  }, everyMs);
  try {
    const result = await step();
    const rss = { startMb: startKb / 1024, peakMb: statusKb(pid, 'VmHWM') / 1024, sampledMb: sampledKb / 1024 };
    return { result, rss };
  } finally {
    clearInterval(timer);
  }
}
