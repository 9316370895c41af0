// `pg-dts modify <task> --objects file`: the `modifyObjects` signal from a file holding either a whole
// task spec (its `objects` are taken) or `{ "objects": [...] }`, checked with the spec's own rules first,
// so a bad selection is refused here rather than ignored by the workflow.
import { readFileSync } from 'node:fs';
import type { TaskSpec } from '../spec/schema';
import { parseObjects, SpecError } from '../spec/validate';

export function objectsFromFile(file: string): { objects: TaskSpec['objects'] } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SpecError([`${file}: cannot read JSON (${(err as Error).message})`]);
  }
  const parsed = parseObjects(json);
  if (!parsed.ok) throw new SpecError(parsed.problems.map((p) => `${file}: ${p}`));
  return { objects: parsed.objects };
}
