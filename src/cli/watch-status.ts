// `pg-dts status <task> --watch`: redraws the status every 2 s with the lag chart built from the samples
// seen so far, until Ctrl-C. Query failures (worker restarting, server blip) are shown and retried;
// an unknown task ends the watch.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import { formatStatus } from './format-status';
import { renderLagChart } from './lag-chart';
import { LagSamples } from './lag-samples';

export const WATCH_INTERVAL_MS = 2000;
/** Clear the screen and home the cursor (only on a terminal; piped output gets frames one after another). */
const CLEAR = '\x1b[2J\x1b[H';

export async function watchStatus(client: Client, task: string, out: NodeJS.WriteStream = process.stdout): Promise<void> {
  const samples = new LagSamples();
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = (): void => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopped) {
      let body: string;
      try {
        const status = await client.workflow.getHandle(task).query(statusQuery);
        samples.add(status.incremental);
        body = [formatStatus(status, { lagChart: false }), ...renderLagChart(samples.samples())].join('\n');
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw err;
        body = `  cannot query the task now (retrying): ${err instanceof Error ? err.message : String(err)}`;
      }
      if (stopped) break;
      const header = `pg-dts status ${task} --watch  ${new Date().toISOString()}  (every ${WATCH_INTERVAL_MS / 1000} s, Ctrl-C to exit)`;
      out.write(`${out.isTTY ? CLEAR : ''}${header}\n${body}\n`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, WATCH_INTERVAL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
