// Views, materialized views, routines, triggers, rules and policies schema sync does not create are listed
// by name with the reason (a warning: the task works, but the application may need them after cutover);
// extensions they need that the destination cannot get fail the task.
import { names, pass, problem, wants, type CheckItem } from './check';

export const nonTableObjects: CheckItem = (input) => {
  const facts = input.source.nonTableObjects;
  if (!wants(input, 'schema') || !facts) return null;
  const listed = facts.unsupported.map((u) => `${u.kind} ${u.name}: ${u.reason}`);
  const unpopulated = facts.notPopulated.map((m) => `materialized view ${m}: created WITH NO DATA, its query calls functions outside pg_catalog (populating it would run them as pg-dts's role); refresh it yourself after cutover, as its owner`);
  if (!listed.length && !unpopulated.length) {
    return pass('non-table-objects', 'warn', 'schema sync creates every view, routine, trigger, rule and policy of the selection');
  }
  return problem('non-table-objects', 'warn', `not created by schema sync: ${names([...listed, ...unpopulated], 100)}`,
    'create these on the destination yourself before cutover (docs/schema-sync.md), or list "non-table-objects" in precheck.ignoreWarnings');
};

export const nonTableExtensions: CheckItem = (input) => {
  const needed = input.source.nonTableObjects?.extensions ?? [];
  const found = input.destination.objectExtensions;
  if (!wants(input, 'schema') || !needed.length || !found) return null;
  const missing = found.filter((e) => !e.installed);
  const unavailable = missing.filter((e) => !e.available).map((e) => e.name);
  const forbidden = missing.filter((e) => e.available && !(input.destination.isSuperuser || (e.trusted && input.destination.canCreateInDatabase))).map((e) => e.name);
  const created = missing.filter((e) => e.available && !unavailable.includes(e.name) && !forbidden.includes(e.name)).map((e) => e.name);
  if (unavailable.length || forbidden.length) {
    return problem('non-table-extensions', 'fail',
      [unavailable.length ? `extensions the selection's views, routines or triggers use are not available on the destination: ${names(unavailable)}` : '',
        forbidden.length ? `extensions user ${input.destination.user} may not create on the destination: ${names(forbidden)}` : ''].filter(Boolean).join('; '),
      'install them on the destination (CREATE EXTENSION as a superuser), or deselect the schemas whose objects use them');
  }
  return pass('non-table-extensions', 'fail', created.length
    ? `schema sync will create extension ${names(created)} on the destination for the selection's views, routines or triggers`
    : `every extension the selection's views, routines and triggers use is installed on the destination (${names(needed.map((e) => e.name))})`);
};
