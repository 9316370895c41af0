// `pg-dts register-search-attributes`: registers the task search attributes (PgDtsPhase, PgDtsSource,
// PgDtsDestination, PgDtsTags) in a namespace of any Temporal cluster, so tasks can be found by phase and endpoint.
// Idempotent: only the missing ones are added (adding an existing one is an error on the server).
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_KEYS, TAGS_ATTRIBUTE } from '../../workflows/search-attributes';

const INDEXED_TYPES: Record<(typeof SEARCH_ATTRIBUTE_KEYS)[number]['type'], temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Adds the keys the namespace lacks; returns their names (empty when all were there). */
export async function registerSearchAttributes(client: Client, namespace: string): Promise<string[]> {
  const operator = client.connection.operatorService;
  const { customAttributes } = await operator.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTE_KEYS.filter((key) => !(customAttributes && key.name in customAttributes));
  if (missing.length > 0) {
    await operator.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_TYPES[key.type]])),
    });
  }
  return missing.map((key) => key.name);
}

/** Whether `pg-dts start` may set PgDtsTags: starting with an unregistered attribute is refused by the server. */
export async function tagsAttributeRegistered(client: Client, namespace: string): Promise<boolean> {
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  return customAttributes?.[TAGS_ATTRIBUTE.name] !== undefined;
}
