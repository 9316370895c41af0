// Schema sync creates tables whose definitions name other objects (an index's operator class, a column's
// type or collation, a function in a default or CHECK). Each must exist on the destination before
// anything is created: a missing one would otherwise fail finishSchema after the whole copy. Extensions
// the destination has available and the user may create are created by createSchema (src/schema/
// extensions.ts); everything else missing blocks the task here.
import type { DependencyPresence, TableDependency } from '../facts/table-dependencies';
import { dependencyKey } from '../facts/table-dependencies';
import { names, pass, problem, wants, type CheckItem } from './check';

const ID = 'table-dependencies';

export interface ExtensionVerdict {
  extension: string;
  schema: string | null;
  /** installed: nothing to do; create: schema sync creates it; forbidden: available, but this user may not create it; unavailable: not installable. */
  verdict: 'installed' | 'create' | 'forbidden' | 'unavailable';
  needs: TableDependency[];
}

/** Per needed extension, what schema sync does about it. Pure: createSchema and the item agree by construction. */
export function extensionVerdicts(needs: TableDependency[], presence: DependencyPresence, user: { isSuperuser: boolean; canCreateInDatabase: boolean }): ExtensionVerdict[] {
  const byExtension = new Map<string, TableDependency[]>();
  for (const n of needs) if (n.extension) byExtension.set(n.extension, [...(byExtension.get(n.extension) ?? []), n]);
  return [...byExtension].map(([extension, deps]) => {
    const schema = deps[0]!.extensionSchema;
    if (presence.installed.includes(extension)) return { extension, schema, verdict: 'installed', needs: deps };
    const available = presence.available.find((a) => a.name === extension);
    if (!available) return { extension, schema, verdict: 'unavailable', needs: deps };
    // A trusted extension needs CREATE on the database; any other needs a superuser.
    const allowed = user.isSuperuser || (available.trusted && user.canCreateInDatabase);
    return { extension, schema, verdict: allowed ? 'create' : 'forbidden', needs: deps };
  });
}

const objectText = (d: TableDependency): string => `${d.kind} ${d.name} (used by ${names(d.tables, 5)})`;

export const tableDependencies: CheckItem = (input) => {
  if (!wants(input, 'schema')) return null;
  const needs = input.source.tableDependencies;
  const presence = input.destination.dependencyPresence;
  if (!needs || !presence) return null;
  const verdicts = extensionVerdicts(needs, presence, input.destination);
  const present = new Set(presence.presentObjects);
  const missingObjects = needs.filter((n) => !n.extension && !present.has(dependencyKey(n)));
  const problems: string[] = [];
  const fixes: string[] = [];
  const unavailable = verdicts.filter((v) => v.verdict === 'unavailable');
  const forbidden = verdicts.filter((v) => v.verdict === 'forbidden');
  const misplaced = verdicts.flatMap((v) => (v.verdict === 'installed' ? v.needs.filter((n) => !present.has(dependencyKey(n))) : []));
  if (unavailable.length) {
    problems.push(`extensions not available on the destination: ${unavailable.map((v) => `${v.extension} (needed for ${names(v.needs.map(objectText), 10)})`).join('; ')}`);
    fixes.push(`install the package providing ${unavailable.map((v) => v.extension).join(', ')} on the destination's host (so it appears in pg_available_extensions), or exclude the tables that need it ("excludeTables")`);
  }
  if (forbidden.length) {
    problems.push(`extensions user ${input.destination.user} may not create on the destination: ${forbidden.map((v) => `${v.extension} (needed for ${names(v.needs.map(objectText), 10)})`).join('; ')}`);
    fixes.push(`run CREATE EXTENSION ${forbidden.map((v) => v.extension).join(', ')} on the destination as a superuser first (or connect as one), or exclude the tables that need them`);
  }
  if (misplaced.length) {
    const extensions = [...new Set(misplaced.map((n) => n.extension!))];
    problems.push(`installed on the destination, but not where the definitions name them (another schema or version of the extension): ${names(misplaced.map((n) => `${objectText(n)} of extension ${n.extension}`), 20)}`);
    fixes.push(`install ${extensions.join(', ')} on the destination in the schema it has on the source (ALTER EXTENSION ... SET SCHEMA ${[...new Set(misplaced.map((n) => n.extensionSchema))].join(', ')}, or ALTER EXTENSION ... UPDATE), or exclude the tables that need it`);
  }
  if (missingObjects.length) {
    problems.push(`objects missing on the destination (schema sync does not create them): ${names(missingObjects.map(objectText), 20)}`);
    fixes.push('create these objects on the destination first (same schema and name), or exclude the tables that use them');
  }
  const created = verdicts.filter((v) => v.verdict === 'create').map((v) => v.extension);
  const willCreate = created.length ? `schema sync will create extension ${created.join(', ')} on the destination before the tables` : '';
  if (problems.length) return problem(ID, 'fail', [...problems, ...(willCreate ? [willCreate] : [])].join('; '), fixes.join('; '));
  if (willCreate) return pass(ID, 'fail', willCreate);
  return pass(ID, 'fail', needs.length
    ? `every extension and object the selected tables use exists on the destination (${needs.length} checked)`
    : 'the selected tables use no extension or user-defined object that schema sync does not create');
};
