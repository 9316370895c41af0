// DDL capture on the source: two event triggers per task (ddl_command_end, sql_drop) whose function records
// each DDL command as a row of the task's capture table (_pg_dts.ddl_log_<task>), which is in the task's
// publication. The row reaches the stream at its place among the transaction's row changes (an ordinary
// heap insert, ordered by its own LSN whatever subtransaction wrote it) and only if the transaction commits.
//
// Why a table and not pg_logical_emit_message: that function is executable by PUBLIC, so any role that can
// log in could write a message with the task's prefix and have it replayed on the destination. Only the
// table's owner (the task's source user) can write the capture table; the application's roles reach it only
// through the SECURITY DEFINER recorder, which records the statement the session really ran
// (current_query()) and only from inside an event trigger. Each task has its own table in its own
// publication: two tasks on one source never read each other's DDL.
//
// The triggers are ENABLE ALWAYS so they also fire in sessions with session_replication_role = replica;
// the message records the role and the applier refuses those statements visibly instead of never seeing
// them. A table created in a schema the task selects whole is adopted right there, inside the creating
// transaction: REPLICA IDENTITY FULL and added to the publication, so its first row is already published.
// The recording function is SECURITY DEFINER (owned by the task's superuser): the application's role that
// creates the table may not alter the task's publication.
import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import { ident, literal } from '../util/sql';
import { removePartitionTruncateCapture, truncateFunctionName, truncateTriggerName } from './partition-truncate';
import { partitionRootSql, partitionTreeSql } from '../catalog/partition-sql';

/** The prefix of the last-resort logical message sent when the recorder itself failed (see the trigger). */
export const ddlMessagePrefix = (taskId: string): string => `pg-dts:${taskId}:ddl`;

/** The task's capture table on the source: written only by the recorder, published with the task's tables. */
export const ddlLogTable = (taskId: string): { schema: string; name: string } => ({ schema: '_pg_dts', name: `ddl_log_${taskId}` });
const ddlLogTableSql = (taskId: string): string => `_pg_dts.${ident(ddlLogTable(taskId).name)}`;
/** Capture rows kept in the table (every 100th capture deletes older ones). */
export const CAPTURE_ROWS_KEPT = 1000;

const functionName = (taskId: string): string => `_pg_dts.ddl_capture_${taskId}`;
const recorderName = (taskId: string): string => `_pg_dts.ddl_record_${taskId}`;
const triggerNames = (taskId: string): [string, string, string] => [`dts_ddl_${taskId}`, `dts_drop_${taskId}`, `dts_ixs_${taskId}`];
/** The session setting where a DROP INDEX's ddl_command_start leaves the tables of the indexes it may drop. */
const indexTablesSetting = (taskId: string): string => `pg_dts.ix${createHash('md5').update(taskId).digest('hex').slice(0, 24)}`;

export interface CaptureSettings {
  taskId: string;
  publication: string;
  /** Schemas selected whole, with the tables excluded from them: a table created there is adopted. */
  adopt: { schema: string; exclude: string[] }[];
  /**
   * Selected partitioned tables whose partitions are published one by one (sources before 13, which
   * cannot publish through the root): a partition created or attached below them joins the publication
   * in the same transaction, before its first row.
   */
  leafPublishedRoots?: { schema: string; name: string }[];
}

/**
 * A table's constraints and indexes on the source right after the statement (on the table's object, or on
 * an index's: its table's). Absent from rows captured before pg-dts recorded it.
 */
export interface SourceNames {
  /** contype: c, f, p, u, x, n, t; columns: conkey's names. */
  constraints: { name: string; type: string; columns: string[] }[];
  /** Indexes not behind a constraint; columns: the key and INCLUDE columns, '' for an expression. */
  indexes: { name: string; columns: string[] }[];
}

/** What the recorder writes (JSON in the capture table's row). */
export interface CapturedDdl {
  query: string;
  tag: string;
  /** Firings of this tag so far in the same client message (0-based): which statement of `query` fired. */
  ordinal: number;
  /** The capturing session's current_schemas(false): existing schemas, "$user" expanded. */
  searchPath: string[];
  role: string;
  /** The DDL ran below the top level (inside a function, procedure or DO block). */
  nested?: boolean;
  /** `table`: the table of an index, or the table owning a sequence (OWNED BY). */
  objects: { type: string; schema: string | null; identity: string; inExtension?: boolean; table?: { schema: string; name: string }; names?: SourceNames }[];
  /** sql_drop: objects dropped by the statement; `table`: the table a dropped index was on (DROP INDEX). */
  dropped?: { type: string; schema: string | null; name: string | null; identity: string; table?: { schema: string; name: string } }[];
  /** Set when the recorder failed: the statement ran on the source but could not be captured. */
  captureError?: string;
  /**
   * The recorder was called with a tag none of the commands collected so far carries: not the event trigger
   * of a finished statement (e.g. a function calling the recorder in the middle of a statement). Never replayed.
   */
  unverified?: boolean;
}

function adoptionSql(s: CaptureSettings): string {
  // A new partition of a table the task publishes (its rows are published through the root) gets the
  // TRUNCATE trigger of partition-truncate.ts, when the task has installed that function.
  const partition = `
      IF cmd.command_tag = 'CREATE TABLE' AND cmd.object_type = 'table'
         AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = cmd.objid AND c.relispartition AND c.relkind = 'r')
         AND to_regprocedure(${literal(`${truncateFunctionName(s.taskId)}()`)}) IS NOT NULL
         AND EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                      WHERE p.pubname = ${literal(s.publication)} AND pr.prrelid = ${partitionRootSql('cmd.objid')}) THEN
        PERFORM set_config('pg_dts.capturing', 'on', true);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION %s()', ${literal(truncateTriggerName(s.taskId))}, cmd.object_identity, ${literal(truncateFunctionName(s.taskId))});
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', cmd.object_identity, ${literal(truncateTriggerName(s.taskId))});
        PERFORM set_config('pg_dts.capturing', 'off', true);
      END IF;`;
  if (!s.adopt.length) return partition;
  const cases = s.adopt
    .map((a) => `(cmd.schema_name = ${literal(a.schema)}${a.exclude.length ? ` AND (parse_ident(cmd.object_identity))[2] NOT IN (${a.exclude.map(literal).join(', ')})` : ''})`)
    .join(' OR ');
  // A partition DETACHed in a schema the task selects whole becomes a table of its own there: published in
  // the detaching transaction, so its later rows are streamed (the destination's copy has its rows up to
  // the DETACH already, applied through the root). Only a table the query names can have been detached.
  const detachedCases = s.adopt
    .map((a) => `(n.nspname = ${literal(a.schema)}${a.exclude.length ? ` AND c.relname NOT IN (${a.exclude.map(literal).join(', ')})` : ''})`)
    .join(' OR ');
  const detached = `
      IF cmd.command_tag = 'ALTER TABLE' AND cmd.object_type = 'table' AND strpos(upper(current_query()), 'DETACH') > 0 THEN
        PERFORM set_config('pg_dts.capturing', 'on', true);
        FOR detached IN SELECT c.oid::regclass::text AS identity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE (${detachedCases}) AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p'
                           AND strpos(lower(current_query()), lower(c.relname)) > 0
                           AND NOT EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                                            WHERE p.pubname = ${literal(s.publication)} AND pr.prrelid = c.oid) LOOP
          EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL', detached.identity);
          EXECUTE format('ALTER PUBLICATION %I ADD TABLE %s', ${literal(s.publication)}, detached.identity);
        END LOOP;
        PERFORM set_config('pg_dts.capturing', 'off', true);
      END IF;`;
  // A partition is published through its root, not adopted as a table of its own.
  return `${partition}${detached}${leafPublication(s)}
      IF cmd.command_tag = 'CREATE TABLE' AND cmd.object_type = 'table' AND (${cases})
         AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = cmd.objid AND c.relispartition) THEN
        PERFORM set_config('pg_dts.capturing', 'on', true);
        EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL', cmd.object_identity);
        EXECUTE format('ALTER PUBLICATION %I ADD TABLE %s', ${literal(s.publication)}, cmd.object_identity);
        PERFORM set_config('pg_dts.capturing', 'off', true);
      END IF;`;
}

/** Sources before 13: every leaf below a selected partitioned table is in the publication after a CREATE/ALTER TABLE. */
function leafPublication(s: CaptureSettings): string {
  if (!s.leafPublishedRoots?.length) return '';
  const roots = s.leafPublishedRoots.map((r) => literal(`${ident(r.schema)}.${ident(r.name)}`)).join(', ');
  return `
      IF cmd.command_tag IN ('CREATE TABLE', 'ALTER TABLE') AND cmd.object_type = 'table' THEN
        FOR leaf IN SELECT t.relid::text AS identity FROM unnest(ARRAY[${roots}]::text[]) r(name), LATERAL ${partitionTreeSql('to_regclass(r.name)')} t
                     WHERE t.isleaf AND NOT EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                                                     WHERE p.pubname = ${literal(s.publication)} AND pr.prrelid = t.relid) LOOP
          PERFORM set_config('pg_dts.capturing', 'on', true);
          EXECUTE format('ALTER PUBLICATION %I ADD TABLE %s', ${literal(s.publication)}, leaf.identity);
          PERFORM set_config('pg_dts.capturing', 'off', true);
        END LOOP;
      END IF;`;
}

/**
 * `{names: {constraints: [{name, type, columns}], indexes: [{name, columns}]}}` of table `oid`: every
 * constraint (contype, its columns) and every index that does not carry a constraint (its key columns,
 * '' for an expression), oldest first.
 */
function tableNamesSql(oid: string): string {
  const columns = (rel: string, keys: string) => `(SELECT coalesce(jsonb_agg(coalesce(a.attname::text, '') ORDER BY k.ord), '[]') FROM unnest(${keys}) WITH ORDINALITY k(attnum, ord)
                    LEFT JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.attnum AND k.attnum > 0)`;
  return `jsonb_build_object('names', jsonb_build_object(
          'constraints', (SELECT coalesce(jsonb_agg(jsonb_build_object('name', con.conname, 'type', con.contype, 'columns', ${columns('con.conrelid', 'con.conkey')}) ORDER BY con.oid), '[]')
                            FROM pg_constraint con WHERE con.conrelid = (${oid})),
          'indexes', (SELECT coalesce(jsonb_agg(jsonb_build_object('name', ic.relname, 'columns', ${columns('i.indrelid', 'i.indkey::int2[]')}) ORDER BY ic.oid), '[]')
                        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                       WHERE i.indrelid = (${oid}) AND NOT EXISTS (SELECT 1 FROM pg_constraint c2 WHERE c2.conindid = i.indexrelid
                                                                 AND c2.conrelid = i.indrelid AND c2.contype IN ('p', 'u', 'x')))))`;
}

/**
 * Two functions: the trigger function runs as the user who ran the DDL and only passes on what depends on
 * that session (search_path, session_replication_role); the recorder is SECURITY DEFINER with a fixed
 * search_path (a caller's search_path must never choose what a superuser function calls), reads everything
 * else itself and is the only writer of the capture table. Called directly, outside an event trigger, the
 * recorder fails; called from inside a statement (a function in a CREATE TABLE AS), the tag it is given is
 * not among the commands the event trigger state has collected, and the row is marked unverified.
 */
function functionSql(s: CaptureSettings, owner: string): string[] {
  const recorder = `
CREATE OR REPLACE FUNCTION ${recorderName(s.taskId)}(event text, tag text, path text[], role text, nested boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $pgdts$
DECLARE
  cmd record;
  detached record;
  leaf record;
  objs jsonb := '[]';
  dropped jsonb := '[]';
  tags text[] := '{}';
  counter text;
  n int;
  newid bigint;
BEGIN
  IF event = 'ddl_command_start' THEN
    -- DROP INDEX (the only tag this trigger fires for): once dropped, the catalog no longer says which table
    -- an index was on, and the destination needs it (is the table synced, where is it). Remember the table
    -- of every index the query may name (its name appears in the query); sql_drop reads it back. A session
    -- setting, not a transaction-local one: DROP INDEX CONCURRENTLY fires sql_drop in a later transaction.
    PERFORM set_config(${literal(indexTablesSetting(s.taskId))}, coalesce((
      SELECT jsonb_object_agg(i.indexrelid::text, jsonb_build_object('schema', tn.nspname, 'name', t.relname))
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
       WHERE strpos(lower(current_query()), lower(ic.relname)) > 0), '{}')::text, false);
    RETURN;
  END IF;
  IF event = 'sql_drop' THEN
    FOR cmd IN SELECT * FROM pg_event_trigger_dropped_objects() WHERE original LOOP
      dropped := dropped || (jsonb_build_object('type', cmd.object_type, 'schema', cmd.schema_name, 'name', cmd.object_name, 'identity', cmd.object_identity)
        || CASE WHEN cmd.object_type = 'index' AND tag = 'DROP INDEX'
                THEN jsonb_strip_nulls(jsonb_build_object('table', nullif(current_setting(${literal(indexTablesSetting(s.taskId))}, true), '')::jsonb -> cmd.objid::text))
                ELSE '{}' END);
    END LOOP;
    IF tag = 'DROP INDEX' THEN PERFORM set_config(${literal(indexTablesSetting(s.taskId))}, '', false); END IF;
    tags := ARRAY[tag];
  ELSE
    FOR cmd IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP  -- ddl_command_end
      objs := objs || (jsonb_build_object('type', cmd.object_type, 'schema', cmd.schema_name, 'identity', cmd.object_identity, 'inExtension', cmd.in_extension)
        -- The table of an index (ALTER INDEX, COMMENT ON INDEX) or owning a sequence (OWNED BY): the
        -- destination needs it to know whether the object belongs to a synced table.
        || coalesce((SELECT jsonb_build_object('table', jsonb_build_object('schema', n.nspname, 'name', c.relname))
                       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE cmd.classid = 'pg_class'::regclass AND c.oid = CASE cmd.object_type
                        WHEN 'index' THEN (SELECT indrelid FROM pg_index WHERE indexrelid = cmd.objid)
                        WHEN 'sequence' THEN (SELECT refobjid FROM pg_depend WHERE classid = 'pg_class'::regclass AND objid = cmd.objid
                                                AND refclassid = 'pg_class'::regclass AND deptype IN ('a', 'i') AND refobjsubid > 0 LIMIT 1) END), '{}')
        -- The names of the table's constraints and indexes (keep-names.ts): PostgreSQL names an unnamed
        -- one after the table and columns, which the destination may call differently.
        || CASE WHEN cmd.classid = 'pg_class'::regclass AND (cmd.object_type = 'table' OR (cmd.object_type = 'index' AND tag = 'CREATE INDEX'))
                THEN ${tableNamesSql("CASE cmd.object_type WHEN 'table' THEN cmd.objid ELSE (SELECT indrelid FROM pg_index WHERE indexrelid = cmd.objid) END")}
                ELSE '{}' END);
      tags := tags || cmd.command_tag;
      ${adoptionSql(s)}
    END LOOP;
  END IF;
  -- Which statement of a multi-statement query string fired: count top-level firings per tag within one
  -- client message (statement_timestamp() is the arrival of that message), in a transaction-local
  -- setting, one per task (each task's trigger counts for itself). Nested DDL (in a function) is not a
  -- statement of the query: it does not count. A DROP counts
  -- at its ddl_command_end (always fired, after sql_drop; sql_drop is not fired when IF EXISTS found
  -- nothing), so its sql_drop firing reads the number its statement is about to take.
  counter := 'pg_dts.n' || left(md5(${literal(s.taskId)} || current_query() || statement_timestamp()::text || tag), 24);
  n := coalesce(nullif(current_setting(counter, true), '')::int, -1) + 1;
  IF event = 'drop_end' THEN
    PERFORM set_config(counter, n::text, true);
    RETURN;
  END IF;
  IF NOT nested AND event <> 'sql_drop' THEN PERFORM set_config(counter, n::text, true); END IF;
  INSERT INTO ${ddlLogTableSql(s.taskId)} (captured) VALUES (jsonb_build_object(
    'query', current_query(), 'tag', tag, 'ordinal', n, 'searchPath', path, 'role', role, 'nested', nested,
    'objects', objs, 'dropped', dropped, 'unverified', NOT (tag = ANY (tags)))::text) RETURNING id INTO newid;
  -- The stream reads the rows from the WAL, not from the table: the table only keeps the latest ones, for
  -- a person looking into what was captured.
  IF newid % 100 = 0 THEN DELETE FROM ${ddlLogTableSql(s.taskId)} WHERE id <= newid - ${CAPTURE_ROWS_KEPT}; END IF;
END
$pgdts$`;
  const trigger = `
CREATE OR REPLACE FUNCTION ${functionName(s.taskId)}() RETURNS event_trigger LANGUAGE plpgsql AS $pgdts$
DECLARE
  stack text;
BEGIN
  -- The recorder's own ALTERs (adoption) and pg-dts's own setup are not the application's DDL. Any session
  -- can set the flag, so it counts only for the task's own role (the recorder runs as that role too).
  IF pg_catalog.current_setting('pg_dts.capturing', true) = 'on'
     AND ${literal(owner)} IN (pg_catalog.session_user(), pg_catalog.current_user()) THEN RETURN; END IF;
  -- sql_drop also fires for what an ALTER TABLE drops (a default, a column): its ddl_command_end reports it.
  IF TG_EVENT = 'sql_drop' AND TG_TAG NOT LIKE 'DROP %' THEN RETURN; END IF;
  -- More than this function's own frame on the stack: the DDL ran inside a function, procedure or DO block.
  GET DIAGNOSTICS stack = PG_CONTEXT;
  BEGIN
    PERFORM ${recorderName(s.taskId)}(
      CASE WHEN TG_EVENT = 'ddl_command_end' AND TG_TAG LIKE 'DROP %' THEN 'drop_end' ELSE TG_EVENT END,
      TG_TAG, pg_catalog.current_schemas(false),
      pg_catalog.current_setting('session_replication_role'), pg_catalog.strpos(stack, E'\n') > 0);
  EXCEPTION WHEN OTHERS THEN
    -- Never make the application's DDL fail because of replication: say so here, and in the stream (a
    -- message anyone could also send: the stream only ever reports it as a refusal, never replays it).
    RAISE WARNING 'pg-dts task ${s.taskId} could not capture this DDL for replication: %', SQLERRM;
    PERFORM pg_catalog.pg_logical_emit_message(true, ${literal(ddlMessagePrefix(s.taskId))},
      pg_catalog.json_build_object('tag', TG_TAG, 'captureError', SQLERRM, 'query', pg_catalog.current_query())::text);
  END;
END
$pgdts$`;
  return [recorder, trigger];
}

/** Installs (or refreshes, e.g. after modifyObjects) the task's capture. Idempotent. */
export async function installDdlCapture(db: ClientBase, s: CaptureSettings): Promise<void> {
  const [onEnd, onDrop, onIndexDrop] = triggerNames(s.taskId);
  await db.query('BEGIN');
  try {
    await db.query(`SELECT pg_advisory_xact_lock(hashtext('pg-dts ddl capture'))`);
    await db.query('CREATE SCHEMA IF NOT EXISTS _pg_dts');
    // Every role's DDL runs the trigger function, which calls the recorder in this schema.
    await db.query('GRANT USAGE ON SCHEMA _pg_dts TO PUBLIC');
    // Only its owner writes the capture table (through the recorder); nobody else may even read it.
    await db.query(`CREATE TABLE IF NOT EXISTS ${ddlLogTableSql(s.taskId)} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, captured text NOT NULL)`);
    await db.query(`REVOKE ALL ON ${ddlLogTableSql(s.taskId)} FROM PUBLIC`);
    await addToPublication(db, s.publication, ddlLogTable(s.taskId));
    const owner = (await db.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
    for (const sql of functionSql(s, owner)) await db.query(sql);
    // The third trigger fires only before DROP INDEX (see the recorder); tasks set up before it get it here.
    for (const [name, event] of [[onEnd, 'ddl_command_end'], [onDrop, 'sql_drop'], [onIndexDrop, `ddl_command_start WHEN TAG IN ('DROP INDEX')`]] as const) {
      const exists = await db.query('SELECT 1 FROM pg_event_trigger WHERE evtname = $1', [name]);
      if (!exists.rowCount) await db.query(`CREATE EVENT TRIGGER ${ident(name)} ON ${event} EXECUTE FUNCTION ${functionName(s.taskId)}()`);
      await db.query(`ALTER EVENT TRIGGER ${ident(name)} ENABLE ALWAYS`);
    }
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Removes the task's triggers and function; the helper schema goes when no other task uses it. */
export async function removeDdlCapture(db: ClientBase, taskId: string): Promise<void> {
  for (const name of triggerNames(taskId)) await db.query(`DROP EVENT TRIGGER IF EXISTS ${ident(name)}`);
  await db.query(`DROP FUNCTION IF EXISTS ${functionName(taskId)}()`);
  await db.query(`DROP FUNCTION IF EXISTS ${recorderName(taskId)}(text, text, text[], text, boolean)`);
  await removePartitionTruncateCapture(db, taskId);
  await db.query(`DROP TABLE IF EXISTS ${ddlLogTableSql(taskId)}`);
  const left = await db.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '_pg_dts'
                               UNION ALL SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = '_pg_dts'`);
  if (!left.rowCount) await db.query('DROP SCHEMA IF EXISTS _pg_dts');
}

/** The capture row's content (the insert's `captured` column). */
export function parseCapturedRow(text: string | null | undefined): CapturedDdl | null {
  if (typeof text !== 'string') return null;
  try {
    return JSON.parse(text) as CapturedDdl;
  } catch {
    return null;
  }
}

/**
 * A logical message that claims to be this task's DDL. Messages are never replayed (anyone can send one);
 * the only one the trigger itself sends reports that capturing failed, which the stream turns into a
 * visible refusal. Returns that report, `forged` for anything else with the task's prefix, or null.
 */
export function parseCaptureFailure(prefix: string, msg: { prefix: string; content: Uint8Array; transactional: boolean }): CapturedDdl | 'forged' | null {
  if (msg.prefix !== prefix) return null;
  try {
    const body = JSON.parse(Buffer.from(msg.content).toString('utf8')) as Partial<CapturedDdl>;
    const keys = Object.keys(body).sort().join(',');
    if (msg.transactional && keys === 'captureError,query,tag' && typeof body.captureError === 'string') {
      return { query: String(body.query), tag: String(body.tag), captureError: body.captureError, ordinal: 0, searchPath: [], role: 'origin', objects: [] };
    }
  } catch {
    // not JSON: forged
  }
  return 'forged';
}

/** Whether the task captures DDL on this source (its event triggers exist). */
export async function captureInstalled(db: ClientBase, taskId: string): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM pg_event_trigger WHERE evtname = $1', [triggerNames(taskId)[0]]);
  return (r.rowCount ?? 0) > 0;
}

/** Whether the task's capture predates the capture table (messages): a stream upgrades it before it starts. */
export async function captureNeedsUpgrade(db: ClientBase, taskId: string): Promise<boolean> {
  const { rows } = await db.query<{ triggers: boolean; table: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = $1) AS triggers, to_regclass($2) IS NOT NULL AS table`,
    [triggerNames(taskId)[0], ddlLogTableSql(taskId)],
  );
  return rows[0]!.triggers && !rows[0]!.table;
}

async function addToPublication(db: ClientBase, publication: string, table: { schema: string; name: string }): Promise<void> {
  const member = await db.query(
    `SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3`,
    [publication, table.schema, table.name],
  );
  if (!member.rowCount) await db.query(`ALTER PUBLICATION ${ident(publication)} ADD TABLE ${ident(table.schema)}.${ident(table.name)}`);
}

/**
 * Whether this source can capture DDL for the stream: event triggers need a superuser. The capture is a
 * published table, not a logical message, so it works on every supported source (11+).
 */
export async function ddlCaptureSupport(db: ClientBase): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { rows } = await db.query<{ sup: boolean }>(
    `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS sup`,
  );
  if (!rows[0]!.sup) return { ok: false, reason: 'event triggers need a superuser on the source' };
  return { ok: true };
}

/** Marks a session's DDL as pg-dts's own (publication, replica identity, capture): no task captures it. */
export async function markOwnDdl(db: ClientBase): Promise<void> {
  await db.query(`SET pg_dts.capturing = 'on'`);
}
