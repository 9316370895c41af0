// Whether this Temporal namespace has pg-dts's search attributes registered. Upserting an unregistered one
// fails every workflow task, so the workflow asks once and upserts only when they exist (`pg-dts server`
// registers them on the dev server; README shows how on a real cluster).
import { Context } from '@temporalio/activity';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';

export async function searchAttributesRegistered(): Promise<boolean> {
  const ctx = Context.current();
  const { customAttributes } = await ctx.client.connection.operatorService.listSearchAttributes({ namespace: ctx.info.workflowNamespace });
  return SEARCH_ATTRIBUTE_KEYS.every((k) => customAttributes?.[k.name] !== undefined);
}
