// Settings of `npm run bench -- full`, from flags or the environment (flags win), like config.ts.
import { flagValue, parseSettings, settingsUsage, type NumericSetting } from './config';

export const FULL_CASES = ['pgbench', 'small', 'wide'] as const;
export type FullCaseName = (typeof FULL_CASES)[number];
export const RAW_PIPES = ['psql', 'node'] as const;
export const FULL_SIDES = ['raw', 'native', 'pgdts'] as const;
export type FullSide = (typeof FULL_SIDES)[number];
export type RawPipeMethod = (typeof RAW_PIPES)[number];

export interface FullConfig {
  /** pgbench scale factor (100 000 pgbench_accounts rows per unit). */
  scale: number;
  /** Repetitions of each case; medians are reported. */
  runs: number;
  /** Upper bound for any one wait (an initial sync, a task). */
  timeoutSeconds: number;
  /** The 1 000-small-tables case: how many tables, and rows per table. */
  smallTables: number;
  smallRows: number;
  /** The wide-table case: rows, and columns including the bigint key. */
  wideRows: number;
  wideColumns: number;
  cases: FullCaseName[];
  /** How the raw COPY pipe is run: psql | psql (as anchors.sh) and/or pg-copy-streams in this process. */
  rawPipes: RawPipeMethod[];
  /** Which sides run (all by default; fewer only to look at one side: the ratios need the anchors). */
  sides: FullSide[];
}

const SETTINGS: NumericSetting<'scale' | 'runs' | 'timeoutSeconds' | 'smallTables' | 'smallRows' | 'wideRows' | 'wideColumns'>[] = [
  { key: 'scale', env: 'SCALE', flag: 'scale', def: 20, integer: true },
  { key: 'runs', env: 'RUNS', flag: 'runs', def: 3, integer: true },
  { key: 'timeoutSeconds', env: 'TIMEOUT_SECONDS', flag: 'timeout-seconds', def: 1200 },
  { key: 'smallTables', env: 'SMALL_TABLES', flag: 'small-tables', def: 1000, integer: true },
  { key: 'smallRows', env: 'SMALL_ROWS', flag: 'small-rows', def: 100, integer: true },
  { key: 'wideRows', env: 'WIDE_ROWS', flag: 'wide-rows', def: 200_000, integer: true },
  { key: 'wideColumns', env: 'WIDE_COLUMNS', flag: 'wide-columns', def: 100, integer: true, min: 2 },
];

function listSetting<T extends string>(args: string[], env: NodeJS.ProcessEnv, flag: string, name: string, allowed: readonly T[]): T[] {
  const raw = flagValue(args, flag) ?? env[name];
  if (raw === undefined || raw.trim() === '') return [...allowed];
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
  if (bad.length || !items.length) throw new Error(`--${flag} / ${name}: expected a comma-separated subset of ${allowed.join(',')}, got "${raw}"`);
  // In the canonical order, without duplicates.
  return allowed.filter((a) => items.includes(a));
}

export function fullUsage(): string {
  return [
    settingsUsage(SETTINGS),
    `  --cases LIST  (env CASES, default ${FULL_CASES.join(',')})`,
    `  --raw-pipes LIST  (env RAW_PIPES, default ${RAW_PIPES.join(',')}; psql is not used for the small-tables case)`,
    `  --sides LIST  (env SIDES, default ${FULL_SIDES.join(',')})`,
  ].join('\n');
}

export function parseFullConfig(args: string[], env: NodeJS.ProcessEnv = process.env): FullConfig {
  return {
    ...parseSettings(SETTINGS, args, env),
    cases: listSetting(args, env, 'cases', 'CASES', FULL_CASES),
    rawPipes: listSetting(args, env, 'raw-pipes', 'RAW_PIPES', RAW_PIPES),
    sides: listSetting(args, env, 'sides', 'SIDES', FULL_SIDES),
  };
}
