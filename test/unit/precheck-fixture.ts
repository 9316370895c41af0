// A healthy precheck input (two keyed tables, PostgreSQL 17 on both sides, superusers) that each unit test
// bends in one place, so every item is seen passing and failing as a pure function.
import type { SelectedTable, TableRef } from '../../src/catalog/names';
import type { DestinationFacts, SourceFacts, TableFacts } from '../../src/precheck/facts/types';
import type { CheckInput } from '../../src/precheck/items';
import { runCheckItems } from '../../src/precheck/items';
import type { CheckResult } from '../../src/precheck/types';
import { taskSpecSchema, type TaskSpecInput } from '../../src/spec/schema';

export const ref = (schema: string, name: string): TableRef => ({ schema, name });

export function table(schema: string, name: string, extra: Partial<TableFacts> = {}): TableFacts {
  return {
    ref: ref(schema, name), relkind: 'r', relispartition: false, owned: true, canSelect: true, replicaIdentity: 'd',
    columns: ['id', 'name'], key: { index: `${name}_pkey`, primary: true, columns: ['id'] },
    partitionKeyColumns: [], partitionKeyDef: null, bytes: 1024 * 1024, ...extra,
  };
}

export function source(extra: Partial<SourceFacts> = {}): SourceFacts {
  return {
    versionNum: 170002, walLevel: 'logical', encoding: 'UTF8', user: 'repl', database: 'app', isSuperuser: true,
    canReplicate: true, canCreateInDatabase: true, freeSlots: 3, freeWalSenders: 3, synchronizedStandbySlots: '', standbys: 0,
    longTransactions: [], longTransactionSeconds: 300, seesAllSessions: true,
    tables: [table('shop', 'orders'), table('shop', 'customers')],
    inheritance: [], partitionsOfRoots: [], foreignPartitions: [], sequences: [], hypertables: [], extensionMembers: [], rowFilters: [],
    ...extra,
  };
}

export function destination(extra: Partial<DestinationFacts> = {}): DestinationFacts {
  return {
    versionNum: 170002, encoding: 'UTF8', user: 'writer', database: 'dw', isSuperuser: false, canCreateInDatabase: true,
    schemas: [{ name: 'shop', exists: false, canCreate: false }, { name: '_pg_dts', exists: false, canCreate: false }],
    existingTargets: [], missingOriginFunctions: [], canSetReplicationRole: true,
    space: { measured: true, freeBytes: 100 * 2 ** 30, mount: '/data' },
    ...extra,
  };
}

/** A spec through the real schema (defaults applied). */
export function spec(extra: Partial<TaskSpecInput> = {}) {
  return taskSpecSchema.parse({
    name: 't', source: { url: 'postgresql://repl@src/app' }, destination: { url: 'postgresql://writer@dst/dw' },
    objects: [{ schema: 'shop' }], ...extra,
  });
}

/** The selection as names.ts maps it (identity mapping under nameCase default for these lower-case names). */
export function selected(tables: TableFacts[]): SelectedTable[] {
  return tables.map((t) => ({ source: t.ref, target: { schema: t.ref.schema.toLowerCase(), name: t.ref.name.toLowerCase() } }));
}

export function input(parts: { spec?: Partial<TaskSpecInput>; source?: Partial<SourceFacts>; destination?: Partial<DestinationFacts>; selection?: CheckInput['selection'] } = {}): CheckInput {
  const src = source(parts.source);
  return {
    spec: spec(parts.spec),
    selection: parts.selection ?? { tables: selected(src.tables), missing: [] },
    source: src,
    destination: destination(parts.destination),
  };
}

/** The result of one item id, asserting it is present. */
export function result(i: CheckInput, id: string): CheckResult {
  const r = runCheckItems(i).find((x) => x.id === id);
  if (!r) throw new Error(`item ${id} not in the report`);
  return r;
}

export const failedIds = (i: CheckInput): string[] => runCheckItems(i).filter((r) => !r.passed).map((r) => r.id);
