// Environment tags (spec `tags`) through the real dev server: a task started with `pg-dts start` (which
// sets PgDtsTags as it starts the workflow) and one started with the temporal CLI (the workflow sets it
// itself) are found by `temporal workflow list --query 'PgDtsTags="env=prod"'` and `pg-dts list --tag`,
// each by its own tags only; `pg-dts list` shows them. In a namespace without PgDtsTags, `pg-dts start` warns
// and starts the task, and `pg-dts list --tag` says how to register it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { releaseAll } from '../harness/cleanup';
import { startClusterPair, TEST_PASSWORD, type ClusterPair } from '../harness/clusters';
import { waitFor } from '../harness/checksum';
import { clusterSpec, startTask } from '../harness/task-spec-file';
import { pgDts, startWorker, temporalCli, temporalClient } from '../harness/temporal';

const ENV = { PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD };
const PROD = 'tagged-prod';
const STAGING = 'tagged-staging';

/** Which of this test's tasks `temporal workflow list` prints for this query. */
function listedIds(query: string): string[] {
  const r = temporalCli(['workflow', 'list', '--query', query]);
  assert.equal(r.status, 0, r.stderr);
  return [PROD, STAGING].filter((id) => r.stdout.includes(id));
}

describe('environment tags', () => {
  let pg: ClusterPair;
  let temporal: Client;

  before(async () => {
    pg = await startClusterPair();
    const src = await pg.source.client();
    await src.query('CREATE SCHEMA tagged; CREATE TABLE tagged.t (id int PRIMARY KEY)');
    await src.end();
    temporal = await temporalClient();
    startWorker(ENV);
    // Schema only: the tasks end quickly, and a closed run keeps its search attributes.
    startTask(clusterSpec(pg, PROD, { objects: [{ schema: 'tagged' }], syncTypes: ['schema'], tags: { env: 'prod', team: 'payments' } }));
    await temporal.workflow.getHandle(PROD).result();
    const staging = clusterSpec(pg, STAGING, { objects: [{ schema: 'tagged' }], syncTypes: ['schema'], conflictingTables: 'ignore', tags: { env: 'staging' } });
    const started = temporalCli(['workflow', 'start', '--type', 'syncTask', '--task-queue', 'pg-dts', '--workflow-id', STAGING, '--input', JSON.stringify(staging)]);
    assert.equal(started.status, 0, started.stderr);
    await temporal.workflow.getHandle(STAGING).result();
  });
  after(releaseAll);

  it('temporal workflow list --query PgDtsTags finds each task by its own tags, however it was started', async () => {
    await waitFor('prod indexed', async () => listedIds('PgDtsTags="env=prod"').includes(PROD), 30_000, 500);
    assert.deepEqual(listedIds('PgDtsTags="env=prod"'), [PROD]);
    assert.deepEqual(listedIds('PgDtsTags="team=payments" AND WorkflowType="syncTask"'), [PROD]);
    // Set by the workflow itself: the temporal CLI started it without search attributes.
    await waitFor('staging indexed', async () => listedIds('PgDtsTags="env=staging"').includes(STAGING), 30_000, 500);
    assert.deepEqual(listedIds('PgDtsTags="env=staging"'), [STAGING]);
    assert.deepEqual(listedIds('PgDtsTags="env=dev"'), []);
  });

  it('pg-dts list shows the tags and --tag keeps only the tasks carrying every one given', async () => {
    const all = pgDts(['list']);
    assert.equal(all.status, 0, all.stderr);
    const [header, ...rows] = all.stdout.trim().split('\n');
    assert.match(header!, /^TASK +STATUS +PHASE +STARTED +SOURCE +DESTINATION +TAGS$/);
    const tagsOf = (id: string) => rows.find((l) => l.startsWith(`${id} `))?.split(/ {2,}/)[6];
    assert.equal(tagsOf(PROD), 'env=prod,team=payments');
    assert.equal(tagsOf(STAGING), 'env=staging');

    const tasks = (args: string[]): string[] => {
      const r = pgDts(['list', ...args]);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim().split('\n').slice(1).map((l) => l.split(/ {2,}/)[0]!).sort();
    };
    assert.deepEqual(tasks(['--tag', 'env=prod']), [PROD]);
    assert.deepEqual(tasks(['--tag', 'env=prod', '--tag', 'team=payments']), [PROD]);
    assert.deepEqual(tasks(['--tag', 'env=staging']), [STAGING]);
    assert.deepEqual(tasks(['--tag', 'env=prod', '--tag', 'env=staging']), []);

    const bad = pgDts(['list', '--tag', 'env']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--tag env: must be key=value/);
  });

  it('in a namespace without PgDtsTags, pg-dts start warns and starts the task; pg-dts list --tag says to register it', async () => {
    const namespace = `tags-${randomBytes(4).toString('hex')}`;
    const created = temporalCli(['operator', 'namespace', 'create', '--namespace', namespace]);
    assert.equal(created.status, 0, created.stderr);
    const env = { TEMPORAL_NAMESPACE: namespace };
    // A namespace just created reaches the server's namespace cache within seconds.
    await waitFor('namespace usable', async () => pgDts(['list'], env).status === 0, 30_000, 1_000);

    const file = join(mkdtempSync(join(tmpdir(), 'pg-dts-spec-')), 'spec.json');
    writeFileSync(file, JSON.stringify(clusterSpec(pg, 'untagged-namespace', { objects: [{ schema: 'tagged' }], tags: { env: 'prod' } })));
    const started = pgDts(['start', '--spec', file], env);
    assert.equal(started.status, 0, started.stderr);
    assert.match(started.stderr, new RegExp(`PgDtsTags is not registered in namespace ${namespace}, so this task's tags cannot be searched; run pg-dts register-search-attributes`));
    assert.match(started.stdout, /started task untagged-namespace/);
    temporalCli(['workflow', 'terminate', '--namespace', namespace, '--workflow-id', 'untagged-namespace', '--reason', 'test over']);

    const filtered = pgDts(['list', '--tag', 'env=prod'], env);
    assert.notEqual(filtered.status, 0);
    assert.match(filtered.stderr, new RegExp(`cannot filter by tag: search attribute PgDtsTags is not registered in namespace ${namespace}; run pg-dts register-search-attributes`));
  });
});
