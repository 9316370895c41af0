// Finds the `temporal` CLI (which embeds the dev server and Web UI), or builds it from source with Go.
// No npm package ships the server, and the SDK's own download needs internet access; Go's module proxy
// is often reachable where GitHub releases are not.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** v1.5.1 is the newest tag `go install` accepts (later tags carry a `replace` directive). */
const BUILD_ATTEMPTS: { version: string; env?: Record<string, string> }[] = [
  { version: 'v1.5.1' },
  { version: 'v1.5.1', env: { GOTOOLCHAIN: 'go1.25.0' } },
  { version: 'v1.5.0' },
  { version: 'v1.4.1' },
];

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

function goBinDir(): string | null {
  if (!onPath('go') && !existsSync('/usr/local/go/bin/go')) return null;
  const go = onPath('go') ?? '/usr/local/go/bin/go';
  try {
    const gobin = execFileSync(go, ['env', 'GOBIN'], { encoding: 'utf8' }).trim();
    if (gobin) return gobin;
    return join(execFileSync(go, ['env', 'GOPATH'], { encoding: 'utf8' }).trim().split(delimiter)[0], 'bin');
  } catch {
    return null;
  }
}

export function findTemporalCli(): string | null {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const bin = goBinDir();
  if (bin && existsSync(join(bin, 'temporal'))) return join(bin, 'temporal');
  return null;
}

/** Builds the CLI with `go install` when Go is present. Returns its path, or null without Go. */
export function buildTemporalCli(log: (line: string) => void = console.error): string | null {
  const go = onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
  const bin = goBinDir();
  if (!go || !bin) return null;
  const failures: string[] = [];
  for (const attempt of BUILD_ATTEMPTS) {
    const label = `go install github.com/temporalio/cli/cmd/temporal@${attempt.version}${attempt.env ? ` (${JSON.stringify(attempt.env)})` : ''}`;
    log(`pg-dts: building the Temporal CLI: ${label} (one time, a few minutes)`);
    const r = spawnSync(go, ['install', `github.com/temporalio/cli/cmd/temporal@${attempt.version}`], {
      env: { ...process.env, ...attempt.env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (r.status === 0 && existsSync(join(bin, 'temporal'))) return join(bin, 'temporal');
    failures.push(`${label}:\n${(r.stderr ?? '').split('\n').slice(-15).join('\n')}`);
  }
  throw new Error(`could not build the Temporal CLI with Go:\n${failures.join('\n\n')}`);
}

/** The CLI path, building it if needed; null means "let the SDK download it" (no Go here). */
export function ensureTemporalCli(log?: (line: string) => void): string | null {
  return findTemporalCli() ?? buildTemporalCli(log);
}
