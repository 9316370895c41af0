// Evaluates row filters on the SOURCE server for sources without publication row filters (before 15).
//
// Exact: the full sync copies `WHERE (<filter>)` on the source; here the same text is evaluated by the
// same server, as the same user, over the values the stream decoded, each parsed back with the source
// column's own type (the relation message's type OID and modifier, printed by the source's format_type).
// The text a source prints for a value reads back as the same value there (the stream's session and this
// one have the same user, database and so the same date and interval styles); collations, operators and
// function overloads are the source's own, whatever the destination runs. All rows of a table in a batch
// go in one statement (one text[] parameter per column the filter reads), so a batch costs one round trip.
import type { Client, ClientConfig } from 'pg';
import { loadRowFilterParser, parseRowFilter, RowFilterError } from '../catalog/row-filter';
import { connect } from '../conn/connect';
import type { RelationRowFilter } from '../apply/row-filter-decision';
import { textArrayLiteral } from '../apply/set-statements';
import type { Row } from '../apply/statements';
import { ident } from '../util/sql';

interface Prepared {
  name: string;
  text: string;
  columns: string[];
}

export class SourceRowFilter {
  private db: Promise<Client> | null = null;
  private readonly statements = new Map<string, Prepared>();

  constructor(private readonly source: ClientConfig) {}

  /** Whether each row matches (NULL is not a match, as in WHERE). */
  readonly evaluate = async (filter: RelationRowFilter, rows: Row[]): Promise<boolean[]> => {
    if (rows.length === 0) return [];
    const db = await this.session();
    const stmt = await this.statement(db, filter);
    const values = [`{${rows.map((_, i) => i + 1).join(',')}}`, ...stmt.columns.map((c) => textArrayLiteral(rows.map((r) => r[c])))];
    const { rows: out } = await db.query<{ m: boolean }>({ name: stmt.name, text: stmt.text, values });
    return out.map((r) => r.m);
  };

  async close(): Promise<void> {
    const db = this.db;
    this.db = null;
    if (db) await (await db.catch(() => null))?.end().catch(() => undefined);
  }

  private session(): Promise<Client> {
    this.db ??= connect(this.source).then(async (c) => {
      // Only reads; nothing in this session changes the source.
      await c.query('SET default_transaction_read_only = on');
      return c;
    });
    this.db.catch(() => (this.db = null));
    return this.db;
  }

  /** One prepared statement per filter and column types: `SELECT (<filter>) IS TRUE` over unnested rows. */
  private async statement(db: Client, filter: RelationRowFilter): Promise<Prepared> {
    const key = JSON.stringify([filter.where, filter.columns]);
    const known = this.statements.get(key);
    if (known) return known;
    await loadRowFilterParser();
    const verdict = parseRowFilter(filter.where, filter.columns.map((c) => c.name));
    if (!verdict.ok) throw new RowFilterError(filter.source, verdict.reason);
    const used = filter.columns.filter((c) => verdict.columns.includes(c.name));
    const { rows: types } = await db.query<{ type: string }>(
      'SELECT format_type(t.o, t.m) AS type FROM unnest($1::oid[], $2::int4[]) WITH ORDINALITY AS t(o, m, n) ORDER BY t.n',
      [used.map((c) => c.typeOid), used.map((c) => c.typeMod)],
    );
    // The row number needs a name no column of the table has: the filter must see only the row's columns.
    const names = new Set(filter.columns.map((c) => c.name));
    let ord = 'pg_dts_row';
    while (names.has(ord)) ord += '_';
    const params = used.map((_, i) => `$${i + 2}::text[]`);
    const casts = used.map((c, i) => `v.a${i + 1}::${types[i]!.type} AS ${ident(c.name)}`);
    const text =
      `SELECT (${filter.where}) IS TRUE AS m FROM (SELECT ${[`v.n AS ${ident(ord)}`, ...casts].join(', ')} ` +
      `FROM unnest(${['$1::int4[]', ...params].join(', ')}) AS v(${['n', ...used.map((_, i) => `a${i + 1}`)].join(', ')})) AS t ORDER BY t.${ident(ord)}`;
    const prepared = { name: `pgdts_rf_${this.statements.size + 1}`, text, columns: used.map((c) => c.name) };
    this.statements.set(key, prepared);
    return prepared;
  }
}
