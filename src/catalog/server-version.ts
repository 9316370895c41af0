// The server's version, asked once per session: catalog queries differ by major (columns added later).
import type { ClientBase } from 'pg';

const known = new WeakMap<ClientBase, number>();

/** server_version_num, e.g. 110022 or 170010. */
export async function serverVersionNum(db: ClientBase): Promise<number> {
  const cached = known.get(db);
  if (cached !== undefined) return cached;
  const v = Number((await db.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
  known.set(db, v);
  return v;
}

/** pg_attribute.attgenerated (generated columns) exists from 12 on: before, no column is generated. */
export const attgeneratedSql = (version: number, alias = 'a'): string => (version >= 120000 ? `${alias}.attgenerated` : `''::"char"`);

/** pg_trigger.tgparentid exists from 13 on; before, a partition's clone of a trigger was tgisinternal. */
export const triggerIsOwnSql = (version: number, alias = 't'): string => (version >= 130000 ? `${alias}.tgparentid = 0` : 'true');
