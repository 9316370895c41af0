// Environment tags of a task (`"tags": { "env": "prod", "team": "payments" }`): user metadata, shown by
// `pg-dts list` and searchable as the Keyword-list search attribute PgDtsTags, one `key=value` per tag
// (`temporal workflow list --query 'PgDtsTags="env=prod"'`). Pure: the spec schema, the workflow and the
// CLI share it. Tags are stored in the workflow history and the visibility store in clear: no secrets.
import { z } from 'zod';

export const MAX_TAGS = 20;
const KEY_PATTERN = /^[a-z0-9_.-]{1,63}$/;
const MAX_VALUE_LENGTH = 255;
/**
 * Temporal refuses a search attribute value larger than 2 KB by default (limit.searchAttributeSizeOfValue);
 * the list is encoded as JSON (quotes and commas), so the tags themselves stay well below it.
 */
export const MAX_TAGS_BYTES = 1800;

/** UTF-8 length without Buffer/TextEncoder: the workflow sandbox validates specs too. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Why a tag value is refused, or null. Quotes and backslashes would need escaping in a visibility query. */
function valueProblem(value: string): string | null {
  if (value.length === 0) return 'must not be empty (omit the tag instead)';
  if (value.length > MAX_VALUE_LENGTH) return `must be at most ${MAX_VALUE_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f"'\\]/.test(value)) return 'must not contain quotes, backslashes, line breaks or other control characters (they would need escaping in a search query)';
  return null;
}

/** Keys and values are checked here, not in a key schema: zod words a bad record key only as "Invalid key in record". */
export const tagsSchema = z
  .record(z.string(), z.string())
  .superRefine((tags, ctx) => {
    const entries = Object.entries(tags);
    if (entries.length > MAX_TAGS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_TAGS} tags (this spec has ${entries.length}): remove some` });
    for (const [key, value] of entries) {
      if (!KEY_PATTERN.test(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'tag keys must be 1-63 characters: lower-case letters, digits, "_", "." or "-"' });
      }
      const problem = valueProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: `tag value ${problem}` });
    }
    const bytes = utf8Length(tagValues(tags).join(''));
    if (bytes > MAX_TAGS_BYTES) {
      ctx.addIssue({ code: 'custom', message: `the tags take ${bytes} bytes as key=value, at most ${MAX_TAGS_BYTES} (Temporal's limit for one search attribute is 2 KB): shorten or remove some` });
    }
  })
  .describe(
    `environment tags, e.g. { "env": "prod" }: shown by pg-dts list, searchable as PgDtsTags="env=prod"; keys [a-z0-9_.-]{1,63}, values up to ${MAX_VALUE_LENGTH} characters, at most ${MAX_TAGS}; stored in the task history and search index in clear, so no secrets`,
  );

export type Tags = Record<string, string>;

/** The search attribute's values: one `key=value` per tag, sorted by key so the list is stable. */
export function tagValues(tags: Tags | undefined): string[] {
  return Object.entries(tags ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`);
}

/** A `--tag key=value` argument of `pg-dts list`, checked like a spec's tag; throws naming the fix. */
export function parseTagFilter(arg: string): string {
  const at = arg.indexOf('=');
  const key = at < 0 ? arg : arg.slice(0, at);
  if (at < 0 || !KEY_PATTERN.test(key)) throw new Error(`--tag ${arg}: must be key=value with a key of lower-case letters, digits, "_", "." or "-", e.g. --tag env=prod`);
  const problem = valueProblem(arg.slice(at + 1));
  if (problem) throw new Error(`--tag ${arg}: the value ${problem}`);
  return arg;
}
