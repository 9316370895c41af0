// Turns untrusted JSON into a TaskSpec or one error that names every bad field and how to fix it.
// Pure: runs inside the workflow sandbox as well as in the CLI.
import { z } from 'zod';
import { objectsSchema, taskSpecSchema, type TaskSpec } from './schema';

export class SpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid task spec:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SpecError';
  }
}

const INLINE_PASSWORD = /^postgres(?:ql)?:\/\/[^/@?#]*:[^/@?#]*@/;
const QUERY_PASSWORD = /[?&]password=/i;

function pathOf(issuePath: ReadonlyArray<PropertyKey>): string {
  return issuePath.length ? issuePath.map(String).join('.') : '(root)';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = pathOf(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${where}.` : '';
    return issue.keys
      .map((k) => `${prefix}${k}: unknown field; remove it (see "pg-dts spec-schema" for the fields a spec may have)`)
      .join('\n  - ');
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `${where}: required field is missing`;
  }
  return `${where}: ${issue.message}`;
}

/** Checks that the schema cannot express: secrets, cross-field rules. */
function secretProblems(spec: TaskSpec): string[] {
  const problems: string[] = [];
  for (const side of ['source', 'destination'] as const) {
    const ep = spec[side];
    if (INLINE_PASSWORD.test(ep.url) || QUERY_PASSWORD.test(ep.url)) {
      problems.push(
        `${side}.url: contains a password; remove it from the URL and set ${side}.passwordEnv ` +
          `(an environment variable on the worker) or ${side}.passwordFile, or use ~/.pgpass on the worker`,
      );
    }
    if (ep.passwordEnv && ep.passwordFile) {
      problems.push(`${side}: set only one of passwordEnv and passwordFile`);
    }
  }
  return problems;
}

function duplicateObjectProblems(spec: Pick<TaskSpec, 'objects'>): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  spec.objects.forEach((o, i) => {
    if (seen.has(o.schema)) problems.push(`objects.${i}.schema: schema "${o.schema}" is listed twice; merge the entries`);
    seen.add(o.schema);
    if (o.tables && o.excludeTables) {
      problems.push(`objects.${i}.excludeTables: only applies when the whole schema is selected; remove it or remove "tables"`);
    }
    const names = new Set<string>();
    o.tables?.forEach((t, j) => {
      const name = typeof t === 'string' ? t : t.name;
      if (names.has(name)) problems.push(`objects.${i}.tables.${j}: table "${name}" is listed twice; merge the entries`);
      names.add(name);
      if (typeof t !== 'string') {
        for (const c of t.excludeColumns ?? []) {
          if (t.columns?.[c]) problems.push(`objects.${i}.tables.${j}.columns.${c}: the column is also in excludeColumns; keep one`);
        }
      }
    });
  });
  return problems;
}

export function parseTaskSpec(input: unknown): TaskSpec {
  const result = taskSpecSchema.safeParse(input);
  if (!result.success) {
    throw new SpecError(result.error.issues.map(describeIssue));
  }
  const problems = [...secretProblems(result.data), ...duplicateObjectProblems(result.data)];
  if (problems.length) throw new SpecError(problems);
  return result.data;
}

/** A URL with any password removed, safe for logs, history and search attributes. */
export function redactUrl(url: string): string {
  return url.replace(INLINE_PASSWORD, (m) => m.replace(/:[^:@]*@$/, ':***@')).replace(/([?&]password=)[^&]*/i, '$1***');
}

/** host:port/dbname of a libpq URL, without user or password: safe for status and search attributes. */
export function endpointLabel(url: string): string {
  const m = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/?#]*)(\/[^?#]*)?/.exec(url);
  return m ? `${m[1] || 'localhost'}${m[2] ?? ''}` : '(invalid url)';
}

/**
 * Validates the payload of `modifyObjects` ({ objects: [...] }, the spec's `objects` rules). Returns
 * problems instead of throwing: a signal handler must never throw (it would fail the workflow task).
 */
export function parseObjects(input: unknown): { ok: true; objects: TaskSpec['objects'] } | { ok: false; problems: string[] } {
  const payload = input && typeof input === 'object' && 'objects' in input ? (input as { objects: unknown }).objects : undefined;
  if (payload === undefined) return { ok: false, problems: ['objects: required field is missing; send { "objects": [...] } (the spec\'s "objects" field)'] };
  const result = objectsSchema.safeParse(payload);
  if (!result.success) return { ok: false, problems: result.error.issues.map((i) => describeIssue({ ...i, path: ['objects', ...i.path] })) };
  const problems = duplicateObjectProblems({ objects: result.data });
  return problems.length ? { ok: false, problems } : { ok: true, objects: result.data };
}
