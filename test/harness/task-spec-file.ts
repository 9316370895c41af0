// Starting a task the way users do (`pg-dts start --spec file`) against a test cluster pair.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import type { ClusterPair } from './clusters';
import { pgDts } from './temporal';

/** A spec for `pg-dts start`, authenticating with passwords from the worker's environment (WORKER_ENV). */
export function clusterSpec(pg: ClusterPair, name: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    name,
    source: { url: pg.source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_SRC' },
    destination: { url: pg.destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DST' },
    ...extra,
  };
}

export function startTask(spec: Record<string, unknown>): void {
  const file = join(mkdtempSync(join(tmpdir(), 'pg-dts-spec-')), 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  const started = pgDts(['start', '--spec', file]);
  assert.equal(started.status, 0, `pg-dts start failed: ${started.stderr}`);
}
