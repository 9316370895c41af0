// Where a replicated non-table object may go: the rules translate-objects.ts and its helpers share.
import { isIdentityMapping, targetSchemaName, targetTableName, type TableRef } from '../catalog/names';
import type { Problem } from './decision';
import type { DdlContext } from './types';

/** The object's schema as written, else where the session would create it. */
export const schemaOf = (ctx: DdlContext, parts: string[]): string | undefined => (parts.length > 1 ? parts[parts.length - 2] : ctx.searchPath[0]);

/** Why an object of `kind` named `schema.name` is not replicated (schema not selected whole, renamed, DDL off), or null. */
export function objectSchemaProblem(ctx: DdlContext, kind: string, schema: string | undefined, name: string, relation: boolean): Problem | null {
  if (!schema) return { reason: 'unsupported', detail: `no schema to create ${kind} ${name} in: the search path is empty` };
  const label = `${kind} ${schema}.${name}`;
  if (!ctx.selectsWholeSchema(schema)) return { reason: 'outside-selection', detail: `${label} is in schema ${schema}, which the task does not select as a whole` };
  if (!ctx.ddlEnabled({ schema, name })) return { reason: 'ddl-disabled', detail: `DDL is disabled ("ddl": false) for schema ${schema}` };
  if (targetSchemaName(ctx.mapping, schema) !== schema) {
    return { reason: 'unsupported', detail: `${label}: schema ${schema} is renamed on the destination, and the definition's text is not rewritten (create it there yourself)` };
  }
  if (relation && targetTableName(ctx.mapping, { schema, name }).name !== name) {
    return { reason: 'unsupported', detail: `${label}: the task's name mapping would give it another name on the destination, and definitions naming it are not rewritten` };
  }
  return null;
}

/** A synced table the object is defined on (trigger, rule, policy): it must keep its name and columns. */
export function ownTableProblem(ctx: DdlContext, written: { schema?: string; name: string }, kind: string): { problem: Problem } | { table: TableRef } {
  const ref = ctx.resolveTable(written);
  const shown = written.schema ? `${written.schema}.${written.name}` : written.name;
  if (!ref) return { problem: { reason: 'outside-selection', detail: `${kind} on ${shown}: not a table the task knows on the source` } };
  if (!ctx.isSelected(ref)) return { problem: { reason: 'outside-selection', detail: `${kind} on ${ref.schema}.${ref.name}: the table is not selected by the task` } };
  if (!ctx.ddlEnabled(ref)) return { problem: { reason: 'ddl-disabled', detail: `DDL is disabled ("ddl": false) for ${ref.schema}.${ref.name}` } };
  const target = targetTableName(ctx.mapping, ref);
  if (target.schema !== ref.schema || target.name !== ref.name || !isIdentityMapping(ctx.mapping, ref)) {
    return { problem: { reason: 'unsupported', detail: `${kind} on ${ref.schema}.${ref.name}: the task renames the table or its columns, and the definition's text is not rewritten (create it on the destination yourself)` } };
  }
  return { table: ref };
}
