// Each check item is a pure function over gathered facts: easy to test, easy to add to.
import type { TableRef } from '../catalog/names';
import type { SyncType } from '../spec/schema';
import type { DestinationFacts, SourceFacts } from './facts';
import type { CheckResult } from './types';

export interface CheckInput {
  syncTypes: SyncType[];
  conflictingTables: 'precheck' | 'ignore';
  selectedCount: number;
  missing: string[];
  source: SourceFacts;
  destination: DestinationFacts;
}

const list = (tables: TableRef[]): string => tables.map((t) => `${t.schema}.${t.name}`).join(', ');
const major = (versionNum: number): number => Math.floor(versionNum / 10000);

function check(id: string, level: CheckResult['level'], passed: boolean, ok: string, bad: string, fix: string): CheckResult {
  return passed ? { id, level, passed, message: ok } : { id, level, passed, message: bad, fix };
}

export function runCheckItems(input: CheckInput): CheckResult[] {
  const { source, destination } = input;
  const incremental = input.syncTypes.includes('incremental');
  const results: CheckResult[] = [
    check('objects-exist', 'fail', input.missing.length === 0, 'every selected schema and table exists on the source',
      `not found on the source: ${input.missing.join(', ')}`, 'correct the names in "objects" or create the objects on the source'),
    check('objects-not-empty', 'fail', input.selectedCount > 0, `${input.selectedCount} table(s) selected`,
      'the selection matches no table', 'select at least one existing table in "objects"'),
    check('source-version', 'fail', source.versionNum >= 100000, `source is PostgreSQL ${major(source.versionNum)}`,
      `source is PostgreSQL ${major(source.versionNum)}; pg-dts needs 10 or later`, 'upgrade the source to PostgreSQL 10 or later'),
    check('destination-version', 'warn', major(destination.versionNum) >= major(source.versionNum),
      'destination version is the same as or newer than the source',
      `destination PostgreSQL ${major(destination.versionNum)} is older than source ${major(source.versionNum)}; newer types or syntax may fail`,
      'use a destination at least as new as the source, or list "destination-version" in precheck.ignoreWarnings'),
    check('conflicting-tables', 'fail', input.conflictingTables === 'ignore' || destination.existingTargets.length === 0,
      'no selected table already exists on the destination',
      `already on the destination: ${list(destination.existingTargets)}`,
      'drop or rename these destination tables, map the tables to other names, or set "conflictingTables": "ignore" to write into them'),
  ];
  if (incremental) {
    results.push(
      check('source-wal-level', 'fail', source.walLevel === 'logical', 'source wal_level is logical',
        `source wal_level is ${source.walLevel}; incremental sync needs logical`,
        'run ALTER SYSTEM SET wal_level = logical on the source and restart it'),
      check('source-replication-privilege', 'fail', source.canReplicate, 'source user may replicate',
        'the source user has neither REPLICATION nor SUPERUSER', 'run ALTER ROLE <user> REPLICATION on the source'),
      check('source-replication-slots', 'fail', source.freeSlots > 0, `${source.freeSlots} free replication slot(s) on the source`,
        'no free replication slot on the source (max_replication_slots reached)',
        'raise max_replication_slots on the source (restart needed) or drop an unused slot'),
      check('source-wal-senders', 'fail', source.freeWalSenders > 0, `${source.freeWalSenders} free WAL sender(s) on the source`,
        'no free WAL sender on the source (max_wal_senders reached)', 'raise max_wal_senders on the source (restart needed)'),
      check('primary-key', 'fail', source.tablesWithoutKey.length === 0,
        'every selected table has a primary key or a non-null unique index',
        `no primary key or non-null unique index: ${list(source.tablesWithoutKey)}`,
        'add a primary key (or a unique index on NOT NULL columns) to these tables, or deselect them'),
      check('destination-origin-privilege', 'fail', destination.canUseOrigins,
        'destination user may use replication origins (exactly-once apply)',
        'the destination user may not use replication origins, which exactly-once apply needs',
        'connect to the destination as a superuser, or GRANT EXECUTE ON FUNCTION pg_replication_origin_session_setup(text) and the other pg_replication_origin_* functions'),
    );
  }
  return results;
}
