// CREATE TYPE (enum, composite), DROP TYPE, ALTER TYPE ... ADD VALUE / RENAME VALUE, for types of schemas
// the task selects whole (schema-objects.ts), under the names the schema phase gave them.
//
// A value added by ADD VALUE cannot be used in the transaction that added it. The source cannot have
// used it in that transaction either (unless the type is new there, which the destination's transaction
// holds too), but the applier groups many source transactions into one destination transaction: the
// decision asks it to commit at the end of this source transaction (commitAfter), so rows of later
// transactions that use the value are written in a new destination transaction.
import type { AlterEnumStmt, CompositeTypeStmt, ColumnDef, CreateEnumStmt, DropStmt, Node, TypeName } from 'libpg-query';
import { applyTree, skip, type BehaviorCheck } from './decision';
import type { NameMapper } from './mapping';
import { nodeBody, nodeType, stringList, stringNode } from './parser';
import { resolveSchemaObject, schemaObjectProblem, schemaObjectTarget, translateDropOf, type DropTarget } from './schema-objects';
import type { DdlContext, DdlDecision } from './types';

/** The task's type a written name stands for, with its destination name; or why it is not replicated. */
function ownType(ctx: DdlContext, names: NameMapper, parts: string[]): { target: [string, string] } | { problem: DdlDecision } {
  const source = resolveSchemaObject(ctx, 'type', parts);
  const problem = schemaObjectProblem(ctx, 'type', source, parts.join('.'));
  if (problem) return { problem: skip(problem.reason, problem.detail) };
  const t = schemaObjectTarget(names, source!);
  return { target: [t.schema, t.name] };
}

function createEnum(stmt: CreateEnumStmt, ctx: DdlContext, names: NameMapper): DdlDecision {
  const own = ownType(ctx, names, stringList(stmt.typeName));
  if ('problem' in own) return own.problem;
  stmt.typeName = own.target.map(stringNode);
  return applyTree(ctx, names, { CreateEnumStmt: stmt } as Node, []);
}

function createComposite(stmt: CompositeTypeStmt, ctx: DdlContext, names: NameMapper): DdlDecision {
  const rv = stmt.typevar!;
  const own = ownType(ctx, names, rv.schemaname ? [rv.schemaname, rv.relname!] : [rv.relname!]);
  if ('problem' in own) return own.problem;
  stmt.typevar = { ...rv, schemaname: own.target[0], relname: own.target[1] };
  delete stmt.typevar.catalogname;
  for (const c of stmt.coldeflist ?? []) names.typeName(nodeBody<ColumnDef>(c).typeName);
  return applyTree(ctx, names, { CompositeTypeStmt: stmt } as Node, []);
}

function alterEnum(stmt: AlterEnumStmt, ctx: DdlContext, names: NameMapper): DdlDecision {
  const parts = stringList(stmt.typeName);
  if (!ctx.resolveObject?.('type', parts.length > 1 ? { schema: parts[0]!, name: parts[1]! } : { name: parts[0]! })) {
    return skip('outside-selection', `ALTER TYPE ${parts.join('.')}: the source altered no type of that name`);
  }
  const own = ownType(ctx, names, parts);
  if ('problem' in own) return own.problem;
  stmt.typeName = own.target.map(stringNode);
  const decision = applyTree(ctx, names, { AlterEnumStmt: stmt } as Node, []);
  const addsValue = stmt.oldVal === undefined;
  return decision.kind === 'apply' && addsValue ? { ...decision, commitAfter: true } : decision;
}

/** DROP TYPE of types the source dropped (translateDropOf). */
function dropType(stmt: DropStmt, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck): DdlDecision {
  return translateDropOf('type', stmt, ctx, names, behavior, (source, object): DropTarget => {
    const problem = schemaObjectProblem(ctx, 'type', source, `${source.schema}.${source.name}`);
    if (problem) return { problem };
    const t = schemaObjectTarget(names, source);
    return { kept: { TypeName: { ...nodeBody<TypeName>(object), names: [t.schema, t.name].map(stringNode) } } as Node };
  });
}

export function translateTypeDdl(node: Node, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck): DdlDecision | null {
  switch (nodeType(node)) {
    case 'CreateEnumStmt':
      return createEnum(nodeBody<CreateEnumStmt>(node), ctx, names);
    case 'CompositeTypeStmt':
      return createComposite(nodeBody<CompositeTypeStmt>(node), ctx, names);
    case 'AlterEnumStmt':
      return alterEnum(nodeBody<AlterEnumStmt>(node), ctx, names);
    case 'DropStmt':
      if (nodeBody<DropStmt>(node).removeType === 'OBJECT_TYPE') return dropType(nodeBody<DropStmt>(node), ctx, names, behavior);
  }
  return null;
}
