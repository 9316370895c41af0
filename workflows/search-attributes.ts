// Search attributes a task upserts as it moves, so `temporal workflow list --query 'PgDtsPhase="full"'`
// finds tasks by phase, source, destination or tag. Pure definitions: imported by the workflow (which upserts
// them), by `pg-dts server` / the test dev server (which register them) and by `pg-dts list` (which reads
// them). Values are endpoint labels (host:port/db), never URLs with credentials.
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair, type SearchAttributeUpdatePair } from '@temporalio/common';
import type { TaskStatus } from './status';
import { tagValues } from '../src/spec/tags';

export const PHASE_ATTRIBUTE = defineSearchAttributeKey('PgDtsPhase', SearchAttributeType.KEYWORD);
export const SOURCE_ATTRIBUTE = defineSearchAttributeKey('PgDtsSource', SearchAttributeType.KEYWORD);
export const DESTINATION_ATTRIBUTE = defineSearchAttributeKey('PgDtsDestination', SearchAttributeType.KEYWORD);
/** The spec's tags, one `key=value` each (src/spec/tags.ts): `PgDtsTags="env=prod"` finds tasks tagged so. */
export const TAGS_ATTRIBUTE = defineSearchAttributeKey('PgDtsTags', SearchAttributeType.KEYWORD_LIST);

/**
 * The keys upserted at every phase change. The workflow upserts them only when all are registered (the
 * searchAttributesRegistered activity); PgDtsTags is asked for on its own, so a namespace registered before
 * tags existed keeps its phase attributes.
 */
export const PROGRESS_ATTRIBUTE_KEYS = [PHASE_ATTRIBUTE, SOURCE_ATTRIBUTE, DESTINATION_ATTRIBUTE] as const;

/** Every key pg-dts uses; a cluster must have them registered before a task upserts them. */
export const SEARCH_ATTRIBUTE_KEYS = [...PROGRESS_ATTRIBUTE_KEYS, TAGS_ATTRIBUTE] as const;

/** The type names the `temporal` CLI takes (`--search-attribute PgDtsPhase=Keyword`, `--type Keyword`). */
export const CLI_TYPE_NAMES: Record<(typeof SEARCH_ATTRIBUTE_KEYS)[number]['type'], string> = { KEYWORD: 'Keyword', KEYWORD_LIST: 'KeywordList' };

/**
 * The pairs for `upsertSearchAttributes(...)`. `source`/`destination` in the status are already endpoint
 * labels (src/spec/validate.ts endpointLabel: the user part of the URL is dropped).
 */
export function taskSearchAttributes(status: Pick<TaskStatus, 'phase' | 'source' | 'destination'>): SearchAttributeUpdatePair[] {
  return [
    { key: PHASE_ATTRIBUTE, value: status.phase },
    { key: SOURCE_ATTRIBUTE, value: status.source },
    { key: DESTINATION_ATTRIBUTE, value: status.destination },
  ];
}

/** The pair setting a task's tags (none for a task without tags: an empty list would add nothing searchable). */
export function tagSearchAttributes(tags: Record<string, string> | undefined): SearchAttributePair[] {
  const values = tagValues(tags);
  return values.length ? [{ key: TAGS_ATTRIBUTE, value: values }] : [];
}
