// The pg-dts command line. Task commands talk to Temporal (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE);
// `server` and `worker` run the two long-lived processes a deployment needs.
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { parseTaskSpec, SpecError } from '../spec/validate';
import { slotName, taskIdFromWorkflowId } from '../spec/task-id';
import { parseTagFilter } from '../spec/tags';
import { tagSearchAttributes } from '../../workflows/search-attributes';
import {
  modifyObjectsSignal, pauseSignal, releaseSignal, resumeSignal, statusQuery, throttleSignal, WORKFLOW_TYPE,
} from '../../workflows/messages';
import { withTemporal } from './client';
import { limitValue, throttleFromFlags } from './throttle';
// Commands load their heavier modules when they run: the worker process carries neither the terminal
// charts nor the server launcher, and task commands do not load the worker and its activities.
// (`require`, not `import()`: a dynamic import goes through Node's ESM loader, which tsx/cjs does not hook.)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(module: string): T => require(module) as T;

function loadSpec(file: string) {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SpecError([`${file}: cannot read a JSON task spec (${(err as Error).message})`]);
  }
  return parseTaskSpec(json);
}

const port = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('must be a TCP port (1-65535)');
  return n;
};

const program = new Command('pg-dts').description('PostgreSQL to PostgreSQL data transmission, orchestrated by Temporal');

program
  .command('server')
  .description('run a local Temporal dev server (with Web UI) for pg-dts')
  .option('--port <n>', 'gRPC port', port, 7233)
  .option('--ui-port <n>', 'Web UI port', port)
  .option('--db-file <file>', 'SQLite file that keeps tasks across restarts')
  .action(async (o) => load<typeof import('./server')>('./server').runServer({ port: o.port, uiPort: o.uiPort ?? o.port + 1000, dbFile: o.dbFile }));

program
  .command('worker')
  .description('run a worker (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, task queue pg-dts)')
  .action(async () => load<typeof import('../worker/run-worker')>('../worker/run-worker').runWorker());

program
  .command('bundle-workflows <file>')
  .description('write the workflow code bundle a worker loads (PG_DTS_WORKFLOW_BUNDLE=<file> skips bundling at start)')
  .action(async (file: string) => {
    await load<typeof import('../worker/workflow-bundle')>('../worker/workflow-bundle').writeWorkflowBundle(file);
    // Loaded once here, so that under tsx the worker's modules are compiled (cached) before a worker
    // process loads them: bin/pg-dts.js runs this command in a child before it starts a worker.
    load<typeof import('../worker/run-worker')>('../worker/run-worker');
  });

/** A parse error as commander's own kind, so it is printed as "error: option ..." without a stack. */
function cliArgument<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

program
  .command('register-search-attributes')
  .description('register the search attributes tasks upsert (PgDtsPhase, PgDtsSource, PgDtsDestination, PgDtsTags) in TEMPORAL_NAMESPACE')
  .action(async () => {
    const { registerSearchAttributes } = load<typeof import('./search-attributes')>('./search-attributes');
    await withTemporal(async (client) => {
      const added = await registerSearchAttributes(client, client.options.namespace);
      console.log(added.length > 0 ? `registered in ${client.options.namespace}: ${added.join(', ')}` : `already registered in ${client.options.namespace}`);
    });
  });

program
  .command('start')
  .description('validate a task spec and start the task; the workflow id is the spec name')
  .requiredOption('--spec <file>', 'JSON task spec')
  .action(async (o) => {
    const spec = loadSpec(o.spec);
    await withTemporal(async (client, taskQueue) => {
      const tags = tagSearchAttributes(spec.tags);
      const { tagsAttributeRegistered } = load<typeof import('./search-attributes')>('./search-attributes');
      const searchable = tags.length > 0 && (await tagsAttributeRegistered(client, client.options.namespace));
      if (tags.length > 0 && !searchable) {
        console.error(`warning: search attribute PgDtsTags is not registered in namespace ${client.options.namespace}, so this task's tags cannot be searched; run pg-dts register-search-attributes before starting tasks`);
      }
      const handle = await client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId: spec.name, args: [spec], ...(searchable ? { typedSearchAttributes: tags } : {}) });
      console.log(`started task ${spec.name} (run ${handle.firstExecutionRunId}); slot ${slotName(taskIdFromWorkflowId(spec.name))}`);
      console.log(`watch it: pg-dts status ${spec.name}   or   temporal workflow describe --workflow-id ${spec.name}`);
    });
  });

program
  .command('precheck')
  .description('run the precheck from this machine and print the report (starts nothing); exit code 1 when it blocks')
  .requiredOption('--spec <file>', 'JSON task spec')
  .option('--json', 'print the report as JSON')
  .action(async (o) => {
    process.exitCode = await load<typeof import('./precheck')>('./precheck').precheckCommand(loadSpec(o.spec), Boolean(o.json));
  });

program
  .command('status <task>')
  .description('show phase, tables, lag and LSNs of a task')
  .option('--json', 'print the status as JSON')
  .option('--watch', 'redraw every 2 s with a chart of the lag (Ctrl-C exits)')
  .action(async (task: string, o) => {
    if (o.watch && o.json) throw new InvalidArgumentError('--watch and --json cannot be combined: use one');
    await withTemporal(async (client) => {
      if (o.watch) return load<typeof import('./watch-status')>('./watch-status').watchStatus(client, task);
      const status = await client.workflow.getHandle(task).query(statusQuery);
      console.log(load<typeof import('./format-status')>('./format-status').statusOutput(status, o));
    });
  });

program
  .command('list')
  .description('list tasks (workflows of type syncTask): status, phase, start time, source, destination and tags')
  .option('--tag <key=value>', 'only tasks with this tag (PgDtsTags); repeat it for tasks with every one', (v: string, all: string[]) => [...all, cliArgument(() => parseTagFilter(v))], [] as string[])
  .action(async (o: { tag: string[] }) => {
    const { formatTaskList, listTasks } = load<typeof import('./list')>('./list');
    await withTemporal(async (client) => console.log(formatTaskList(await listTasks(client, o.tag))));
  });

for (const [name, signal, text] of [
  ['pause', pauseSignal, 'hold changes back (the slot keeps them)'],
  ['resume', resumeSignal, 'deliver held changes and continue'],
  ['release', releaseSignal, 'stop the task and drop its slot, publication and origin'],
] as const) {
  program
    .command(`${name} <task>`)
    .description(text)
    .action(async (task: string) => {
      await withTemporal(async (client) => {
        await client.workflow.getHandle(task).signal(signal);
        console.log(`${name} sent to ${task}`);
      });
    });
}

program
  .command('throttle <task>')
  .description('replace the task\'s rate limits while it runs (limits not given become unlimited)')
  .option('--full-rps <n>', 'rows per second copied during full sync', limitValue)
  .option('--full-mbps <n>', 'megabytes (1e6 bytes) per second copied during full sync', limitValue)
  .option('--full-source-qps <n>', 'read requests per second against the source during full sync (one request = 1 000 rows)', limitValue)
  .option('--incremental-rps <n>', 'row changes per second applied during incremental sync', limitValue)
  .option('--incremental-mbps <n>', 'megabytes (1e6 bytes) per second applied during incremental sync', limitValue)
  .option('--clear', 'remove every limit')
  .action(async (task: string, o) => {
    const throttle = throttleFromFlags(o); // checked before connecting: a bad flag sends nothing
    await withTemporal(async (client) => {
      await client.workflow.getHandle(task).signal(throttleSignal, throttle);
      console.log(`throttle ${JSON.stringify(throttle)} sent to ${task}; see it in effect: pg-dts status ${task}`);
    });
  });

program
  .command('modify <task>')
  .description('replace the selection of a running task: added tables are prechecked, created, copied and joined; removed ones stop')
  .requiredOption('--objects <file>', 'JSON file: a task spec (its "objects") or { "objects": [...] }')
  .action(async (task: string, o) => {
    const payload = load<typeof import('./modify')>('./modify').objectsFromFile(o.objects); // checked before connecting: a bad selection sends nothing
    await withTemporal(async (client) => {
      await client.workflow.getHandle(task).signal(modifyObjectsSignal, payload);
      console.log(`modifyObjects sent to ${task}; follow it: pg-dts status ${task}`);
    });
  });

program
  .command('verify <task>')
  .description('compare the task\'s tables on both servers (counts, checksums per key range, differing rows); exit code 1 when anything differs')
  .option('--mode <mode>', 'count | checksum | rows (rows: the differing keys of differing ranges)', 'checksum')
  .option('--range-rows <n>', 'rows per key range', limitValue)
  .option('--json', 'print the report as JSON')
  .option('--no-schema', 'compare rows only, not columns, constraints, indexes and the objects the task creates')
  .option('--repair', 'replace the destination rows of differing keys by the source\'s (through the stream while it runs), then compare them again; exit code 0 when they are equal')
  .action(async (task: string, o) => {
    if (!['count', 'checksum', 'rows'].includes(o.mode)) throw new InvalidArgumentError(`--mode must be count, checksum or rows, not ${o.mode}`);
    const { verifyCommand } = load<typeof import('./verify')>('./verify');
    process.exitCode = await withTemporal((client, queue) => verifyCommand(client, queue, task, { mode: o.mode, ...(o.rangeRows ? { rangeRows: o.rangeRows } : {}), ...(o.schema === false ? { schema: false } : {}), ...(o.repair ? { repair: true } : {}) }, Boolean(o.json)));
  });

program
  .command('sequences <task>')
  .description('move the destination\'s sequences forward to the source\'s positions now (a running task also does it every 60 s)')
  .action(async (task: string) => {
    await withTemporal((client) => load<typeof import('./sequences')>('./sequences').sequencesCommand(client, task));
  });

program
  .command('cutover <task>')
  .description('switch over to the destination: wait until it has applied everything, set its sequences, check row counts, release the task')
  .option('--freeze-source', 'first revoke INSERT/UPDATE/DELETE/TRUNCATE on the selected tables from non-superuser roles (put back if refused)')
  .option('--sequence-margin <n>', 'values each destination sequence is set past the source\'s', limitValue, 1000)
  .option('--max-lag-seconds <n>', 'refuse when the task lags more than this', limitValue, 10)
  .option('--wait-seconds <n>', 'how long to wait for the destination to apply up to the source\'s position', limitValue, 300)
  .action(async (task: string, o) => {
    const { parseCutoverRequest } = load<typeof import('../cutover/types')>('../cutover/types');
    const parsed = parseCutoverRequest({ freezeSource: Boolean(o.freezeSource), sequenceMargin: o.sequenceMargin, maxLagSeconds: o.maxLagSeconds, waitSeconds: o.waitSeconds });
    if (!parsed.ok) throw new InvalidArgumentError(parsed.problems.join('; ')); // checked before connecting
    process.exitCode = await withTemporal((client) => load<typeof import('./cutover')>('./cutover').cutoverCommand(client, task, parsed.request));
  });

program
  .command('spec-schema')
  .description('print the JSON Schema of the task spec')
  .action(async () => console.log(JSON.stringify(load<typeof import('../spec/json-schema')>('../spec/json-schema').taskSpecJsonSchema(), null, 2)));

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof SpecError) console.error(err.message);
  else if (err instanceof Error && err.name === 'WorkflowNotFoundError') console.error(`no such task: ${(err as Error & { workflowId: string }).workflowId}`);
  else console.error(`pg-dts: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
});
