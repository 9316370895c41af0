// Settings of `npm run bench -- verify`, from flags or the environment (flags win), like config.ts.
import { parseSettings, settingsUsage, type NumericSetting } from './config';

export interface VerifyBenchConfig {
  /** pgbench scale factor: 100 000 pgbench_accounts rows per unit (20: 2 M rows; 100: a 10 M-row table). */
  scale: number;
  /** Repetitions (a fresh task each); medians are reported. */
  runs: number;
  /** Upper bound for any one wait (the full sync, a verification). */
  timeoutSeconds: number;
}

const SETTINGS: NumericSetting<keyof VerifyBenchConfig>[] = [
  { key: 'scale', env: 'SCALE', flag: 'scale', def: 20, integer: true },
  { key: 'runs', env: 'RUNS', flag: 'runs', def: 3, integer: true },
  { key: 'timeoutSeconds', env: 'TIMEOUT_SECONDS', flag: 'timeout-seconds', def: 1800 },
];

export function verifyUsage(): string {
  return `${settingsUsage(SETTINGS)}\n  (--scale 100 --runs 1: the memory measurement on a 10 M-row table)`;
}

export function parseVerifyConfig(args: string[], env: NodeJS.ProcessEnv = process.env): VerifyBenchConfig {
  return parseSettings(SETTINGS, args, env);
}
