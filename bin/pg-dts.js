#!/usr/bin/env -S node --max-semi-space-size=8
// The CLI runs from TypeScript sources through tsx, so a git checkout works without a build step.
// --max-semi-space-size=8 (MB; Node's default is 16): a streaming worker allocates rows fast enough that V8
// grows its young generation to the maximum and keeps it; half of it is ~16 MB less resident memory at the
// same speed (1 M-change catch-up 12.5 vs 12.7 s; peak RSS applying a 2 GB transaction 293 -> 261 MB).
// `node bin/pg-dts.js` works too, without that flag (the worker says so when it starts).
const { spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

// A worker compiles nothing itself. Compiling TypeScript on first load (tsx's esbuild service, a thread in
// this process) and bundling the workflow code (webpack) both leave memory behind that a worker, bounded
// to 300 MB while it streams, never gets back (~20 MB and ~130 MB). So a short-lived child bundles the
// workflows; loading the CLI, which imports the worker and all its activities, it also leaves every module
// compiled in tsx's cache, from which this process then loads them.
if (process.argv[2] === 'worker' && !process.env.PG_DTS_WORKFLOW_BUNDLE) {
  const dir = mkdtempSync(join(tmpdir(), 'pg-dts-workflows-'));
  const file = join(dir, 'bundle.js');
  const child = spawnSync(process.execPath, [__filename, 'bundle-workflows', file], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (child.status !== 0) {
    console.error(`pg-dts worker: bundling the workflow code failed (exit ${child.status ?? child.signal})`);
    process.exit(1);
  }
  process.env.PG_DTS_WORKFLOW_BUNDLE = file;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}

require('tsx/cjs');
require('../src/cli/main.ts');
