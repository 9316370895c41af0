// Bad input gets a clear error naming the field and the fix, and starts nothing, whichever way it comes in.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { releaseAll } from '../harness/cleanup';
import { startClusterPair, type ClusterPair } from '../harness/clusters';
import { pgDts, startWorker, temporalCli, temporalClient } from '../harness/temporal';

describe('bad task specs are rejected before anything starts', () => {
  let pg: ClusterPair;
  let src: PgClient;
  let temporal: Client;
  const dir = mkdtempSync(join(tmpdir(), 'pg-dts-bad-'));

  before(async () => {
    pg = await startClusterPair();
    src = await pg.source.client();
    await src.query('CREATE TABLE public.t (id int PRIMARY KEY)');
    temporal = await temporalClient();
    startWorker({});
  });
  after(async () => {
    await src?.end();
    await releaseAll();
  });

  const good = () => ({
    name: 'bad-spec',
    source: { url: pg.source.url() },
    destination: { url: pg.destination.url() },
    objects: [{ schema: 'public' }],
  });

  const cases: [string, () => unknown, RegExp][] = [
    ['a missing field', () => ({ ...good(), destination: undefined }), /destination: required field is missing/],
    ['an unknown field', () => ({ ...good(), tabels: ['t'] }), /tabels: unknown field; remove it/],
    ['an inline password', () => ({ ...good(), source: { url: pg.source.url().replace('postgres@', 'postgres:hunter2@') } }),
      /source\.url: contains a password; remove it from the URL and set source\.passwordEnv/],
    ['a bad URL', () => ({ ...good(), destination: { url: 'localhost:5432/db' } }), /destination\.url: must be a libpq URL/],
    ['a field of the wrong type', () => ({ ...good(), name: 5 }), /name: must be a string, not a number/],
    ['a continuous verification interval under the minimum', () => ({ ...good(), verify: { every: '5s' } }), /verify\.every: must be at least 10s/],
    ['a continuous verification interval that is not a duration', () => ({ ...good(), verify: { every: '6 hours' } }), /verify\.every: must be a duration like "30m", "6h" or "1d"/],
    // Passwords the old text check let through into the history (issue 14, item 7): judged on the decoded settings now.
    ...([
      ['a password parameter with an encoded name (pass%77ord)', (u: string) => `${u}?pass%77ord=hunter2`, /contains a password \(the "password" parameter\)/],
      ['a password parameter with an encoded name (%70assword)', (u: string) => `${u}?%70assword=hunter2`, /contains a password \(the "password" parameter\)/],
      ['an sslpassword parameter', (u: string) => `${u}?sslpassword=hunter2`, /contains a password \(the "sslpassword" parameter\)/],
      ['a password holding "/"', (u: string) => u.replace('postgres@', 'postgres:hun/ter2@'), /has an "@" after the host or more than one "@": is a password in it/],
      ['a password holding "?"', (u: string) => u.replace('postgres@', 'postgres:hun?ter2@'), /has an "@" after the host or more than one "@": is a password in it/],
      ['a password holding "#"', (u: string) => u.replace('postgres@', 'postgres:hun#ter2@'), /contains "#"/],
      ['a password in a fragment', (u: string) => `${u}#password=hunter2`, /contains "#": a URL fragment is not a connection setting/],
    ] as [string, (u: string) => string, RegExp][]).map(([what, bad, expected]): [string, () => unknown, RegExp] => [
      what, () => ({ ...good(), source: { url: bad(pg.source.url()) } }), new RegExp(`source\\.url: ${expected.source}`),
    ]),
  ];

  for (const [what, spec, expected] of cases) {
    it(`pg-dts start refuses ${what}`, () => {
      const file = join(dir, `${what.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, JSON.stringify(spec()));
      const r = pgDts(['start', '--spec', file]);
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stderr, expected);
      assert.ok(!r.stderr.includes('hunter2'), 'the error never echoes a password');
    });

    it(`a workflow started with the temporal CLI fails on ${what}, naming the field`, async () => {
      const id = `bad-${what.replace(/\W+/g, '-')}`;
      const file = join(dir, `${id}.json`);
      writeFileSync(file, JSON.stringify(spec()));
      const r = temporalCli(['workflow', 'start', '--type', 'syncTask', '--task-queue', 'pg-dts', '--workflow-id', id, '--input-file', file]);
      assert.equal(r.status, 0, r.stderr);
      const err = await temporal.workflow.getHandle(id).result().then(() => null, (e: unknown) => e);
      assert.ok(err instanceof WorkflowFailedError, String(err));
      assert.match(String(err.cause?.message), expected);
      assert.ok(!String(err.cause?.message).includes('hunter2'), 'the failure never echoes a password');
      const history = await temporal.workflow.getHandle(id).fetchHistory();
      assert.ok(!history.events!.some((e) => e.activityTaskScheduledEventAttributes), 'no activity ran');
    });
  }

  it('left nothing on the source', async () => {
    assert.deepEqual((await src.query('SELECT slot_name FROM pg_replication_slots')).rows, []);
    assert.deepEqual((await src.query('SELECT pubname FROM pg_publication')).rows, []);
  });

  it('a precheck failure names the objects and the fix, and creates nothing', async () => {
    await src.query('CREATE TABLE public.keyless (v text)');
    const file = join(dir, 'keyless.json');
    writeFileSync(file, JSON.stringify({ ...good(), name: 'keyless', objects: [{ schema: 'public', tables: ['keyless'] }] }));
    const r = pgDts(['start', '--spec', file]);
    assert.equal(r.status, 0, r.stderr);
    const err = await temporal.workflow.getHandle('keyless').result().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(String((err.cause?.cause as Error | undefined)?.message), /FAIL primary-key: no primary key or non-null unique index: public\.keyless/);
    assert.match(String((err.cause?.cause as Error | undefined)?.message), /fix: add a primary key/);
    assert.deepEqual((await src.query('SELECT slot_name FROM pg_replication_slots')).rows, []);
    assert.deepEqual((await src.query('SELECT pubname FROM pg_publication')).rows, []);
  });
});
