// `pg-dts server`: the Temporal dev server in the foreground, UI on. Uses a local or Go-built CLI; without
// either, the Temporal SDK downloads one (needs internet access).
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { spawn } from 'node:child_process';
import { ensureTemporalCli } from '../temporal/cli-binary';
import { devServerArgs, STOP_SIGNALS, stopWithParent } from '../temporal/dev-server';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';

export async function runServer(opts: { port: number; uiPort: number; dbFile?: string }): Promise<void> {
  const cli = ensureTemporalCli();
  console.error(`pg-dts: Temporal on 127.0.0.1:${opts.port}, Web UI on http://127.0.0.1:${opts.uiPort}`);
  if (cli) {
    const child = spawn(cli, devServerArgs(opts), { stdio: 'inherit' });
    // Ctrl-C reaches the child through the terminal's process group, but SIGTERM or SIGHUP sent to this
    // process alone would leave the server running with its ports held: pass them on.
    await stopWithParent(child);
    return;
  }
  const env = await TestWorkflowEnvironment.createLocal({
    server: { ip: '127.0.0.1', port: opts.port, ui: true, uiPort: opts.uiPort, dbFilename: opts.dbFile, searchAttributes: [...SEARCH_ATTRIBUTE_KEYS] },
  });
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      for (const signal of STOP_SIGNALS) process.off(signal, stop);
      resolve();
    };
    for (const signal of STOP_SIGNALS) process.on(signal, stop);
  });
  await env.teardown();
}
