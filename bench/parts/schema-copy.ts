// Copies table definitions (columns, types, NOT NULL, primary key) from the source to the destination:
// what `pg_dump -s -t 'pgbench_*' | psql` does in anchors.sh. pg_dump 15 refuses a 17 server and the
// embedded package has no pg_dump, so the catalog is read with SQL. Defaults are left out on purpose: a
// subscriber never evaluates them (rows arrive complete), and so the destination needs no sequence for
// pgbench_history.hid.
import type { Client } from 'pg';
import { escapeIdentifier } from 'pg';
import { primaryKey } from './tables';

export interface DefinitionOptions {
  /** Default public. */
  schema?: string;
  /**
   * Include the PRIMARY KEY (default true). The raw COPY pipe of the full benchmark creates its tables
   * without it and builds it after the data, as anchors.sh does.
   */
  withKey?: boolean;
}

export async function tableDefinition(src: Client, table: string, opts: DefinitionOptions = {}): Promise<string> {
  const schema = opts.schema ?? 'public';
  const name = `${escapeIdentifier(schema)}.${escapeIdentifier(table)}`;
  const cols = await src.query<{ attname: string; type: string; attnotnull: boolean }>(
    `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [name],
  );
  const lines = cols.rows.map((c) => `${escapeIdentifier(c.attname)} ${c.type}${c.attnotnull ? ' NOT NULL' : ''}`);
  if (opts.withKey ?? true) {
    const key = await primaryKey(src, table, schema);
    lines.push(`PRIMARY KEY (${key.map(escapeIdentifier).join(', ')})`);
  }
  return `CREATE TABLE ${name} (\n  ${lines.join(',\n  ')}\n)`;
}

export async function copyTableDefinitions(src: Client, dst: Client, tables: readonly string[], opts: DefinitionOptions = {}): Promise<void> {
  for (const table of tables) await dst.query(await tableDefinition(src, table, opts));
}
