// The workflow code is bundled (webpack) in a short-lived child process, not in the worker itself:
// bundling costs the process ~130 MB of memory it never gives back, and the worker's memory budget
// belongs to the streams it runs. PG_DTS_WORKFLOW_BUNDLE points at a bundle built ahead of time
// (`pg-dts bundle-workflows <file>`, e.g. in a container image build) and skips this step.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const BIN = join(__dirname, '..', '..', 'bin', 'pg-dts.js');

/** Writes the workflow bundle to `file` (run by `pg-dts bundle-workflows`). */
export async function writeWorkflowBundle(file: string): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: quietLogger,
    // The SDK needs an inline source map (it maps workflow stack traces with it) and keeps it parsed in
    // every worker. Line-level maps without the embedded sources still point at file:line, and cost the
    // worker ~30 MB less than the default full map (settled RSS 191 -> 159 MB).
    webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-cheap-module-source-map' }),
  });
  writeFileSync(file, code);
}

/** Path of a workflow bundle: the prebuilt one if configured, else one built now in a child process. */
export function workflowBundlePath(): string {
  const prebuilt = process.env.PG_DTS_WORKFLOW_BUNDLE;
  if (prebuilt) {
    if (!existsSync(prebuilt)) throw new Error(`PG_DTS_WORKFLOW_BUNDLE=${prebuilt}: no such file; build it with "pg-dts bundle-workflows ${prebuilt}" or unset it`);
    return prebuilt;
  }
  const file = join(mkdtempSync(join(tmpdir(), 'pg-dts-workflows-')), 'bundle.js');
  const r = spawnSync(process.execPath, [BIN, 'bundle-workflows', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`bundling the workflow code failed: ${r.stderr || r.stdout}`);
  return file;
}

const quietLogger = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined,
  warn: (message: string) => console.warn(message), error: (message: string) => console.error(message),
};
