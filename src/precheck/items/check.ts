// What every item needs: its input, the result constructors, and how to name objects in a message.
import type { SelectedTable, TableRef } from '../../catalog/names';
import type { SyncType, TaskSpec } from '../../spec/schema';
import type { DestinationFacts, SourceFacts } from '../facts/types';
import type { CheckLevel, CheckResult } from '../types';
import type { Owner } from '../../stream/ownership';

/** The parts of the spec the items read. */
export type PrecheckSpec = Pick<TaskSpec, 'syncTypes' | 'conflictingTables' | 'replicaIdentity' | 'objects' | 'nameCase' | 'renameRules'>;

export interface CheckInput {
  spec: PrecheckSpec;
  selection: { tables: SelectedTable[]; missing: string[] };
  source: SourceFacts;
  destination: DestinationFacts;
  /** The task being checked, when known: its id and the workflow that will own its objects (null: unknown). */
  task?: { taskId: string; owner: Owner | null };
}

/** An item: a result, or null when it does not apply to this task (e.g. replication items without incremental). */
export type CheckItem = (input: CheckInput) => CheckResult | null;

export const pass = (id: string, level: CheckLevel, message: string): CheckResult => ({ id, level, passed: true, message });
export const problem = (id: string, level: CheckLevel, message: string, fix: string): CheckResult => ({ id, level, passed: false, message, fix });

export const wants = (input: CheckInput, type: SyncType): boolean => input.spec.syncTypes.includes(type);
export const major = (versionNum: number): number => Math.floor(versionNum / 10000);
export const refName = (t: TableRef): string => `${t.schema}.${t.name}`;

/** "a, b, c" — at most `limit` names, then "and N more" (1 000 names help nobody read a message). */
export function names(items: string[], limit = 50): string {
  if (items.length <= limit) return items.join(', ');
  return `${items.slice(0, limit).join(', ')} and ${items.length - limit} more`;
}

export const tableList = (tables: TableRef[], limit?: number): string => names(tables.map(refName), limit);

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
