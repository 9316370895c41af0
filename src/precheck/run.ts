// Runs the whole precheck: connects to both sides (a connection failure is itself a check result),
// resolves the selection, gathers facts and judges them. Creates nothing anywhere (the destination's
// disk-space probe uses a temporary table inside a transaction it rolls back).
import type { Client, ClientConfig } from 'pg';
import type { TaskSpec } from '../spec/schema';
import { connect } from '../conn/connect';
import type { SelectedTable } from '../catalog/names';
import { resolveSelection, type Selection } from '../catalog/select';
import { gatherDestinationFacts, gatherSourceFacts } from './facts';
import type { DestinationFacts, SourceFacts } from './facts/types';
import { connected, connectFailed, type Side } from './items/connect';
import { runCheckItems } from './items';
import type { CheckResult, PrecheckReport } from './types';
import { gatherOwnership, type OwnedObject, type Owner } from '../stream/ownership';
import { gatherObjectExtensions } from './facts/non-table-objects';
import { gatherDependencyPresence } from './facts/table-dependencies';
import { ownLeftovers } from '../schema/created-objects';

export interface PrecheckOutcome {
  report: PrecheckReport;
  tables: SelectedTable[];
}

export interface PrecheckOptions {
  /** Writing transactions older than this delay slot creation (default 300 s). */
  longTransactionSeconds?: number;
  /**
   * The task being checked: its id, the workflow that will own its objects (null when not known) and the
   * objects it will create on each side. The task-id-unique item refuses a task whose names another task
   * owns (or that exist with no recorded owner).
   */
  task?: { taskId: string; owner: Owner | null; source: OwnedObject[]; destination: OwnedObject[] };
}

/** A connection config, or a function making one: resolving a password may fail, and that is a check result. */
export type ConfigSource = ClientConfig | (() => ClientConfig);

const where = (c: ClientConfig): string => `${c.host ?? 'localhost'}:${c.port ?? 5432}/${c.database ?? ''}`;

type Gathered<T> = { ok: true; facts: T; result: CheckResult } | { ok: false; result: CheckResult };

/** Connects (failures become a check result) and gathers; a failure after connecting is a real error. */
async function onSide<T extends { user: string; versionNum: number }>(side: Side, source: ConfigSource, gather: (db: Client) => Promise<T>): Promise<Gathered<T>> {
  let config: ClientConfig;
  let db: Client;
  try {
    config = typeof source === 'function' ? source() : source;
  } catch (err) {
    return { ok: false, result: connectFailed(side, err) };
  }
  const password = typeof config.password === 'string' ? config.password : undefined;
  try {
    db = await connect(config);
  } catch (err) {
    return { ok: false, result: connectFailed(side, err, password) };
  }
  try {
    const facts = await gather(db);
    return { ok: true, facts, result: connected(side, where(config), facts.user, facts.versionNum) };
  } catch (err) {
    throw new Error(`precheck could not read the ${side} catalog: ${(err as Error).message}`, { cause: err });
  } finally {
    await db.end().catch(() => undefined);
  }
}

export function judge(results: CheckResult[], ignoreWarnings: string[]): PrecheckReport {
  const marked = results.map((r) => (!r.passed && r.level === 'warn' && ignoreWarnings.includes(r.id) ? { ...r, ignored: true } : r));
  return { results: marked, blocked: marked.some((r) => !r.passed && !r.ignored) };
}

export async function runPrecheck(
  spec: TaskSpec,
  source: ConfigSource,
  destination: ConfigSource,
  slot: string,
  options: PrecheckOptions = {},
): Promise<PrecheckOutcome> {
  const longTransactionSeconds = options.longTransactionSeconds ?? 300;
  let selection: Selection = { tables: [], missing: [] };
  const src = await onSide<SourceFacts>('source', source, async (db) => {
    selection = await resolveSelection(db, spec);
    const facts = await gatherSourceFacts(db, spec, selection.tables, slot, longTransactionSeconds);
    return options.task ? { ...facts, ownership: await gatherOwnership(db, options.task.source) } : facts;
  });
  const targets = selection.tables.map((t) => t.target);
  const dst = await onSide<DestinationFacts>('destination', destination, async (db) => {
    const gathered = await gatherDestinationFacts(db, targets, src.ok && spec.syncTypes.includes('full') && spec.precheck.diskSpaceProbe);
    const needs = src.ok ? src.facts.tableDependencies : undefined;
    const facts = needs ? { ...gathered, dependencyPresence: await gatherDependencyPresence(db, needs) } : gathered;
    const objectExtensions = src.ok && src.facts.nonTableObjects ? await gatherObjectExtensions(db, src.facts.nonTableObjects.extensions.map((e) => e.name)) : undefined;
    const withObjects = objectExtensions ? { ...facts, objectExtensions } : facts;
    if (!options.task) return withObjects;
    const { taskId, owner, destination: objects } = options.task;
    return { ...withObjects, ownership: await gatherOwnership(db, objects), ownLeftovers: await ownLeftovers(db, taskId, owner, targets) };
  });
  if (!src.ok || !dst.ok) return { report: judge([src.result, dst.result], []), tables: selection.tables };
  const results = [
    src.result,
    dst.result,
    ...runCheckItems({
      spec, selection, source: src.facts, destination: dst.facts,
      ...(options.task ? { task: { taskId: options.task.taskId, owner: options.task.owner } } : {}),
    }),
  ];
  return { report: judge(results, spec.precheck.ignoreWarnings), tables: selection.tables };
}

/** The report's problems as text (failure messages, logs): passed items are left out. */
export function formatReport(report: PrecheckReport): string {
  const problems = report.results.filter((r) => !r.passed);
  if (!problems.length) return 'every check passed';
  return problems
    .map((r) => `${r.level === 'fail' ? 'FAIL' : r.ignored ? 'WARN (ignored)' : 'WARN'} ${r.id}: ${r.message}${r.fix ? `\n       fix: ${r.fix}` : ''}`)
    .join('\n');
}
