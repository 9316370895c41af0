// Whether this Temporal namespace has pg-dts's search attributes registered. Upserting an unregistered one
// fails every workflow task, so the workflow asks once and upserts only when they exist (`pg-dts server`
// registers them on the dev server; README shows how on a real cluster).
import { Context } from '@temporalio/activity';
import { PROGRESS_ATTRIBUTE_KEYS, TAGS_ATTRIBUTE } from '../workflows/search-attributes';

async function registered(names: string[]): Promise<boolean> {
  const ctx = Context.current();
  const { customAttributes } = await ctx.client.connection.operatorService.listSearchAttributes({ namespace: ctx.info.workflowNamespace });
  return names.every((name) => customAttributes?.[name] !== undefined);
}

/** PgDtsPhase, PgDtsSource and PgDtsDestination (upserted at every phase change). */
export async function searchAttributesRegistered(): Promise<boolean> {
  return registered(PROGRESS_ATTRIBUTE_KEYS.map((k) => k.name));
}

/** PgDtsTags, asked on its own: a namespace registered before tags existed lacks only it. */
export async function tagsAttributeRegistered(): Promise<boolean> {
  return registered([TAGS_ATTRIBUTE.name]);
}
