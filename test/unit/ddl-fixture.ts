// Assertions shared by the DDL translation tests: a statement is applied (its decision returned) or
// skipped for the expected reason, each against the test file's default context unless given one.
import assert from 'node:assert/strict';
import { translateDdl, type DdlContext, type DdlDecision } from '../../src/ddl/translate';

export type Applied = Extract<DdlDecision, { kind: 'apply' }>;

export function translationAsserts(defaultContext: () => DdlContext) {
  const applied = (sql: string, ctx = defaultContext()): Applied => {
    const d = translateDdl(sql, ctx);
    assert.equal(d.kind, 'apply', `${sql}\n-> ${JSON.stringify(d)}`);
    return d as Applied;
  };
  const skipped = (sql: string, reason: string, detail: RegExp, ctx = defaultContext()): void => {
    const d = translateDdl(sql, ctx);
    assert.equal(d.kind, 'skip', `${sql}\n-> ${JSON.stringify(d)}`);
    const s = d as Extract<DdlDecision, { kind: 'skip' }>;
    assert.equal(s.reason, reason, `${sql}: ${s.detail}`);
    assert.match(s.detail, detail);
  };
  return { applied, skipped };
}
