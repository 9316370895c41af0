// CREATE / ALTER / DROP SEQUENCE of the task's sequences (schema-objects.ts). Only the object travels:
// positions are synced separately (src/schema/sequences.ts). OWNED BY a synced table maps the table and
// column; OWNED BY a table or column the destination does not have is left out (and reported).
import type { AlterSeqStmt, CreateSeqStmt, DefElem, DropStmt, Node, RangeVar, TypeName } from 'libpg-query';
import { applyTree, existingTableProblem, skip, type BehaviorCheck } from './decision';
import { scopeOf, type NameMapper } from './mapping';
import { nodeBody, nodeType, stringList, stringNode } from './parser';
import { qualifiedList, resolveSchemaObject, schemaObjectProblem, schemaObjectTarget, translateDropOf, type DropTarget } from './schema-objects';
import type { DdlContext, DdlDecision, DroppedPart } from './types';

const rangeVarParts = (rv: RangeVar): string[] => (rv.schemaname ? [rv.schemaname, rv.relname!] : [rv.relname!]);

/** Maps the options in place; OWNED BY something not synced is removed and reported. */
function mapOptions(options: Node[] | undefined, ctx: DdlContext, names: NameMapper, dropped: DroppedPart[]): Node[] | undefined {
  if (!options) return options;
  const kept: Node[] = [];
  for (const o of options) {
    const def = nodeBody<DefElem>(o);
    if (def.defname === 'as') names.typeName(nodeBody<TypeName>(def.arg));
    if (def.defname === 'owned_by') {
      const parts = stringList(nodeBody<{ items?: Node[] }>(def.arg).items);
      if (parts.length === 1 && parts[0] === 'none') {
        kept.push(o);
        continue;
      }
      const column = parts[parts.length - 1]!;
      const written = parts.slice(0, -1);
      const table = ctx.resolveTable(written.length > 1 ? { schema: written[0]!, name: written[1]! } : { name: written[0]! });
      const problem = existingTableProblem(ctx, table, written.join('.'));
      if (problem) {
        dropped.push({ reason: 'outside-selection', detail: `OWNED BY ${parts.join('.')}: ${problem.detail}` });
        continue;
      }
      const scope = scopeOf(ctx.mapping, table!);
      const mapped = scope.column(column);
      if (mapped === null) {
        dropped.push({ reason: 'excluded-column', detail: `OWNED BY ${parts.join('.')}: the column is in excludeColumns, not on the destination` });
        continue;
      }
      def.arg = { List: { items: [scope.target.schema, scope.target.name, mapped].map(stringNode) } } as Node;
    }
    kept.push(o);
  }
  return kept.length ? kept : undefined;
}

function createOrAlter(kind: 'CreateSeqStmt' | 'AlterSeqStmt', stmt: CreateSeqStmt | AlterSeqStmt, ctx: DdlContext, names: NameMapper): DdlDecision {
  const rv = stmt.sequence!;
  const verb = kind === 'CreateSeqStmt' ? 'CREATE' : 'ALTER';
  if (rv.relpersistence === 't') return skip('unsupported', `${verb} TEMPORARY SEQUENCE is not replicated (session-local)`);
  const parts = rangeVarParts(rv);
  const source = resolveSchemaObject(ctx, 'sequence', parts);
  if (kind === 'AlterSeqStmt' && !ctx.resolveObject?.('sequence', rv.schemaname ? { schema: rv.schemaname, name: rv.relname! } : { name: rv.relname! })) {
    return skip('outside-selection', `ALTER SEQUENCE ${parts.join('.')}: the source altered no sequence of that name`);
  }
  const problem = schemaObjectProblem(ctx, 'sequence', source, parts.join('.'));
  if (problem) return skip(problem.reason, problem.detail);
  const dropped: DroppedPart[] = [];
  const options = mapOptions(stmt.options, ctx, names, dropped);
  if (options) stmt.options = options;
  else delete stmt.options;
  if (kind === 'AlterSeqStmt' && !options) return skip(dropped[0]!.reason, dropped.map((d) => d.detail).join('; '));
  const target = schemaObjectTarget(names, source!);
  stmt.sequence = { ...rv, schemaname: target.schema, relname: target.name };
  delete stmt.sequence.catalogname;
  return applyTree(ctx, names, { [kind]: stmt } as unknown as Node, [], dropped);
}

/** DROP SEQUENCE of sequences the source dropped (translateDropOf). */
function dropSequence(stmt: DropStmt, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck): DdlDecision {
  return translateDropOf('sequence', stmt, ctx, names, behavior, (source): DropTarget => {
    const problem = schemaObjectProblem(ctx, 'sequence', source, `${source.schema}.${source.name}`);
    return problem ? { problem } : { kept: qualifiedList(schemaObjectTarget(names, source)) };
  });
}

export function translateSequenceDdl(node: Node, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck): DdlDecision | null {
  const type = nodeType(node);
  if (type === 'CreateSeqStmt' || type === 'AlterSeqStmt') return createOrAlter(type, nodeBody<CreateSeqStmt>(node), ctx, names);
  if (type === 'DropStmt' && nodeBody<DropStmt>(node).removeType === 'OBJECT_SEQUENCE') return dropSequence(nodeBody<DropStmt>(node), ctx, names, behavior);
  return null;
}
