// A task id safe to embed in PostgreSQL object names (slot, publication, origin): the slot name
// dts_sync_<id> must fit in 63 bytes and use only lower-case letters, digits and underscores.
// Pure and deterministic, so the workflow and activities derive the same id from the workflow id.
//
// Names cannot collide by construction (DESIGN.md invariant 8):
// - a workflow id is used verbatim only when it is already slot-safe and contains no `__`;
// - any other id is cleaned and gets `__` and a hash of the original: a hashed id always ends in `__` and
//   8 hex digits, so it never equals a verbatim id (which has no `__`);
// - names derived from an id (the addition's slot and origin) append `__<suffix>`, which neither a verbatim
//   id (no `__`) nor a hashed one (ends in 8 hex digits) can end with, so no task's derived name equals
//   another task's main name.
// The hash is 32-bit FNV-1a: it separates honest ids, but anyone can find two workflow ids with the same
// hash on purpose. Such a pair is caught by the ownership registry (src/stream/ownership.ts): the second
// task is refused by the precheck and never touches the first one's objects.
//
// Tasks started before this scheme (naming 'v1', see workflows/sync-task.ts) keep the ids and names they
// were created with: `legacyTaskIdFromWorkflowId` and the `_add` suffix.

const MAX_ID_LENGTH = 40;

/** Which naming a task uses: 'v2' for tasks started since names were made collision-free, 'v1' before. */
export type TaskNaming = 'v1' | 'v2';

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

const clean = (workflowId: string): string => workflowId.toLowerCase().replace(/[^a-z0-9_]/g, '_');

export function taskIdFromWorkflowId(workflowId: string): string {
  const cleaned = clean(workflowId);
  if (cleaned === workflowId && !cleaned.includes('__') && cleaned.length <= MAX_ID_LENGTH) return cleaned;
  return `${cleaned.slice(0, MAX_ID_LENGTH - 10)}__${fnv1a(workflowId)}`;
}

/** The derivation of tasks started before names were made collision-free: keep it for their objects. */
export function legacyTaskIdFromWorkflowId(workflowId: string): string {
  const cleaned = clean(workflowId);
  if (cleaned === workflowId && cleaned.length <= MAX_ID_LENGTH) return cleaned;
  return `${cleaned.slice(0, MAX_ID_LENGTH - 9)}_${fnv1a(workflowId)}`;
}

export function taskIdFor(workflowId: string, naming: TaskNaming): string {
  return naming === 'v2' ? taskIdFromWorkflowId(workflowId) : legacyTaskIdFromWorkflowId(workflowId);
}

export const slotName = (taskId: string): string => `dts_sync_${taskId}`;
export const publicationName = (taskId: string): string => `dts_pub_${taskId}`;
export const originName = (taskId: string): string => `dts_origin_${taskId}`;
export const applicationName = (taskId: string): string => `pg-dts:${taskId}`;
/**
 * The main stream's destination session: a restarted stream ends the one a lost attempt left behind by this
 * name, and must not end the task's other sessions (a copy, a catch-up stream) running at that moment.
 * Cut to what the server keeps of an application_name (63 bytes; task ids are ASCII), so it compares equal there.
 */
export const streamSessionName = (taskId: string): string => `${applicationName(taskId)}:stream`.slice(0, 63);

/** The slot and origin of tables being added to a running task (modifyObjects), next to the task's own. */
export function additionNames(taskId: string, naming: TaskNaming = 'v2'): { slot: string; origin: string } {
  const suffix = naming === 'v2' ? '__add' : '_add';
  return { slot: `${slotName(taskId)}${suffix}`, origin: `${originName(taskId)}${suffix}` };
}
export const additionSlotName = (taskId: string, naming: TaskNaming = 'v2'): string => additionNames(taskId, naming).slot;
export const additionOriginName = (taskId: string, naming: TaskNaming = 'v2'): string => additionNames(taskId, naming).origin;
