// Search attributes a task upserts as it moves, so `temporal workflow list --query 'PgDtsPhase="full"'`
// finds tasks by phase, source or destination. Pure definitions: imported by the workflow (which upserts
// them), by `pg-dts server` / the test dev server (which register them) and by `pg-dts list` (which reads
// them). Values are endpoint labels (host:port/db), never URLs with credentials.
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributeUpdatePair } from '@temporalio/common';
import type { TaskStatus } from './status';

export const PHASE_ATTRIBUTE = defineSearchAttributeKey('PgDtsPhase', SearchAttributeType.KEYWORD);
export const SOURCE_ATTRIBUTE = defineSearchAttributeKey('PgDtsSource', SearchAttributeType.KEYWORD);
export const DESTINATION_ATTRIBUTE = defineSearchAttributeKey('PgDtsDestination', SearchAttributeType.KEYWORD);

/** Every key pg-dts uses; a cluster must have them registered before a task upserts them. */
export const SEARCH_ATTRIBUTE_KEYS = [PHASE_ATTRIBUTE, SOURCE_ATTRIBUTE, DESTINATION_ATTRIBUTE] as const;

/** The type names the `temporal` CLI takes (`--search-attribute PgDtsPhase=Keyword`, `--type Keyword`). */
export const CLI_TYPE_NAMES: Record<(typeof SEARCH_ATTRIBUTE_KEYS)[number]['type'], string> = { KEYWORD: 'Keyword' };

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
