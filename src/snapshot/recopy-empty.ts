// Emptying a destination table before it is copied again. TRUNCATE is refused for a table other tables
// reference by foreign key (even with their checks off), and TRUNCATE … CASCADE would empty those too; the
// referencing rows are still right (the source has them), so such a table is emptied row by row with
// foreign-key triggers off (session_replication_role = replica, as the applier writes).
import type { ClientBase } from 'pg';
import type { TableRef } from '../catalog/names';
import { qualified } from '../util/sql';

export async function emptyForRecopy(db: ClientBase, tables: TableRef[]): Promise<void> {
  for (const table of tables) {
    const { rows } = await db.query<{ referenced: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = $1::regclass AND conrelid <> $1::regclass) AS referenced`,
      [qualified(table)],
    );
    if (!rows[0]!.referenced) {
      await db.query(`TRUNCATE ${qualified(table)}`);
      continue;
    }
    await db.query('BEGIN');
    try {
      await db.query(`SET LOCAL session_replication_role = replica`);
      await db.query(`DELETE FROM ${qualified(table)}`);
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}
