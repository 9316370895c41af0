// Gathers everything the items judge on the source. Only reads catalogs and settings: a precheck creates
// nothing on the source.
import type { ClientBase } from 'pg';
import type { Mapping, SelectedTable } from '../../catalog/names';
import { gatherRowFilters } from './row-filters';
import { gatherLongTransactions, gatherSourceServer } from './source';
import { gatherExtensionMembers, gatherHypertables, gatherInheritance, gatherPartitions, gatherSequenceUses } from './structure';
import { gatherTables } from './tables';
import { gatherNonTableObjects } from './non-table-objects';
import { gatherTableDependencies } from './table-dependencies';
import type { SourceFacts } from './types';

export { gatherDestinationFacts } from './destination';

export async function gatherSourceFacts(
  db: ClientBase,
  spec: Mapping,
  selected: SelectedTable[],
  taskSlot: string,
  longTransactionSeconds: number,
): Promise<SourceFacts> {
  const server = await gatherSourceServer(db, taskSlot);
  const refs = selected.map((t) => t.source);
  const { facts: tables, oids } = await gatherTables(db, refs, server.versionNum);
  return {
    ...server,
    longTransactions: await gatherLongTransactions(db, longTransactionSeconds),
    longTransactionSeconds,
    tables,
    inheritance: await gatherInheritance(db, oids),
    ...(await gatherPartitions(db, oids)),
    sequences: await gatherSequenceUses(db, oids),
    hypertables: await gatherHypertables(db, refs),
    extensionMembers: await gatherExtensionMembers(db, oids),
    rowFilters: await gatherRowFilters(db, spec, tables),
    nonTableObjects: await gatherNonTableObjects(db, spec, selected),
    tableDependencies: await gatherTableDependencies(db, oids),
  };
}
