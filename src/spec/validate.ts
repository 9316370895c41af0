// Turns untrusted JSON into a TaskSpec or one error that names every bad field and how to fix it.
// Pure: runs inside the workflow sandbox as well as in the CLI.
import { z } from 'zod';
import { objectsSchema, taskSpecSchema, type TaskSpec } from './schema';
import { parseEndpointUrl, SECRET_PARAMETERS, settingsLabel } from './endpoint-url';

export class SpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid task spec:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SpecError';
  }
}

function pathOf(issuePath: ReadonlyArray<PropertyKey>): string {
  return issuePath.length ? issuePath.map(String).join('.') : '(root)';
}

/** The value at `path` under `root`, and whether it is there at all (a missing field vs a wrong one). */
function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): { present: boolean; value: unknown } {
  let value: unknown = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, key)) return { present: false, value: undefined };
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return { present: value !== undefined, value };
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string', number: 'a number', int: 'a whole number', boolean: 'true or false', object: 'an object',
  record: 'an object', array: 'a list', nan: 'a number',
};

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'a fraction';
  return { string: 'a string', number: 'a number', boolean: 'true or false', object: 'an object' }[typeof value as string] ?? typeof value;
}

/**
 * One line per problem: `path: what is wrong and how to fix it`. `root` is the input the issue's path starts
 * from: a field that is absent is "missing", one that is there with the wrong type says what it must be.
 */
function describeIssues(issue: z.core.$ZodIssue, root: unknown, prefix: PropertyKey[] = []): string[] {
  const path = [...prefix, ...issue.path];
  const where = pathOf(path);
  const at = valueAt(root, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const base = path.length ? `${where}.` : '';
      return issue.keys.map((k) => `${base}${k}: unknown field; remove it (see "pg-dts spec-schema" for the fields a spec may have)`);
    }
    case 'invalid_type':
      if (!at.present) return [`${where}: required field is missing`];
      return [`${where}: must be ${TYPE_WORDS[issue.expected] ?? issue.expected}, not ${kindOf(at.value)}`];
    case 'invalid_key':
      // a bad key of a record (e.g. a column rename): say what is wrong with the key, at the key
      return issue.issues.map((inner) => `${where}: ${inner.message}`);
    case 'invalid_union': {
      if (!at.present) return [`${where}: required field is missing`];
      // The branch whose type matched (its problems are inside it) says what is wrong; else name the types.
      const inside = issue.errors.filter((branch) => branch.length && branch.every((i) => i.path.length > 0));
      if (inside.length === 1) return inside[0]!.flatMap((inner) => describeIssues(inner, at.value, path));
      const wanted = issue.errors.flatMap((branch) => branch.filter((i) => i.code === 'invalid_type' && !i.path.length).map((i) => (i as { expected: string }).expected));
      if (wanted.length) return [`${where}: must be ${[...new Set(wanted)].map((t) => TYPE_WORDS[t] ?? t).join(' or ')}, not ${kindOf(at.value)}`];
      return [`${where}: ${issue.message}`];
    }
    default:
      return [`${where}: ${issue.message}`];
  }
}

function describeAll(issues: z.core.$ZodIssue[], root: unknown, prefix: PropertyKey[] = []): string[] {
  return [...new Set(issues.flatMap((issue) => describeIssues(issue, root, prefix)))];
}

/** Checks that the schema cannot express: secrets, cross-field rules. */
function secretProblems(spec: TaskSpec): string[] {
  const problems: string[] = [];
  for (const side of ['source', 'destination'] as const) {
    const ep = spec[side];
    // Judged on the settings the URL stands for once decoded, as the driver will read them, not on its text.
    const parsed = parseEndpointUrl(ep.url, side);
    if (!parsed.ok) problems.push(`${side}.url: ${parsed.problem}`);
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

/** A task verifies itself while it streams: without incremental sync there is nothing to schedule it in. */
function verifyProblems(spec: TaskSpec): string[] {
  if (!spec.verify || spec.syncTypes.includes('incremental')) return [];
  return ['verify: continuous verification runs while the task streams; add "incremental" to syncTypes or remove "verify" (pg-dts verify compares a finished task once)'];
}

export function parseTaskSpec(input: unknown): TaskSpec {
  const result = taskSpecSchema.safeParse(input);
  if (!result.success) {
    throw new SpecError(describeAll(result.error.issues, input));
  }
  const problems = [...secretProblems(result.data), ...duplicateObjectProblems(result.data), ...verifyProblems(result.data)];
  if (problems.length) throw new SpecError(problems);
  return result.data;
}

/**
 * A URL with anything that may be a secret masked, for logs: the password of the user part (all of it up to
 * the last "@"), the value of every secret-bearing parameter however its name is %-encoded, any fragment.
 */
export function redactUrl(url: string): string {
  const m = /^([a-z]+:\/\/)([^]*)$/i.exec(url.split('#')[0]!);
  if (!m) return '***';
  let rest = m[2]!;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    rest = `${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : userinfo}${rest.slice(at)}`;
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    const query = rest.slice(q + 1).split('&').map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decodedName: string;
      try {
        decodedName = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        decodedName = name;
      }
      return (SECRET_PARAMETERS as readonly string[]).includes(decodedName.toLowerCase()) ? `${name}=***` : pair;
    });
    rest = `${rest.slice(0, q)}?${query.join('&')}`;
  }
  return `${m[1]}${rest}`;
}

/**
 * host[:port]/dbname the URL connects to — built from its parsed settings, so a `?host=` or `?port=` override
 * shows the real target — without user or password: safe for status, `pg-dts list` and search attributes.
 */
export function endpointLabel(url: string): string {
  const parsed = parseEndpointUrl(url);
  return parsed.ok ? settingsLabel(parsed.settings) : '(invalid url)';
}

/**
 * Validates the payload of `modifyObjects` ({ objects: [...] }, the spec's `objects` rules). Returns
 * problems instead of throwing: a signal handler must never throw (it would fail the workflow task).
 */
export function parseObjects(input: unknown): { ok: true; objects: TaskSpec['objects'] } | { ok: false; problems: string[] } {
  const payload = input && typeof input === 'object' && 'objects' in input ? (input as { objects: unknown }).objects : undefined;
  if (payload === undefined) return { ok: false, problems: ['objects: required field is missing; send { "objects": [...] } (the spec\'s "objects" field)'] };
  const result = objectsSchema.safeParse(payload);
  if (!result.success) return { ok: false, problems: describeAll(result.error.issues, payload, ['objects']) };
  const problems = duplicateObjectProblems({ objects: result.data });
  return problems.length ? { ok: false, problems } : { ok: true, objects: result.data };
}
