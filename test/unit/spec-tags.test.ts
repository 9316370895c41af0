import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTaskSpec } from '../../src/spec/validate';
import { problems as specProblems, valid } from './spec-fixture';
import { parseTagFilter, tagValues } from '../../src/spec/tags';
import { listQuery } from '../../src/cli/list';
import { TAGS_ATTRIBUTE, tagSearchAttributes } from '../../workflows/search-attributes';

const problems = (tags: unknown): string[] => specProblems({ ...valid, tags });

describe('spec tags', () => {
  it('are optional and kept as given', () => {
    assert.equal(parseTaskSpec(valid).tags, undefined);
    assert.deepEqual(parseTaskSpec({ ...valid, tags: { env: 'prod', 'team.name': 'Payments EU' } }).tags, { env: 'prod', 'team.name': 'Payments EU' });
  });

  it('become one key=value per tag, sorted by key, for the PgDtsTags search attribute', () => {
    assert.deepEqual(tagValues({ team: 'a=b', env: 'prod' }), ['env=prod', 'team=a=b']);
    assert.deepEqual(tagSearchAttributes({ env: 'prod' }), [{ key: TAGS_ATTRIBUTE, value: ['env=prod'] }]);
    assert.deepEqual(tagSearchAttributes({}), [], 'no tags: no attribute');
    assert.deepEqual(tagSearchAttributes(undefined), []);
  });

  it('name the bad key or value and the rule', () => {
    assert.deepEqual(problems({ Env: 'prod' }), ['tags.Env: tag keys must be 1-63 characters: lower-case letters, digits, "_", "." or "-"']);
    assert.deepEqual(problems({ 'a=b': 'x' }), ['tags.a=b: tag keys must be 1-63 characters: lower-case letters, digits, "_", "." or "-"']);
    assert.deepEqual(problems({ ['k'.repeat(64)]: 'x' }).length, 1);
    assert.deepEqual(problems({ env: '' }), ['tags.env: tag value must not be empty (omit the tag instead)']);
    assert.deepEqual(problems({ env: 'v'.repeat(256) }), ['tags.env: tag value must be at most 255 characters']);
    assert.match(problems({ env: 'pr"od' })[0]!, /^tags\.env: tag value must not contain quotes, backslashes/);
    assert.match(problems({ env: 'a\nb' })[0]!, /^tags\.env: tag value must not contain .*control characters/);
    assert.deepEqual(problems({ env: 1 }), ['tags.env: must be a string, not a number']);
    assert.deepEqual(problems(['env=prod']), ['tags: must be an object, not a list']);
  });

  it('are at most 20 and fit one search attribute value', () => {
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    assert.deepEqual(problems(many), ['tags: at most 20 tags (this spec has 21): remove some']);
    const twenty = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v']));
    assert.equal(Object.keys(parseTaskSpec({ ...valid, tags: twenty }).tags!).length, 20);
    const big = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'é'.repeat(120)]));
    assert.match(problems(big)[0]!, /^tags: the tags take 1944 bytes as key=value, at most 1800/);
  });

  it('pg-dts list --tag takes key=value and builds a query needing every tag', () => {
    assert.equal(parseTagFilter('env=prod'), 'env=prod');
    assert.throws(() => parseTagFilter('env'), /--tag env: must be key=value/);
    assert.throws(() => parseTagFilter('Env=prod'), /--tag Env=prod: must be key=value/);
    assert.throws(() => parseTagFilter('env=a"b'), /--tag env=a"b: the value must not contain quotes/);
    assert.equal(listQuery(), 'WorkflowType = "syncTask"');
    assert.equal(listQuery(['env=prod', 'team=x']), 'WorkflowType = "syncTask" AND PgDtsTags = "env=prod" AND PgDtsTags = "team=x"');
  });
});
