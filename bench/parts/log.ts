// Progress lines with the elapsed time since the benchmark started, so a slow phase is visible as it runs.
const started = Date.now();

export function say(line: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(7);
  console.log(`[${s}s] ${line}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
