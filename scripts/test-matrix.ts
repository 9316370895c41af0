// `npm run test:matrix`: the version-pair scenario (test/versions/version-pair.test.ts) for every source
// major with every destination of the same or a newer one (or PG_DTS_VERSION_PAIRS), then a
// source × destination table of the results. Exit code 1 when any pair failed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLUSTER_VERSIONS } from '../src/pgcluster/versions';

const ROOT = join(__dirname, '..');

interface PairResult { ok: boolean; seconds: number }

/** "✔ PostgreSQL 11 → 17 (10783.98ms)" lines of the spec reporter: one per pair (its suite). */
export function pairResults(output: string): Map<string, PairResult> {
  const results = new Map<string, PairResult>();
  for (const m of output.matchAll(/^([✔✖]) PostgreSQL (\d+) → (\d+) \(([\d.]+)ms\)/gmu)) {
    results.set(`${m[2]}:${m[3]}`, { ok: m[1] === '✔', seconds: Number(m[4]) / 1000 });
  }
  return results;
}

function table(results: Map<string, PairResult>): string {
  const cell = (s: number, d: number): string => {
    if (d < s) return '';
    const r = results.get(`${s}:${d}`);
    return r ? `${r.ok ? 'pass' : 'FAIL'} ${r.seconds.toFixed(0)}s` : '-';
  };
  const rows = [['source \\ dest', ...CLUSTER_VERSIONS.map(String)], ...CLUSTER_VERSIONS.map((s) => [String(s), ...CLUSTER_VERSIONS.map((d) => cell(s, d))])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')).join('\n');
}

async function main(): Promise<number> {
  const started = Date.now();
  let output = '';
  // bootstrap.js takes paths relative to the checkout.
  const child = spawn(process.execPath, ['scripts/bootstrap.js', 'test/run.ts', 'test/versions/version-pair.test.ts'], {
    cwd: ROOT, env: { ...process.env, PG_DTS_VERSION_PAIRS: process.env.PG_DTS_VERSION_PAIRS ?? 'all' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.on('data', (d: Buffer) => {
    output += d;
    process.stdout.write(d);
  });
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  const results = pairResults(output);
  const failed = [...results.values()].filter((r) => !r.ok).length;
  console.log(`\n${table(results)}\n\n${results.size} pair(s), ${results.size - failed} passed, ${failed} failed, in ${((Date.now() - started) / 60000).toFixed(1)} min`);
  return code === 0 && failed === 0 && results.size > 0 ? 0 : 1;
}

if (require.main === module) main().then((code) => process.exit(code), (err) => { console.error(err); process.exit(1); });
