// A task id safe to embed in PostgreSQL object names (slot, publication, origin): the slot name
// dts_sync_<id> must fit in 63 bytes and use only lower-case letters, digits and underscores.
// Pure and deterministic, so the workflow and activities derive the same id from the workflow id.

const MAX_ID_LENGTH = 40;

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

export function taskIdFromWorkflowId(workflowId: string): string {
  const cleaned = workflowId.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  // A changed or truncated id gets a hash of the original so two different workflow ids never collide.
  if (cleaned === workflowId && cleaned.length <= MAX_ID_LENGTH) return cleaned;
  return `${cleaned.slice(0, MAX_ID_LENGTH - 9)}_${fnv1a(workflowId)}`;
}

export const slotName = (taskId: string): string => `dts_sync_${taskId}`;
export const publicationName = (taskId: string): string => `dts_pub_${taskId}`;
export const originName = (taskId: string): string => `dts_origin_${taskId}`;
export const applicationName = (taskId: string): string => `pg-dts:${taskId}`;
/** The slot and origin of tables being added to a running task (modifyObjects), next to the task's own. */
export const additionSlotName = (taskId: string): string => `${slotName(taskId)}_add`;
export const additionOriginName = (taskId: string): string => `${originName(taskId)}_add`;
