// Sequences and types of a task: the objects of schemas it selects whole (a sequence also when a synced
// table owns it). Their destination names follow the schema phase (NameMapper.objectName).
import type { DropStmt, Node, TypeName } from 'libpg-query';
import type { TableRef } from '../catalog/names';
import { applyTree, skip, type BehaviorCheck, type Problem } from './decision';
import type { NameMapper } from './mapping';
import { nodeBody, nodeType, stringList, stringNode } from './parser';
import type { CapturedObject, DdlContext, DdlDecision, DdlEffect, DroppedPart, ObjectKind } from './types';

export interface SchemaObject {
  source: CapturedObject;
  /** Destination schema and name. */
  target: TableRef;
}

/** The source object a (possibly unqualified) written name stands for: the capture's, else as written / first schema of the search path. */
export function resolveSchemaObject(ctx: DdlContext, kind: ObjectKind, parts: string[]): CapturedObject | null {
  const name = parts[parts.length - 1]!;
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  const captured = ctx.resolveObject?.(kind, schema ? { schema, name } : { name });
  if (captured) return captured;
  const where = schema ?? ctx.searchPath[0];
  return where ? { schema: where, name } : null;
}

/**
 * Is the object the task's (and its DDL enabled)? A type or sequence of a schema selected whole; a sequence
 * may also belong to a synced table (OWNED BY, e.g. a serial column) in a schema selected by table list.
 */
export function schemaObjectProblem(ctx: DdlContext, kind: ObjectKind, source: CapturedObject | null, written: string): Problem | null {
  if (!source) return { reason: 'outside-selection', detail: `${kind} ${written}: not an object the task knows on the source` };
  const label = `${kind} ${source.schema}.${source.name}`;
  if (ctx.selectsWholeSchema(source.schema)) {
    if (!ctx.ddlEnabled({ schema: source.schema, name: source.name })) return { reason: 'ddl-disabled', detail: `DDL is disabled ("ddl": false) for schema ${source.schema} (${label})` };
    return null;
  }
  if (kind === 'sequence' && source.table && ctx.isSelected(source.table)) {
    if (!ctx.ddlEnabled(source.table)) return { reason: 'ddl-disabled', detail: `DDL is disabled ("ddl": false) for ${source.table.schema}.${source.table.name}, which owns ${label}` };
    return null;
  }
  return {
    reason: 'outside-selection',
    detail: `${label} is not in a schema the task selects whole${kind === 'sequence' ? ' and no synced table owns it' : ''}: types and sequences are replicated with their whole schema`,
  };
}

export function schemaObjectTarget(names: NameMapper, source: CapturedObject): TableRef {
  const [schema, name] = names.objectName([source.schema, source.name]);
  return { schema: schema!, name: name! };
}

/** One named object of a DROP: its destination name node, or why the DROP is refused. */
export type DropTarget = { kept: Node; table?: TableRef } | { problem: Problem };

/**
 * DROP of indexes, sequences or types: each name the capture shows dropped is mapped by `each`; a name the
 * source did not have (IF EXISTS) is left out; one object that is not the task's refuses the whole DROP
 * (dropping only some would be a statement the user never ran). IF EXISTS is added: the destination may
 * already lack an object (left out for an excluded column, or gone with its owner).
 */
export function translateDropOf(
  kind: ObjectKind, stmt: DropStmt, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck,
  each: (source: CapturedObject, object: Node) => DropTarget,
): DdlDecision {
  const kept: Node[] = [];
  const dropped: DroppedPart[] = [];
  const tables: TableRef[] = [];
  for (const object of stmt.objects ?? []) {
    const parts = nodeType(object) === 'TypeName' ? stringList(nodeBody<TypeName>(object).names) : stringList(nodeBody<{ items?: Node[] }>(object).items);
    const name = parts[parts.length - 1]!;
    const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
    const source = ctx.resolveObject?.(kind, schema ? { schema, name } : { name }) ?? null;
    if (!source && stmt.missing_ok) {
      dropped.push({ reason: 'outside-selection', detail: `${kind} ${parts.join('.')} did not exist on the source: not dropped on the destination` });
      continue;
    }
    const target: DropTarget = source ? each(source, object) : { problem: { reason: 'outside-selection', detail: `${kind} ${parts.join('.')}: the capture does not show it dropped` } };
    if ('problem' in target) {
      const several = stmt.objects!.length > 1 ? ` (the DROP names several ${kind === 'index' ? 'indexes' : `${kind}s`}: all must be the task's, with DDL enabled)` : '';
      return skip(target.problem.reason, `${target.problem.detail}${several}`);
    }
    kept.push(target.kept);
    if (target.table) tables.push(target.table);
  }
  if (!kept.length) return skip('outside-selection', dropped.map((d) => d.detail).join('; '));
  const written = behavior();
  if (written) return skip(written.reason, written.detail);
  stmt.objects = kept;
  stmt.missing_ok = true;
  delete stmt.concurrent; // DROP INDEX CONCURRENTLY cannot run inside the applier's transaction
  const effects: DdlEffect[] = tables.map((table) => ({ type: 'alter-table', table }));
  return applyTree(ctx, names, { DropStmt: stmt } as Node, effects, dropped);
}

export const qualifiedList = (t: TableRef): Node => ({ List: { items: [stringNode(t.schema), stringNode(t.name)] } }) as Node;
