// What logical replication needs from the source server: wal_level, free slots and walsenders, a slot
// that survives a failover, and no old transaction for slot creation to wait on. Incremental sync only.
import { major, names, pass, plural, problem, wants, type CheckItem } from './check';

export const walLevel: CheckItem = (input) => {
  if (!wants(input, 'incremental')) return null;
  const { walLevel } = input.source;
  return walLevel === 'logical'
    ? pass('source-wal-level', 'fail', 'source wal_level is logical')
    : problem('source-wal-level', 'fail', `source wal_level is ${walLevel}; incremental sync needs logical`,
        'run ALTER SYSTEM SET wal_level = logical on the source and restart it');
};

export const replicationSlots: CheckItem = (input) => {
  if (!wants(input, 'incremental')) return null;
  const { freeSlots } = input.source;
  return freeSlots > 0
    ? pass('source-replication-slots', 'fail', `${plural(freeSlots, 'free replication slot')} on the source`)
    : problem('source-replication-slots', 'fail', 'no free replication slot on the source (max_replication_slots reached)',
        'raise max_replication_slots on the source (restart needed) or drop an unused slot (pg_drop_replication_slot)');
};

export const walSenders: CheckItem = (input) => {
  if (!wants(input, 'incremental')) return null;
  const { freeWalSenders } = input.source;
  return freeWalSenders > 0
    ? pass('source-wal-senders', 'fail', `${plural(freeWalSenders, 'free WAL sender')} on the source`)
    : problem('source-wal-senders', 'fail', 'no free WAL sender on the source (max_wal_senders reached)',
        'raise max_wal_senders on the source (restart needed) or stop an unused replication connection');
};

/**
 * A logical slot lives on the primary only. After a failover to a standby that did not sync it, the task
 * has lost its position and must start again with a full sync. PostgreSQL 17 can sync slots to standbys
 * listed in synchronized_standby_slots. A source with no physical standby at all has nothing to fail
 * over to, so it passes (a warning there would only teach users to ignore it).
 */
export const slotFailover: CheckItem = (input) => {
  if (!wants(input, 'incremental')) return null;
  const { versionNum, synchronizedStandbySlots, standbys } = input.source;
  if (standbys === 0) {
    return pass('slot-failover', 'warn', 'no physical standby replicates from the source, so no failover can lose the replication slot');
  }
  if (synchronizedStandbySlots === null) {
    return problem('slot-failover', 'warn',
      `the source has ${plural(standbys, 'physical standby')} but PostgreSQL ${major(versionNum)} cannot keep a logical slot across a failover: after a promotion the task loses its position and needs a new full sync`,
      'upgrade the source to PostgreSQL 17 or later and sync slots to the standby, or plan to restart the task after a failover and list "slot-failover" in precheck.ignoreWarnings');
  }
  if (synchronizedStandbySlots.trim() === '') {
    return problem('slot-failover', 'warn',
      `the source has ${plural(standbys, 'physical standby')} but synchronized_standby_slots is empty: no standby is configured to keep the task's slot across a failover`,
      "on the source set synchronized_standby_slots = '<the standby's physical slot>'; on the standby set sync_replication_slots = on, hot_standby_feedback = on and primary_slot_name; or list \"slot-failover\" in precheck.ignoreWarnings");
  }
  return pass('slot-failover', 'warn', `synchronized_standby_slots = '${synchronizedStandbySlots}': standbys sync logical slots`);
};

const age = (seconds: number): string =>
  seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : seconds >= 60 ? `${Math.round(seconds / 60)} min` : `${seconds} s`;

export const longTransactions: CheckItem = (input) => {
  if (!wants(input, 'incremental')) return null;
  const { longTransactions: open, longTransactionSeconds, seesAllSessions } = input.source;
  const limit = age(longTransactionSeconds);
  if (!open.length) {
    const blind = seesAllSessions ? '' : ' (sessions of other roles are invisible without pg_read_all_stats)';
    return pass('long-transactions', 'warn', `no writing transaction on the source is older than ${limit}${blind}`);
  }
  const described = open.map((t) =>
    `${t.pid === null ? t.state : `pid ${t.pid} (${t.state})`} ${age(t.ageSeconds)}${t.database ? ` in ${t.database}` : ''}${t.user ? ` by ${t.user}` : ''}`);
  return problem('long-transactions', 'warn',
    `${plural(open.length, 'transaction')} older than ${limit} on the source: ${names(described, 20)}; creating the replication slot waits until they end`,
    'commit or roll back these transactions (pg_terminate_backend(pid); COMMIT/ROLLBACK PREPARED for prepared ones), or list "long-transactions" in precheck.ignoreWarnings to start and wait');
};

/**
 * DDL replication captures statements with event triggers (superuser only) into a published table of the
 * task, so they reach the stream in order with the rows on every supported source. Without a superuser
 * the task still runs but schema changes on the source are not followed: a warning, so nobody is
 * surprised by it later.
 */
export const ddlCapture: CheckItem = (input) => {
  if (!wants(input, 'incremental')) return null;
  const wanted = input.spec.objects.some((o) => o.ddl !== false || (o.tables ?? []).some((t) => typeof t !== 'string' && t.ddl === true));
  if (!wanted) return null;
  const { isSuperuser } = input.source;
  if (!isSuperuser) {
    return problem('ddl-capture', 'warn', `the source user ${input.source.user} is not a superuser: DDL is not replicated (event triggers need one)`,
      'connect to the source as a superuser, set "ddl": false on the objects, or list "ddl-capture" in precheck.ignoreWarnings');
  }
  return pass('ddl-capture', 'warn', 'DDL is captured on the source (event triggers) and replicated in order with the data');
};
