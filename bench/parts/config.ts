// Settings of the benchmarks, from flags (`--scale 5`, `--scale=5`) or the environment (SCALE=5). Flags
// win. Defaults mirror shared/bench/anchors.sh so the native figure is comparable with it.

export interface IncrementalConfig {
  /** pgbench scale factor (100 000 pgbench_accounts rows per unit). */
  scale: number;
  /** Repetitions of the whole measurement; medians are reported. */
  runs: number;
  /** Backlog size in pgbench transactions (each is 3 UPDATEs + 1 INSERT = 4 row changes). */
  txns: number;
  clients: number;
  threads: number;
  /** Steady state: pgbench -R rate (transactions/s) and -T duration. */
  steadyRate: number;
  steadySeconds: number;
  /**
   * Load runs this long before lag sampling starts. replay_lag keeps the last value measured in the
   * previous phase (the catch-up, seconds of lag) until the subscriber's first reply under the new load,
   * and a logical walsender refreshes its lag samples only once a second.
   */
  warmupSeconds: number;
  /** How often pg_stat_replication.replay_lag is sampled. */
  sampleMs: number;
  /** Upper bound for any one wait: initial sync, catch-up, convergence, release. */
  timeoutSeconds: number;
}

/** One numeric setting: its flag, its environment variable, its default and its lower bound. */
export interface NumericSetting<K extends string> {
  key: K;
  env: string;
  flag: string;
  def: number;
  /** Smallest accepted value (default: anything above 0). */
  min?: number;
  /** Rounded to a whole number. */
  integer?: boolean;
}

const SETTINGS: NumericSetting<keyof IncrementalConfig>[] = [
  { key: 'scale', env: 'SCALE', flag: 'scale', def: 20, integer: true },
  { key: 'runs', env: 'RUNS', flag: 'runs', def: 3, integer: true },
  { key: 'txns', env: 'TXNS', flag: 'txns', def: 25_000 },
  { key: 'clients', env: 'CLIENTS', flag: 'clients', def: 4 },
  { key: 'threads', env: 'THREADS', flag: 'threads', def: 2 },
  { key: 'steadyRate', env: 'STEADY_RATE', flag: 'steady-rate', def: 1000 },
  { key: 'steadySeconds', env: 'STEADY_SECONDS', flag: 'steady-seconds', def: 60 },
  { key: 'warmupSeconds', env: 'WARMUP_SECONDS', flag: 'warmup-seconds', def: 3, min: 0 },
  { key: 'sampleMs', env: 'SAMPLE_MS', flag: 'sample-ms', def: 200 },
  { key: 'timeoutSeconds', env: 'TIMEOUT_SECONDS', flag: 'timeout-seconds', def: 600 },
];

/** The value of `--flag V` or `--flag=V`, if given. */
export function flagValue(args: string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${flag}`) return args[i + 1];
    if (args[i].startsWith(`--${flag}=`)) return args[i].slice(flag.length + 3);
  }
  return undefined;
}

export function settingsUsage<K extends string>(settings: readonly NumericSetting<K>[]): string {
  return settings.map((s) => `  --${s.flag} N  (env ${s.env}, default ${s.def})`).join('\n');
}

export function parseSettings<K extends string>(
  settings: readonly NumericSetting<K>[],
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Record<K, number> {
  const config = {} as Record<K, number>;
  for (const s of settings) {
    const raw = flagValue(args, s.flag) ?? env[s.env];
    const value = raw === undefined || raw === '' ? s.def : Number(raw);
    const min = s.min ?? Number.MIN_VALUE;
    if (!Number.isFinite(value) || value < min) throw new Error(`--${s.flag} / ${s.env}: expected a ${min ? 'positive' : 'non-negative'} number, got "${raw}"`);
    config[s.key] = s.integer ? Math.round(value) : value;
  }
  return config;
}

export function usage(): string {
  return settingsUsage(SETTINGS);
}

export function parseConfig(args: string[], env: NodeJS.ProcessEnv = process.env): IncrementalConfig {
  const config: IncrementalConfig = parseSettings(SETTINGS, args, env);
  // pgbench -t counts per client: round the backlog to a multiple of the client count.
  config.txns = Math.max(config.clients, Math.round(config.txns / config.clients) * config.clients);
  return config;
}
