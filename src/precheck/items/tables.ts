// What pg-dts needs from each selected table: a key, a replica identity it can work with, and nothing it
// cannot reproduce on the destination (hypertables, inheritance, extension members, split partition trees).
import { tableKey, type TableRef } from '../../catalog/names';
import { major, names, pass, plural, problem, refName, tableList, wants, type CheckInput, type CheckItem } from './check';

export const primaryKey: CheckItem = (input) => {
  if (!wants(input, 'incremental')) return null;
  const keyless = input.source.tables.filter((t) => !t.key).map((t) => t.ref);
  return keyless.length === 0
    ? pass('primary-key', 'fail', 'every selected table has a primary key or a non-null unique index')
    : problem('primary-key', 'fail', `no primary key or non-null unique index: ${tableList(keyless)}`,
        'add a primary key (or a unique index on NOT NULL columns, without expressions or WHERE) to these tables, or deselect them');
};

const FULL = 'f';

/**
 * replicaIdentity "full" (default): pg-dts sets REPLICA IDENTITY FULL at start and restores it at release,
 * so the item passes and says which tables change. "keep": tables not FULL warn (updates then carry only
 * the key's old values: row filters and unchanged TOAST columns need the whole old row).
 */
export const replicaIdentity: CheckItem = (input) => {
  if (!wants(input, 'incremental')) return null;
  const notFull = input.source.tables.filter((t) => t.replicaIdentity !== FULL).map((t) => t.ref);
  if (input.spec.replicaIdentity === 'full') {
    return pass('replica-identity', 'warn', notFull.length
      ? `pg-dts sets REPLICA IDENTITY FULL at start on ${tableList(notFull)} and restores it at release`
      : 'every selected table already has REPLICA IDENTITY FULL');
  }
  return notFull.length === 0
    ? pass('replica-identity', 'warn', 'every selected table has REPLICA IDENTITY FULL')
    : problem('replica-identity', 'warn',
        `REPLICA IDENTITY is not FULL on ${tableList(notFull)} ("replicaIdentity": "keep"): updates carry only the key's old values, so unchanged TOAST columns and row filters cannot see the whole old row`,
        'set "replicaIdentity": "full" (pg-dts sets and restores it), run ALTER TABLE ... REPLICA IDENTITY FULL on the source, or list "replica-identity" in precheck.ignoreWarnings');
};

/**
 * With "keep", a published table with no usable replica identity (NOTHING, or DEFAULT without a primary
 * key) makes the source reject every UPDATE and DELETE on it once it is in the publication.
 */
export const replicaIdentityNone: CheckItem = (input) => {
  if (!wants(input, 'incremental') || input.spec.replicaIdentity !== 'keep') return null;
  const broken = input.source.tables
    .filter((t) => t.relkind !== 'p' && (t.replicaIdentity === 'n' || (t.replicaIdentity === 'd' && !t.key?.primary)))
    .map((t) => t.ref);
  return broken.length === 0
    ? pass('replica-identity-none', 'fail', 'every selected table has a replica identity')
    : problem('replica-identity-none', 'fail',
        `no replica identity on ${tableList(broken)} (NOTHING, or DEFAULT without a primary key): once published, UPDATE and DELETE on them fail on the source`,
        'set "replicaIdentity": "full", or run ALTER TABLE ... REPLICA IDENTITY USING INDEX <unique index> (or FULL) on the source');
};

export const hypertables: CheckItem = ({ source }) =>
  source.hypertables.length === 0
    ? pass('unsupported-hypertable', 'fail', 'no selected table is a TimescaleDB hypertable')
    : problem('unsupported-hypertable', 'fail',
        `TimescaleDB hypertables are not supported (their rows live in chunk tables the publication does not carry): ${tableList(source.hypertables)}`,
        'deselect these tables ("excludeTables" or the "tables" list) and move them with TimescaleDB\'s own tools');

/**
 * Plain inheritance: pg-dts recreates INHERITS only between tables it syncs in the same schema. A link
 * across schemas, or to a parent/child that is not selected, would lose the link or (for a parent) count
 * the children's rows twice.
 */
export const inheritance: CheckItem = ({ source }) => {
  const selected = new Set(source.tables.map((t) => tableKey(t.ref)));
  const bad = source.inheritance.filter(
    (l) => l.parent.schema !== l.child.schema || !selected.has(tableKey(l.parent)) || !selected.has(tableKey(l.child)),
  );
  if (bad.length === 0) return pass('unsupported-inheritance', 'fail', 'no selected table inherits across schemas or from an unselected table');
  const described = bad.map((l) => {
    const why = l.parent.schema !== l.child.schema ? 'across schemas'
      : !selected.has(tableKey(l.parent)) ? 'parent not selected' : 'child not selected';
    return `${refName(l.child)} INHERITS ${refName(l.parent)} (${why})`;
  });
  return problem('unsupported-inheritance', 'fail', `unsupported table inheritance: ${names(described)}`,
    'select parent and children together within one schema, or deselect them; a parent selected without its children would copy the children\'s rows into it');
};

export const extensionMembers: CheckItem = ({ source }) =>
  source.extensionMembers.length === 0
    ? pass('unsupported-extension-object', 'fail', 'no selected table or its schema belongs to an extension')
    : problem('unsupported-extension-object', 'fail',
        `owned by an extension (CREATE EXTENSION makes them on the destination): ${names(source.extensionMembers.map((m) => `${m.kind} ${m.name} (extension ${m.extension})`))}`,
        'deselect these tables (e.g. "excludeTables") and install the extension on the destination');

/** Selected schemas taken whole (no "tables" list): their own sequences come along with them. */
const wholeSchemas = (input: CheckInput): Set<string> => new Set(input.spec.objects.filter((o) => !o.tables).map((o) => o.schema));

export const sequences: CheckItem = (input) => {
  const selected = new Set(input.source.tables.map((t) => tableKey(t.ref)));
  const whole = wholeSchemas(input);
  const stray = input.source.sequences.filter((u) => !(u.owner && selected.has(tableKey(u.owner))) && !whole.has(u.sequence.schema));
  if (stray.length === 0) return pass('sequences', 'warn', 'every sequence behind a column default is owned by a selected table or in a selected schema');
  const described = stray.map((u) => `${refName(u.table)}.${u.column} uses ${refName(u.sequence)} (${u.owner ? `owned by ${refName(u.owner)}, not selected` : 'owned by no table'})`);
  // Schema sync creates every sequence a selected column's default names, and copies its position.
  if (wants(input, 'schema')) return pass('sequences', 'warn', `schema sync also creates the sequences these defaults use: ${names(described, 20)}`);
  return problem('sequences', 'warn',
    `column defaults call sequences that are not synced (no schema sync): ${names(described, 20)}; the destination tables need them to exist`,
    'select the owning tables or the sequences\' schemas, create the sequences on the destination first (ALTER SEQUENCE ... OWNED BY to tie them to a table), or list "sequences" in precheck.ignoreWarnings');
};

/**
 * Partition trees: pg-dts syncs a partitioned table through its root (selecting the root brings every
 * partition; before 13 its partitions are published one by one). A partition selected on its own or next
 * to its root and foreign partitions (neither copied nor published) fail.
 */
export const partitions: CheckItem = (input) => {
  const { source } = input;
  const selected = new Set(source.tables.map((t) => tableKey(t.ref)));
  const found: string[] = [];
  const alone = source.partitionsOfRoots.filter((p) => !selected.has(tableKey(p.root)));
  const both = source.partitionsOfRoots.filter((p) => selected.has(tableKey(p.root)));
  if (alone.length) found.push(`partitions selected without their partitioned table: ${names(alone.map((p) => `${refName(p.partition)} (of ${refName(p.root)})`))}`);
  if (both.length) found.push(`partitions selected next to their partitioned table, which already brings them: ${names(both.map((p) => refName(p.partition)))}`);
  if (source.foreignPartitions.length) {
    found.push(`foreign-table partitions, neither copied nor replicated: ${names(source.foreignPartitions.map((p) => `${refName(p.partition)} (of ${refName(p.root)})`))}`);
  }
  const roots: TableRef[] = source.tables.filter((t) => t.relkind === 'p').map((t) => t.ref);
  // Before 13 partitions are published one by one, and only the DDL capture (event triggers: a superuser)
  // adds a partition created or attached later: without it that partition's rows would never replicate.
  if (roots.length && wants(input, 'incremental') && source.versionNum < 130000 && !source.isSuperuser) {
    found.push(`PostgreSQL ${major(source.versionNum)} publishes partitions one by one and the source user ${source.user} is not a superuser: ` +
      `a partition created or attached later would not be published (no DDL capture), its rows never replicated: ${tableList(roots)}`);
  }
  if (found.length === 0) {
    return pass('partitions', 'fail', roots.length ? `${plural(roots.length, 'partitioned table')} selected whole, with all partitions` : 'no partition tree is split by the selection');
  }
  return problem('partitions', 'fail', found.join('; '),
    'select partitioned tables by their root only (it brings every partition), move foreign partitions out of the tree (ALTER TABLE ... DETACH PARTITION), and on sources before 13 connect as a superuser or deselect partitioned tables');
};
