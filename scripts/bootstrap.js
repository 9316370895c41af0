#!/usr/bin/env node
// `npm test` and `npm run demo` on a fresh clone: install dependencies if they are missing, then run the
// TypeScript entry point through tsx. Plain Node, no dependencies, so it can run before `npm ci`.
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  console.error('pg-dts: installing dependencies (npm ci) ...');
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (npm.status !== 0) process.exit(npm.status ?? 1);
}
const [entry, ...args] = process.argv.slice(2);
const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, entry), ...args], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
