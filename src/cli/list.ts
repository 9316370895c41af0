// `pg-dts list`: the syncTask workflows Temporal knows, one line each. Phase, source and destination
// come from the search attributes the task upserts; without them (a cluster where they are not
// registered, or a task started before they existed) a running task is asked through `status`. Tags come
// from PgDtsTags; `--tag env=prod` asks the server for tasks with that tag (the attribute must be registered).
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { statusQuery, WORKFLOW_TYPE } from '../../workflows/messages';
import { tagsAttributeRegistered } from './search-attributes';
import { DESTINATION_ATTRIBUTE, PHASE_ATTRIBUTE, SOURCE_ATTRIBUTE, TAGS_ATTRIBUTE } from '../../workflows/search-attributes';

export interface TaskListRow {
  task: string;
  status: string;
  phase: string;
  started: string;
  source: string;
  destination: string;
  /** `key=value` pairs, comma-separated; '-' for none. */
  tags: string;
}

/** A query needs a worker; without one it would wait for the RPC deadline. */
const QUERY_TIMEOUT_MS = 5000;

/** "RUNNING" -> "running", "CONTINUED_AS_NEW" -> "continued-as-new". */
const statusName = (info: WorkflowExecutionInfo): string => (info.status.name ?? 'unknown').toLowerCase().replace(/_/g, '-');

/** The newest run of each task: a task that continued as new has one closed run per continuation. */
function newestRuns(infos: WorkflowExecutionInfo[]): WorkflowExecutionInfo[] {
  const byId = new Map<string, WorkflowExecutionInfo>();
  for (const info of infos) {
    const seen = byId.get(info.workflowId);
    if (!seen || info.startTime > seen.startTime) byId.set(info.workflowId, info);
  }
  return [...byId.values()].sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
}

async function queried(client: Client, info: WorkflowExecutionInfo): Promise<Partial<Pick<TaskListRow, 'phase' | 'source' | 'destination'>>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const status = await Promise.race([
      client.workflow.getHandle(info.workflowId, info.runId).query(statusQuery),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('query timed out')), QUERY_TIMEOUT_MS);
      }),
    ]);
    return { phase: status.phase, source: status.source, destination: status.destination };
  } catch {
    return { phase: '?' }; // no worker answering: the list still shows what Temporal knows
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The visibility query: every syncTask, or those carrying every one of `tags` (`key=value`, checked by
 * parseTagFilter: no quotes or backslashes, so they need no escaping).
 */
export function listQuery(tags: readonly string[] = []): string {
  return [`WorkflowType = "${WORKFLOW_TYPE}"`, ...tags.map((tag) => `${TAGS_ATTRIBUTE.name} = "${tag}"`)].join(' AND ');
}

export async function listTasks(client: Client, tags: readonly string[] = []): Promise<TaskListRow[]> {
  // Asked first: the server refuses a query naming an unknown attribute with only "Failed to list workflows".
  if (tags.length && !(await tagsAttributeRegistered(client, client.options.namespace))) {
    throw new Error(`cannot filter by tag: search attribute PgDtsTags is not registered in namespace ${client.options.namespace}; run pg-dts register-search-attributes`);
  }
  const infos: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query: listQuery(tags) })) infos.push(info);
  return Promise.all(
    newestRuns(infos).map(async (info) => {
      const attrs = info.typedSearchAttributes;
      let phase = attrs.get(PHASE_ATTRIBUTE);
      let source = attrs.get(SOURCE_ATTRIBUTE);
      let destination = attrs.get(DESTINATION_ATTRIBUTE);
      if (info.status.name === 'RUNNING' && (phase === undefined || source === undefined || destination === undefined)) {
        const q = await queried(client, info);
        phase ??= q.phase;
        source ??= q.source;
        destination ??= q.destination;
      }
      return {
        task: info.workflowId,
        status: statusName(info),
        phase: phase ?? '-',
        started: info.startTime.toISOString().replace(/\.\d+Z$/, 'Z'),
        source: source ?? '-',
        destination: destination ?? '-',
        tags: attrs.get(TAGS_ATTRIBUTE)?.join(',') || '-',
      };
    }),
  );
}

const COLUMNS: (keyof TaskListRow)[] = ['task', 'status', 'phase', 'started', 'source', 'destination', 'tags'];

/** Aligned columns under a header; a line saying so when there are no tasks. */
export function formatTaskList(rows: readonly TaskListRow[]): string {
  if (!rows.length) return `no ${WORKFLOW_TYPE} tasks found`;
  const width = (k: keyof TaskListRow) => Math.max(k.length, ...rows.map((r) => r[k].length));
  const line = (cells: Record<keyof TaskListRow, string>) => COLUMNS.map((k, i) => (i === COLUMNS.length - 1 ? cells[k] : cells[k].padEnd(width(k)))).join('  ');
  const header = Object.fromEntries(COLUMNS.map((k) => [k, k.toUpperCase()])) as Record<keyof TaskListRow, string>;
  return [line(header), ...rows.map(line)].join('\n');
}
