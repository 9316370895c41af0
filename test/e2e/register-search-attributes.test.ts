// `pg-dts register-search-attributes` on a namespace that has none of them (a fresh namespace of the
// real test server): adds the three keys as Keyword, and a second run changes nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import { waitFor } from '../harness/checksum';
import { pgDts, temporalCli } from '../harness/temporal';

describe('pg-dts register-search-attributes', () => {
  it('registers the task search attributes in a namespace, once', async () => {
    const namespace = `sa-${randomBytes(4).toString('hex')}`;
    const created = temporalCli(['operator', 'namespace', 'create', '--namespace', namespace]);
    assert.equal(created.status, 0, created.stderr);
    const names = SEARCH_ATTRIBUTE_KEYS.map((key) => key.name);
    const listed = (): string => temporalCli(['operator', 'search-attribute', 'list', '--namespace', namespace]).stdout;
    for (const name of names) assert.doesNotMatch(listed(), new RegExp(name), `${name} before registering`);

    let first = pgDts(['register-search-attributes'], { TEMPORAL_NAMESPACE: namespace });
    // A namespace just created reaches the server's namespace cache within seconds.
    await waitFor('namespace usable', async () => {
      if (first.status !== 0) first = pgDts(['register-search-attributes'], { TEMPORAL_NAMESPACE: namespace });
      return first.status === 0;
    }, 30_000, 1_000).catch(() => assert.fail(`register-search-attributes failed: ${first.stderr}`));
    assert.equal(first.stdout.trim(), `registered in ${namespace}: ${names.join(', ')}`);
    await waitFor('attributes listed', async () => names.every((name) => new RegExp(`${name}\\s+Keyword`).test(listed())), 30_000, 500);

    const second = pgDts(['register-search-attributes'], { TEMPORAL_NAMESPACE: namespace });
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout.trim(), `already registered in ${namespace}`);
  });
});
