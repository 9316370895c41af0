// Every precheck item, in report order. Each is a pure function over the gathered facts.
import type { CheckResult } from '../types';
import type { CheckInput, CheckItem } from './check';
import { conflictingTables, destinationSpace, targetsExist } from './destination';
import { columnCollisions, excludedKeyColumns, tableCollisions, unknownColumns } from './mapping';
import {
  destinationCreate, destinationOrigins, destinationReplicationRole, sourceCreate, sourceOwnership, sourceReplication, sourceSelect,
} from './privileges';
import { ddlCapture, longTransactions, replicationSlots, slotFailover, walLevel, walSenders } from './replication';
import { rowFilters, rowFilterVersion } from './row-filter';
import { taskIdUnique } from './ownership';
import { tableDependencies } from './table-dependencies';
import { nonTableExtensions, nonTableObjects } from './non-table-objects';
import { objectsExist, objectsNotEmpty } from './selection';
import { extensionMembers, hypertables, inheritance, partitions, primaryKey, replicaIdentity, replicaIdentityNone, sequences } from './tables';
import { destinationVersion, encoding, sourceTruncate, sourceVersion } from './versions';

export type { CheckInput, PrecheckSpec } from './check';

export const ITEMS: CheckItem[] = [
  objectsExist, objectsNotEmpty, taskIdUnique,
  sourceVersion, destinationVersion, sourceTruncate, encoding,
  walLevel, replicationSlots, walSenders, slotFailover, longTransactions, ddlCapture,
  sourceReplication, sourceCreate, sourceOwnership, sourceSelect,
  destinationCreate, destinationOrigins, destinationReplicationRole,
  primaryKey, replicaIdentity, replicaIdentityNone,
  hypertables, inheritance, extensionMembers, tableDependencies, partitions, sequences,
  tableCollisions, columnCollisions, unknownColumns, excludedKeyColumns,
  rowFilterVersion, rowFilters,
  conflictingTables, targetsExist, destinationSpace, nonTableObjects, nonTableExtensions,
];

export function runCheckItems(input: CheckInput): CheckResult[] {
  return ITEMS.map((item) => item(input)).filter((r): r is CheckResult => r !== null);
}
