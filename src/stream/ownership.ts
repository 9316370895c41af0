// Who owns what a task creates (DESIGN.md invariant 8, "Isolation"). Each database a task writes to keeps a
// small registry, `_pg_dts.owners`: one row per slot, publication and origin, and per task id for what is
// named after the id (kind `capture`: the DDL capture's triggers, functions and table on the source; kind
// `progress`: copy progress and replica-identity records on the destination). A row names the Temporal
// namespace and workflow id that claimed the object. A task claims an object before creating it, and drops,
// terminates or forgets only what the registry says is its own — so a second task that ends up with the same
// names (the same workflow id in another namespace, a deliberate hash collision, a task started before names
// were made collision-free) is refused and never touches the first one's objects.
//
// The registry table belongs to the role that created it and is granted to nobody: a role that could write
// it could make one task drop another's objects. Claims and the registry's creation and removal are
// serialized by an advisory lock, so two tasks starting at once cannot both claim a name.
import type { ClientBase } from 'pg';
import { additionNames, originName, publicationName, slotName, type TaskNaming } from '../spec/task-id';
import { ident } from '../util/sql';

export interface Owner {
  namespace: string;
  workflowId: string;
}

export type OwnedKind = 'slot' | 'publication' | 'origin' | 'capture' | 'progress';

export interface OwnedObject {
  kind: OwnedKind;
  name: string;
}

export interface OwnerRecord extends Owner {
  taskId: string;
}

/** An object another task owns, or one that exists with no recorded owner (`owner` null). */
export interface OwnershipConflict {
  object: OwnedObject;
  owner: OwnerRecord | null;
}

const SCHEMA = '_pg_dts';
const TABLE = 'owners';
export const REGISTRY = `${SCHEMA}.${TABLE}`;
const LOCK = `SELECT pg_advisory_xact_lock(hashtext('pg-dts ownership registry'))`;

const keyOf = (o: OwnedObject): string => `${o.kind}:${o.name}`;
export const sameOwner = (a: Owner, b: Owner): boolean => a.namespace === b.namespace && a.workflowId === b.workflowId;
export const describeOwner = (o: Owner): string => `workflow "${o.workflowId}" in namespace "${o.namespace}"`;
export function describeObject(o: OwnedObject): string {
  switch (o.kind) {
    case 'capture':
      return `the DDL capture objects of task id ${o.name}`;
    case 'progress':
      return `the copy progress and replica-identity records of task id ${o.name}`;
    case 'origin':
      return `replication origin ${o.name}`;
    default:
      return `${o.kind} ${o.name}`;
  }
}

export function describeConflict(c: OwnershipConflict): string {
  return c.owner
    ? `${describeObject(c.object)} belongs to ${describeOwner(c.owner)}`
    : `${describeObject(c.object)} exists but no task is recorded as its owner (left by a task started before pg-dts recorded ownership, or made by someone else)`;
}

export class OwnershipError extends Error {
  constructor(readonly side: string, readonly conflicts: OwnershipConflict[], readonly taskId: string) {
    super(
      `task id ${taskId} is in use on the ${side}: ${conflicts.map(describeConflict).join('; ')}. ` +
        'pg-dts touches only objects its own task created: start this task under another workflow id, or release the task that owns them',
    );
    this.name = 'OwnershipError';
  }
}

/** How the session stands towards the registry: whether it exists, and whether this user may use it. */
export interface RegistryAccess {
  exists: boolean;
  /** SELECT, INSERT and DELETE on the table (or, when missing, CREATE where it would be made). */
  usable: boolean;
  /** The role owning the table (or the schema it would be made in), for the message telling how to fix it. */
  ownerRole: string | null;
  schemaExists: boolean;
}

export async function registryAccess(db: ClientBase): Promise<RegistryAccess> {
  const { rows } = await db.query<{ schema_exists: boolean; table_exists: boolean; usable: boolean; owner: string | null }>(
    `SELECT n.oid IS NOT NULL AS schema_exists, c.oid IS NOT NULL AS table_exists,
            CASE WHEN c.oid IS NOT NULL
                 THEN has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT, INSERT, DELETE')
                 WHEN n.oid IS NOT NULL THEN has_schema_privilege(n.oid, 'USAGE, CREATE')
                 ELSE has_database_privilege(current_database(), 'CREATE') END AS usable,
            pg_get_userbyid(coalesce(c.relowner, n.nspowner)) AS owner
       FROM (SELECT 1) one
       LEFT JOIN pg_namespace n ON n.nspname = $1
       LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = $2 AND c.relkind = 'r'`,
    [SCHEMA, TABLE],
  );
  const r = rows[0]!;
  return { exists: r.table_exists, usable: r.usable, ownerRole: r.owner, schemaExists: r.schema_exists };
}

export function registryProblem(access: RegistryAccess, user: string): string {
  return access.exists
    ? `the ownership registry ${REGISTRY} belongs to role ${access.ownerRole} and user ${user} may not use it: run GRANT USAGE ON SCHEMA ${SCHEMA} TO ${user}; GRANT SELECT, INSERT, DELETE ON ${REGISTRY} TO ${user} (as ${access.ownerRole}), or run every pg-dts task on this database as one role`
    : `user ${user} may not create the ownership registry ${REGISTRY}${access.schemaExists ? ` (no CREATE on schema ${SCHEMA}, owned by ${access.ownerRole})` : ' (no CREATE on the database)'}`;
}

/** Registry rows of these objects (none when the registry does not exist yet). */
export async function readOwners(db: ClientBase, objects: OwnedObject[]): Promise<Map<string, OwnerRecord>> {
  if (!objects.length) return new Map();
  const access = await registryAccess(db);
  if (!access.exists) return new Map();
  if (!access.usable) {
    const user = (await db.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
    throw new Error(registryProblem(access, user));
  }
  const { rows } = await db.query<{ kind: string; name: string; namespace: string; workflow_id: string; task_id: string }>(
    `SELECT kind, name, namespace, workflow_id, task_id FROM ${REGISTRY}
      WHERE (kind, name) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [objects.map((o) => o.kind), objects.map((o) => o.name)],
  );
  return new Map(rows.map((r) => [`${r.kind}:${r.name}`, { namespace: r.namespace, workflowId: r.workflow_id, taskId: r.task_id }]));
}

/**
 * Which of these objects exist. A `capture` object exists when DDL capture objects of that task id do (event
 * triggers, functions, capture table); a `progress` object when copy progress or replica-identity records of
 * that task id do (in tables this user may read).
 */
export async function presentObjects(db: ClientBase, objects: OwnedObject[]): Promise<Set<string>> {
  const names = (kind: OwnedKind): string[] => objects.filter((o) => o.kind === kind).map((o) => o.name);
  const present = new Set<string>();
  const add = (kind: OwnedKind, rows: { name: string }[]): void => rows.forEach((r) => present.add(`${kind}:${r.name}`));
  if (names('slot').length) {
    add('slot', (await db.query('SELECT slot_name AS name FROM pg_replication_slots WHERE slot_name = ANY($1)', [names('slot')])).rows);
  }
  if (names('publication').length) {
    add('publication', (await db.query('SELECT pubname AS name FROM pg_publication WHERE pubname = ANY($1)', [names('publication')])).rows);
  }
  if (names('origin').length) {
    add('origin', (await db.query('SELECT roname AS name FROM pg_replication_origin WHERE roname = ANY($1)', [names('origin')])).rows);
  }
  const captures = names('capture');
  if (captures.length) {
    // Catalogs only: readable by every role.
    const { rows } = await db.query<{ name: string }>(
      `SELECT id AS name FROM unnest($1::text[]) AS id
        WHERE EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname IN ('dts_ddl_' || id, 'dts_drop_' || id))
           OR EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                       WHERE n.nspname = '_pg_dts' AND p.proname IN ('ddl_capture_' || id, 'ddl_record_' || id))
           OR EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname = '_pg_dts' AND c.relname = 'ddl_log_' || id)`,
      [captures],
    );
    add('capture', rows);
  }
  const ids = names('progress');
  if (ids.length) {
    for (const [table, keys] of [['full_sync', (id: string) => [id, `${id}:added`]], ['replica_identity', (id: string) => [id]]] as const) {
      const readable = await db.query<{ ok: boolean }>(
        `SELECT coalesce(bool_and(has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')), false) AS ok
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '_pg_dts' AND c.relname = $1`,
        [table],
      );
      if (!readable.rows[0]!.ok) continue;
      for (const id of ids) {
        if (present.has(`progress:${id}`)) continue;
        const r = await db.query(`SELECT 1 FROM _pg_dts.${ident(table)} WHERE task_id = ANY($1) LIMIT 1`, [keys(id)]);
        if (r.rowCount) present.add(`progress:${id}`);
      }
    }
  }
  return present;
}

/** What a session finds about a task's names: for the precheck (reads only). */
export interface OwnershipFacts {
  user: string;
  registry: RegistryAccess;
  objects: { object: OwnedObject; present: boolean; owner: OwnerRecord | null }[];
}

export async function gatherOwnership(db: ClientBase, objects: OwnedObject[]): Promise<OwnershipFacts> {
  const registry = await registryAccess(db);
  const user = (await db.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
  const owners = registry.exists && registry.usable ? await readOwners(db, objects) : new Map<string, OwnerRecord>();
  const present = await presentObjects(db, objects);
  return { user, registry, objects: objects.map((object) => ({ object, present: present.has(keyOf(object)), owner: owners.get(keyOf(object)) ?? null })) };
}

/** The objects of `facts` that keep this owner from using them (for the precheck and for claims). */
export function conflictsOf(facts: OwnershipFacts['objects'], owner: Owner | null, adoptable: (o: OwnedObject) => boolean = () => false): OwnershipConflict[] {
  return facts
    .filter(({ object, present, owner: recorded }) => (recorded ? !owner || !sameOwner(recorded, owner) : present && !adoptable(object)))
    .map(({ object, owner: recorded }) => ({ object, owner: recorded }));
}

async function inTransaction<T>(db: ClientBase, fn: () => Promise<T>): Promise<T> {
  await db.query('BEGIN');
  try {
    const result = await fn();
    await db.query('COMMIT');
    return result;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Records `owner` as the owner of `objects`, before they are created (or, for `adoptable` ones that exist with
 * no recorded owner, taken over: objects of a task started before ownership was recorded). Throws an
 * OwnershipError naming every object another task owns or that exists unrecorded; then nothing is recorded.
 */
export async function claimObjects(
  db: ClientBase, side: string, owner: Owner, taskId: string, objects: OwnedObject[], adoptable: (o: OwnedObject) => boolean = () => false,
): Promise<void> {
  if (!objects.length) return;
  await inTransaction(db, async () => {
    await db.query(LOCK);
    const access = await registryAccess(db);
    if (!access.usable) {
      const user = (await db.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
      throw new Error(registryProblem(access, user));
    }
    if (!access.exists) {
      if (!access.schemaExists) await db.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
      await db.query(
        `CREATE TABLE IF NOT EXISTS ${REGISTRY} (
           kind text NOT NULL, name text NOT NULL, namespace text NOT NULL, workflow_id text NOT NULL, task_id text NOT NULL,
           claimed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (kind, name))`,
      );
      await db.query(`REVOKE ALL ON ${REGISTRY} FROM PUBLIC`);
    }
    const owners = await readOwners(db, objects);
    const present = await presentObjects(db, objects);
    const facts = objects.map((object) => ({ object, present: present.has(keyOf(object)), owner: owners.get(keyOf(object)) ?? null }));
    const conflicts = conflictsOf(facts, owner, adoptable);
    if (conflicts.length) throw new OwnershipError(side, conflicts, taskId);
    const missing = objects.filter((o) => !owners.has(keyOf(o)));
    if (missing.length) {
      await db.query(
        `INSERT INTO ${REGISTRY} (kind, name, namespace, workflow_id, task_id)
         SELECT kind, name, $3, $4, $5 FROM unnest($1::text[], $2::text[]) AS o(kind, name)`,
        [missing.map((o) => o.kind), missing.map((o) => o.name), owner.namespace, owner.workflowId, taskId],
      );
    }
  });
}

/**
 * Of `objects`, those this owner may drop or terminate sessions of: recorded as its own, or existing with no
 * recorded owner and `adoptable`. `others` lists what is left alone (another task's, or unrecorded).
 * Objects that exist nowhere and are recorded for nobody are in neither list: there is nothing to drop.
 */
export async function ownedObjects(
  db: ClientBase, owner: Owner, objects: OwnedObject[], adoptable: (o: OwnedObject) => boolean = () => false,
): Promise<{ mine: OwnedObject[]; others: OwnershipConflict[] }> {
  if (!objects.length) return { mine: [], others: [] };
  const owners = await readOwners(db, objects);
  const present = await presentObjects(db, objects);
  const mine: OwnedObject[] = [];
  const others: OwnershipConflict[] = [];
  for (const object of objects) {
    const recorded = owners.get(keyOf(object));
    if (recorded) {
      if (sameOwner(recorded, owner)) mine.push(object);
      else others.push({ object, owner: recorded });
    } else if (present.has(keyOf(object))) {
      if (adoptable(object)) mine.push(object);
      else others.push({ object, owner: null });
    }
  }
  return { mine, others };
}

/**
 * Removes this owner's rows of `objects` (after dropping them); the registry itself goes when it is empty,
 * and with it pg-dts's `helperTables` (names in its schema, e.g. copy progress on the destination) that hold
 * no rows, then, when `dropEmptySchema`, the schema when nothing else is left in it. An empty registry means
 * no task claims anything here (a task claims before it writes those tables), so nothing else needs them.
 */
export async function forgetObjects(
  db: ClientBase, owner: Owner, objects: OwnedObject[], dropEmptySchema: boolean, helperTables: string[] = [],
): Promise<void> {
  if (!objects.length) return;
  const access = await registryAccess(db);
  if (!access.exists) return;
  await inTransaction(db, async () => {
    await db.query(LOCK);
    await db.query(
      `DELETE FROM ${REGISTRY} WHERE (kind, name) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND namespace = $3 AND workflow_id = $4`,
      [objects.map((o) => o.kind), objects.map((o) => o.name), owner.namespace, owner.workflowId],
    );
    const { rows } = await db.query<{ empty: boolean; mine: boolean }>(
      `SELECT NOT EXISTS (SELECT 1 FROM ${REGISTRY}) AS empty,
              pg_has_role((SELECT relowner FROM pg_class WHERE oid = '${REGISTRY}'::regclass), 'USAGE') AS mine`,
    );
    if (!rows[0]!.empty || !rows[0]!.mine) return;
    await db.query(`DROP TABLE ${REGISTRY}`);
    await dropEmptyHelperTables(db, helperTables);
    if (!dropEmptySchema) return;
    const left = await db.query(
      `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1
        UNION ALL SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1
        UNION ALL SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typrelid = 0`,
      [SCHEMA],
    );
    const ownsSchema = await db.query<{ ok: boolean }>(`SELECT pg_has_role(nspowner, 'USAGE') AS ok FROM pg_namespace WHERE nspname = $1`, [SCHEMA]);
    if (!left.rowCount && ownsSchema.rows[0]?.ok) await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA}`);
  });
}

/**
 * Inside forgetObjects' transaction: drops those of `tables` (in pg-dts's schema) this user owns and that hold
 * no rows. Rows left (a task started before ownership was recorded, or a record release had to keep) keep
 * their table. The progress stores' lock is taken too, so no store is being created meanwhile.
 */
async function dropEmptyHelperTables(db: ClientBase, tables: string[]): Promise<void> {
  if (!tables.length) return;
  await db.query(`SELECT pg_advisory_xact_lock(hashtext('pg-dts progress store'))`);
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relkind = 'r' AND pg_has_role(c.relowner, 'USAGE')`,
    [SCHEMA, tables],
  );
  for (const { name } of rows) {
    const table = `${SCHEMA}.${ident(name)}`;
    const used = await db.query(`SELECT 1 FROM ${table} LIMIT 1`);
    if (!used.rowCount) await db.query(`DROP TABLE ${table}`);
  }
}

/** What a task claims on each side: its main objects (a full-only task has none on the source). */
export function taskObjects(taskId: string, names: { slot: string; publication: string; origin: string }, incremental = true): { source: OwnedObject[]; destination: OwnedObject[] } {
  return {
    source: incremental
      ? [{ kind: 'capture', name: taskId }, { kind: 'publication', name: names.publication }, { kind: 'slot', name: names.slot }]
      : [],
    destination: [{ kind: 'progress', name: taskId }, ...(incremental ? [{ kind: 'origin' as const, name: names.origin }] : [])],
  };
}

/** Every name a task may use, its additions' included (what its precheck wants free or its own). */
export function allTaskObjects(taskId: string, naming: TaskNaming, incremental: boolean): { source: OwnedObject[]; destination: OwnedObject[] } {
  const main = taskObjects(taskId, { slot: slotName(taskId), publication: publicationName(taskId), origin: originName(taskId) }, incremental);
  if (!incremental) return main;
  const addition = additionNames(taskId, naming);
  return { source: [...main.source, { kind: 'slot', name: addition.slot }], destination: [...main.destination, { kind: 'origin', name: addition.origin }] };
}
