// DROP TABLE: replicated when every table it names is selected and has DDL enabled (one DROP is one
// decision: dropping only some of its tables would be a statement the user never ran).
import type { DropStmt, Node } from 'libpg-query';
import { targetTableName, type TableRef } from '../catalog/names';
import { applyTree, existingTableProblem, skip, type BehaviorCheck } from './decision';
import type { NameMapper } from './mapping';
import { nodeBody, stringList, stringNode } from './parser';
import type { DdlContext, DdlDecision, DdlEffect, DroppedPart } from './types';

export function translateDropTable(stmt: DropStmt, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck): DdlDecision {
  const kept: Node[] = [];
  const dropped: DroppedPart[] = [];
  const tables: TableRef[] = [];
  for (const object of stmt.objects ?? []) {
    const parts = stringList(nodeBody<{ items?: Node[] }>(object).items);
    const name = parts[parts.length - 1]!;
    const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
    const written = parts.join('.');
    const ref = ctx.resolveTable(schema ? { schema, name } : { name });
    if (!ref && stmt.missing_ok) {
      // IF EXISTS and the source had no such table: the source dropped nothing under this name.
      dropped.push({ reason: 'outside-selection', detail: `${written} did not exist on the source: not dropped on the destination` });
      continue;
    }
    const problem = existingTableProblem(ctx, ref, written);
    if (problem) return skip(problem.reason, stmt.objects!.length > 1 ? `${problem.detail} (the DROP names several tables: all must be synced with DDL enabled)` : problem.detail);
    const target = targetTableName(ctx.mapping, ref!);
    kept.push({ List: { items: [stringNode(target.schema), stringNode(target.name)] } } as Node);
    tables.push(ref!);
  }
  if (!kept.length) return skip('outside-selection', dropped.map((d) => d.detail).join('; '));
  const written = behavior();
  if (written) return skip(written.reason, written.detail);
  stmt.objects = kept;
  const effects: DdlEffect[] = tables.map((table) => ({ type: 'drop-table', table }));
  return applyTree(ctx, names, { DropStmt: stmt } as Node, effects, dropped);
}
