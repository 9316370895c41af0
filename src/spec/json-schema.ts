// The JSON Schema users see (docs/task-spec.schema.json, `pg-dts spec-schema`) is generated from the
// validator, so documentation and validation cannot drift apart.
import { z } from 'zod';
import { taskSpecSchema } from './schema';

export function taskSpecJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(taskSpecSchema, { io: 'input' }) as Record<string, unknown>;
}
