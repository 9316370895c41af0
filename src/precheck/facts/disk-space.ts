// Free space on the destination's disk, measured from inside PostgreSQL: the only window a client has
// onto the server's file system is `COPY ... FROM PROGRAM`, which needs superuser or
// pg_execute_server_program. The output of `df -Pk` lands in a temporary table inside a transaction
// that is rolled back, so not even the session keeps anything. It runs a program on the database host,
// so only when the spec asks for it (`precheck.diskSpaceProbe: true`); otherwise it is not attempted.
import type { ClientBase } from 'pg';
import { literal } from '../../util/sql';
import type { SpaceFacts } from './types';

/**
 * Parses `df -Pk` output: a header, then one line per file system:
 * "Filesystem 1024-blocks Used Available Capacity Mounted on". Read from the numbers, so a file system
 * name with spaces does not shift the fields.
 */
export function parseDfOutput(lines: string[]): { freeBytes: number; mount: string } | null {
  for (const line of lines.slice(1)) {
    const m = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+(.+)$/.exec(line.trim());
    if (m) return { freeBytes: Number(m[4]) * 1024, mount: m[6]! };
  }
  return null;
}

/**
 * The space facts' reason when the probe did not run because the spec did not ask for it
 * (`precheck.diskSpaceProbe`: running a program on the database host is opt-in).
 */
export const SPACE_NOT_PROBED = 'not probed ("precheck.diskSpaceProbe" is off)';

/** A single-quoted POSIX shell word. */
const shellWord = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export async function measureFreeSpace(db: ClientBase): Promise<SpaceFacts> {
  const { rows } = await db.query(
    `SELECT r.rolsuper OR (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pg_execute_server_program')
                           AND pg_has_role('pg_execute_server_program', 'MEMBER')) AS may_run,
            (SELECT pg_tablespace_location(d.dattablespace) FROM pg_database d WHERE d.datname = current_database()) AS location
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  if (!rows[0].may_run) {
    return {
      measured: false,
      reason: `the destination user may not run COPY ... FROM PROGRAM (needs superuser or pg_execute_server_program)`,
    };
  }
  // A server process's working directory is the data directory: "." is where the default tablespace lives.
  const path: string = rows[0].location || '.';
  try {
    await db.query('BEGIN');
    await db.query('CREATE TEMP TABLE pg_dts_precheck_df (line text) ON COMMIT DROP');
    await db.query(`COPY pg_dts_precheck_df FROM PROGRAM ${literal(`df -Pk ${shellWord(path)}`)}`);
    const out = await db.query<{ line: string }>('SELECT line FROM pg_dts_precheck_df');
    const parsed = parseDfOutput(out.rows.map((r) => r.line));
    return parsed ? { measured: true, ...parsed } : { measured: false, reason: `cannot read the output of df -Pk on the destination server` };
  } catch (err) {
    return { measured: false, reason: `df -Pk on the destination server failed: ${(err as Error).message}` };
  } finally {
    await db.query('ROLLBACK').catch(() => undefined);
  }
}
