// Row values as the applier holds them, and the statements that are not row changes. Values travel as
// the text the source printed, so every type round-trips without a JavaScript conversion in between.
import type { TableRef } from '../catalog/names';
import { qualified } from '../util/sql';

/** A decoded tuple; `undefined` marks an unchanged TOAST value that must not be overwritten. */
export type Row = Record<string, string | null | undefined>;

export interface Statement {
  text: string;
  values: (string | null)[];
}

export function truncateStatement(targets: TableRef[], restartIdentity: boolean): Statement {
  return { text: `TRUNCATE ${targets.map(qualified).join(', ')}${restartIdentity ? ' RESTART IDENTITY' : ''}`, values: [] };
}
