// DDL whose result depends on when and where it runs. Replayed on the destination, `ALTER TABLE t ADD COLUMN
// created timestamptz DEFAULT now()` fills every existing row with the destination's clock, `DEFAULT
// gen_random_uuid()` with other random values, `ALTER COLUMN … TYPE … USING <volatile>` likewise, and an
// identity or serial column numbers existing rows in the destination's physical order. Rows written after
// the statement carry their values in the stream, but rows that existed before it do not. The statement is
// still replayed (the destination needs the column), and the table is then copied again from a snapshot
// consistent with the stream (workflows/recopy-table.ts), so it ends with the source's values.
import type { AlterTableCmd, ColumnDef, Constraint, Node } from 'libpg-query';
import type { TableRef } from '../catalog/names';
import { IMMUTABLE_FUNCTIONS } from '../catalog/row-filter';
import { nodeBody } from './parser';

/** A table to copy again, recorded with the DDL that made it necessary (src/stream/recopy-requests.ts). */
export interface RecopyRequest {
  table: TableRef;
  reason: string;
  /** Commit LSN of the source transaction that made the copy necessary. */
  lsn: string;
}

type Json = { [key: string]: unknown };

/** String literals that date/time input turns into the current time when the statement runs. */
const SPECIAL_TIME_INPUT = new Set(['now', 'today', 'tomorrow', 'yesterday']);
const SERIAL_TYPES = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

const funcName = (call: Json): string => {
  const parts = (call.funcname as Json[] | undefined) ?? [];
  return String(((parts.at(-1)?.String as Json | undefined)?.sval) ?? '');
};

/** What in an expression makes its value differ between two evaluations (or two servers), or null. */
export function volatilePart(expr: unknown): string | null {
  let found: string | null = null;
  const visit = (value: unknown): void => {
    if (found || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach(visit);
    for (const [key, body] of Object.entries(value as Json)) {
      if (key === 'FuncCall') {
        const fn = funcName(body as Json);
        const parts = ((body as Json).funcname as Json[]).map((n) => String((n.String as Json | undefined)?.sval ?? ''));
        const builtin = parts.length === 1 || (parts.length === 2 && parts[0] === 'pg_catalog');
        if (!builtin || !IMMUTABLE_FUNCTIONS.has(fn)) found = `${fn}()`;
      } else if (key === 'SQLValueFunction') {
        found = String((body as Json).op ?? 'SQLValueFunction').replace(/^SVFOP_/, '').toLowerCase();
      } else if (key === 'SubLink') {
        found = 'a subquery';
      } else if (key === 'A_Const') {
        const s = ((body as Json).sval as Json | undefined)?.sval;
        if (typeof s === 'string' && SPECIAL_TIME_INPUT.has(s.trim().toLowerCase())) found = `'${s}'`;
      }
      if (found) return;
      visit(body);
    }
  };
  visit(expr);
  return found;
}

/** Why replaying ADD COLUMN `def` cannot give existing rows the source's values, or null. */
function addedColumnReason(def: ColumnDef): string | null {
  const typeName = ((def.typeName?.names ?? []) as Node[]).map((n) => nodeBody<{ sval?: string }>(n).sval ?? '');
  if (typeName.length === 1 && SERIAL_TYPES.has(typeName[0]!)) return `column ${def.colname} is ${typeName[0]}: existing rows are numbered in each server's physical order`;
  for (const c of def.constraints ?? []) {
    const con = nodeBody<Constraint>(c);
    if (con.contype === 'CONSTR_IDENTITY') return `column ${def.colname} is an identity column: existing rows are numbered in each server's physical order`;
    if (con.contype === 'CONSTR_DEFAULT') {
      const part = volatilePart(con.raw_expr);
      if (part) return `the DEFAULT of column ${def.colname} calls ${part}: existing rows would get the destination's values`;
    }
  }
  return null;
}

/** Why one ALTER TABLE subcommand needs the table copied again after it is replayed, or null. */
export function recopyReason(cmd: AlterTableCmd): string | null {
  const subtype = String(cmd.subtype);
  if (subtype === 'AT_AddColumn') return addedColumnReason(nodeBody<ColumnDef>(cmd.def));
  if (subtype === 'AT_AlterColumnType') {
    const part = volatilePart(nodeBody<ColumnDef>(cmd.def).raw_default);
    return part ? `the USING expression of ALTER COLUMN ${cmd.name} TYPE calls ${part}: existing rows would get the destination's values` : null;
  }
  return null;
}
