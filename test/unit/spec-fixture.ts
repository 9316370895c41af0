// A valid task spec and the problems the validator reports for a variant of it: shared by the spec tests.
import assert from 'node:assert/strict';
import { parseTaskSpec, SpecError } from '../../src/spec/validate';

export const valid = {
  name: 'orders',
  source: { url: 'postgresql://repl@db1:5432/app', passwordEnv: 'PG_DTS_PW_SRC' },
  destination: { url: 'postgres://dts@db2/app' },
  objects: [{ schema: 'public' }],
};

/** The validator's problem lines for `input`; fails the test when it is accepted. */
export function problems(input: unknown): string[] {
  try {
    parseTaskSpec(input);
  } catch (err) {
    assert.ok(err instanceof SpecError);
    return err.problems;
  }
  assert.fail('expected the spec to be rejected');
}
