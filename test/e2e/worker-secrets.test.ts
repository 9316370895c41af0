// A spec reads only the secrets the worker was configured to hand out, and a password never crosses a
// connection in clear text without TLS (issue 14, item 5). Real clusters behind a recording TCP proxy: it
// counts the connections a task opens and keeps every byte the client sent, so "refused before any
// connection" and "the password was never sent" are observed on the wire, not inferred.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { Client as PgClient, type ClientConfig } from 'pg';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import { connect } from '../../src/conn/connect';
import { clientConfig } from '../../src/conn/endpoint';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import { releaseAll, onCleanup } from '../harness/cleanup';
import { startClusterPair, TEST_PASSWORD, type ClusterPair } from '../harness/clusters';
import { pgDts, startWorker, temporalClient } from '../harness/temporal';

const ROOT = join(__dirname, '..', '..');
const CLEAR_USER = 'clear_text_role';
const CLEAR_PASSWORD = 'Cl3ar-Pw-never-on-the-wire';
const TENANT_TOKEN = 'other-tenants-token-9f2c';
const OUTSIDE_SECRET = 'outside-file-secret-51a7';

/** A TCP proxy to a cluster that records what clients send. */
interface Recorder {
  port: number;
  connections: number;
  sent(): Buffer;
  reset(): void;
}

async function recordingProxy(targetPort: number): Promise<Recorder> {
  const chunks: Buffer[] = [];
  const rec = { port: 0, connections: 0, sent: () => Buffer.concat(chunks), reset: () => void ((chunks.length = 0), (rec.connections = 0)) };
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    rec.connections++;
    const upstream = netConnect(targetPort, '127.0.0.1');
    open.add(client).add(upstream);
    client.on('data', (d) => chunks.push(Buffer.from(d)));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rec.port = (server.address() as { port: number }).port;
  onCleanup(() => new Promise((resolve) => {
    for (const socket of open) socket.destroy();
    server.close(resolve);
  }));
  return rec;
}

describe('worker secrets and clear-text passwords', () => {
  let pg: ClusterPair;
  let temporal: Client;
  let source: Recorder;
  let destination: Recorder;
  const secretDir = join(mkdtempSync(join(tmpdir(), 'pg-dts-secret-root-')), 'secrets');
  const outside = join(secretDir, '..', 'outside');
  const specDir = mkdtempSync(join(tmpdir(), 'pg-dts-secret-specs-'));
  const viaProxy = (rec: Recorder, user = SECURE_USER): string => `postgresql://${user}@127.0.0.1:${rec.port}/postgres`;

  before(async () => {
    pg = await startClusterPair();
    const src = await pg.source.client();
    await src.query(`CREATE ROLE ${CLEAR_USER} LOGIN SUPERUSER REPLICATION PASSWORD '${CLEAR_PASSWORD}'`);
    await src.query('CREATE TABLE public.t (id int PRIMARY KEY, v text); INSERT INTO public.t VALUES (1, $$a$$), (2, $$b$$)');
    // The role authenticates with pg_hba's `password` method: the server asks for the password in clear text.
    const hba = join(pg.source.dataDir, 'pg_hba.conf');
    writeFileSync(hba, `host all ${CLEAR_USER} 127.0.0.1/32 password\nhost replication ${CLEAR_USER} 127.0.0.1/32 password\n${readFileSync(hba, 'utf8')}`);
    await src.query('SELECT pg_reload_conf()');
    await src.end();
    source = await recordingProxy(pg.source.port);
    destination = await recordingProxy(pg.destination.port);

    mkdirSync(secretDir);
    writeFileSync(join(secretDir, 'source-password'), `${TEST_PASSWORD}\n`);
    writeFileSync(outside, OUTSIDE_SECRET);
    symlinkSync(outside, join(secretDir, 'link-out'));
    temporal = await temporalClient();
    startWorker({
      PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD, PG_DTS_PW_CLEAR: CLEAR_PASSWORD,
      OTHER_TENANT_TOKEN: TENANT_TOKEN, PG_DTS_SECRET_DIR: secretDir,
    });
  });
  after(releaseAll);

  const spec = (name: string, src: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    name,
    source: { url: viaProxy(source), ...src },
    destination: { url: viaProxy(destination), passwordEnv: 'PG_DTS_PW_DST' },
    objects: [{ schema: 'public', tables: ['t'] }],
    ...extra,
  });

  /** Starts a task with `pg-dts start` and returns the message of what failed it. */
  async function failure(name: string, body: Record<string, unknown>): Promise<string> {
    const file = join(specDir, `${name}.json`);
    writeFileSync(file, JSON.stringify(body));
    const started = pgDts(['start', '--spec', file]);
    assert.equal(started.status, 0, started.stderr);
    const err = await temporal.workflow.getHandle(name).result().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError, String(err));
    const cause = (err.cause?.cause ?? err.cause) as Error;
    return cause.message;
  }

  const refusedBeforeConnecting: [string, () => Record<string, unknown>, RegExp][] = [
    ['another tenant\'s variable', () => ({ passwordEnv: 'OTHER_TENANT_TOKEN' }),
      /^source\.passwordEnv: OTHER_TENANT_TOKEN is not a variable this worker hands out: a spec may name only variables whose names start with PG_DTS_PW_ \(worker setting PG_DTS_SECRET_ENV_PREFIX\)/],
    ['a system variable', () => ({ passwordEnv: 'HOME' }), /^source\.passwordEnv: HOME is not a variable this worker hands out/],
    ['a file outside the secret directory', () => ({ passwordFile: outside }),
      /^source\.passwordFile: .*outside is not a file this worker hands out: a spec may name only files inside .*secrets \(worker setting PG_DTS_SECRET_DIR\)/],
    ['a path leaving the directory by ".."', () => ({ passwordFile: `${secretDir}/../outside` }), /^source\.passwordFile: .*secrets\/\.\.\/outside is not a file this worker hands out/],
    ['a relative path leaving the directory', () => ({ passwordFile: '../outside' }), /^source\.passwordFile: \.\.\/outside is not a file this worker hands out/],
    ['a link out of the directory', () => ({ passwordFile: join(secretDir, 'link-out') }), /^source\.passwordFile: .*link-out is not a file this worker hands out/],
    ['a client key outside the directory', () => ({ passwordEnv: 'PG_DTS_PW_SRC', url: `${viaProxy(source)}?sslkey=${encodeURIComponent(outside)}` }),
      /^source\.url sslkey: .*outside is not a file this worker hands out/],
  ];
  for (const [what, src, expected] of refusedBeforeConnecting) {
    it(`refuses ${what} before opening any connection`, async () => {
      source.reset();
      destination.reset();
      const id = `secret-${what.replace(/\W+/g, '-')}`.replace(/-+$/, '');
      const message = await failure(id, { ...spec(id, {}), source: { url: viaProxy(source), ...src() } });
      assert.match(message, expected);
      assert.ok(![TENANT_TOKEN, OUTSIDE_SECRET, TEST_PASSWORD].some((secret) => message.includes(secret)), message);
      assert.equal(source.connections, 0, 'no connection to the source');
      assert.equal(destination.connections, 0, 'no connection to the destination');
      const history = await temporal.workflow.getHandle(id).fetchHistory();
      const activities = history.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
      assert.ok(activities.includes('precheck') && activities.every((a) => a === 'precheck' || a === 'searchAttributesRegistered'), activities.join());
    });
  }

  it('words the refusal of a file the same whether or not it exists', async () => {
    const exists = await failure('secret-file-exists', spec('secret-file-exists', { passwordFile: '/etc/hostname' }));
    const missing = await failure('secret-file-missing', spec('secret-file-missing', { passwordFile: '/etc/pg-dts-no-such-file' }));
    assert.equal(exists.replace('/etc/hostname', 'FILE'), missing.replace('/etc/pg-dts-no-such-file', 'FILE'));
  });

  it('pg-dts precheck refuses a variable outside the prefix before connecting, and passes with allowed ones', async () => {
    // Run without blocking this process: the proxies live in it.
    const run = (name: string, src: Record<string, unknown>) => {
      const file = join(specDir, `${name}.json`);
      writeFileSync(file, JSON.stringify(spec(name, src)));
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'pg-dts.js'), 'precheck', '--spec', file, '--json'], {
        env: { ...process.env, PG_DTS_SECRET_DIR: secretDir, PG_DTS_PW_DST: TEST_PASSWORD, OTHER_TENANT_TOKEN: TENANT_TOKEN },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
    };
    source.reset();
    destination.reset();
    const refused = await run('cli-refused', { passwordEnv: 'OTHER_TENANT_TOKEN' });
    assert.equal(refused.status, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /source\.passwordEnv: OTHER_TENANT_TOKEN is not a variable this worker hands out/);
    assert.equal(source.connections + destination.connections, 0);
    const allowed = await run('cli-allowed', { passwordFile: 'source-password' });
    assert.equal(allowed.status, 0, allowed.stdout + allowed.stderr);
    assert.ok(source.connections > 0);
  });

  it('a task with an allowed file and variable runs', async () => {
    const name = 'secret-allowed';
    const file = join(specDir, `${name}.json`);
    writeFileSync(file, JSON.stringify(spec(name, { passwordFile: 'source-password' }, { syncTypes: ['schema', 'full'] })));
    assert.equal(pgDts(['start', '--spec', file]).status, 0);
    const result = await temporal.workflow.getHandle(name).result();
    assert.equal(result.phase, 'released');
    const dst = await pg.destination.client();
    assert.equal((await dst.query('SELECT count(*)::int AS n FROM public.t')).rows[0].n, 2);
    await dst.end();
  });

  describe('a server asking for the password in clear text without TLS', () => {
    const config = (): ClientConfig => clientConfig('source', { url: viaProxy(source, CLEAR_USER), passwordEnv: 'PG_DTS_PW_CLEAR' }, 'pg-dts:test');
    const neverSent = (): void => assert.ok(!source.sent().includes(CLEAR_PASSWORD), 'the password crossed the wire');
    const refusal = /the server at 127\.0\.0\.1:\d+ asked for the password in clear text on a connection without verified TLS; pg-dts did not send it\. Use scram-sha-256 .* PG_DTS_CLEARTEXT_PASSWORD_HOSTS=127\.0\.0\.1/;

    before(() => void (process.env.PG_DTS_PW_CLEAR = CLEAR_PASSWORD));

    it('gets no password: sessions, replication connections and the streaming service are refused', async () => {
      source.reset();
      await assert.rejects(connect(config()), refusal);
      await assert.rejects(connect({ ...config(), replication: 'database' } as ClientConfig), refusal);
      const plain = new PgClient(config()); // the way heartbeats and watches open theirs
      plain.on('error', () => undefined);
      await assert.rejects(plain.connect(), refusal);
      const service = new LogicalReplicationService(config(), { acknowledge: { auto: false, timeoutSeconds: 0 } });
      service.on('error', () => undefined);
      await assert.rejects(service.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: ['p'] }), 'no_slot'), refusal);
      await service.destroy().catch(() => undefined);
      assert.ok(source.connections >= 4);
      neverSent();
    });

    it('is answered when the worker allows clear text to that host (the proxy would have seen it)', async () => {
      source.reset();
      process.env.PG_DTS_CLEARTEXT_PASSWORD_HOSTS = 'db.example, 127.0.0.1';
      try {
        const c = await connect(config());
        assert.equal((await c.query('SELECT current_user AS u')).rows[0].u, CLEAR_USER);
        await c.end();
      } finally {
        delete process.env.PG_DTS_CLEARTEXT_PASSWORD_HOSTS;
      }
      assert.ok(source.sent().includes(CLEAR_PASSWORD));
    });

    it('fails the task with the reason and the fix, and the password never reaches the server', async () => {
      source.reset();
      const name = 'secret-cleartext';
      const message = await failure(name, { ...spec(name, {}), source: { url: viaProxy(source, CLEAR_USER), passwordEnv: 'PG_DTS_PW_CLEAR' } });
      assert.match(message, /FAIL source-connect: cannot connect to the source: the server at 127\.0\.0\.1:\d+ asked for the password in clear text/);
      assert.ok(source.connections >= 1);
      neverSent();
    });
  });

  it('never uses PGPASSWORD: an endpoint that names no password gets none', async () => {
    process.env.PGPASSWORD = TEST_PASSWORD;
    process.env.PGPASSFILE = join(specDir, 'no-pgpass');
    process.env.PG_DTS_PW_SRC = TEST_PASSWORD;
    try {
      await assert.rejects(connect(clientConfig('source', { url: pg.source.url('postgres', SECURE_USER) }, 'pg-dts:test')), /password/);
      const named = await connect(clientConfig('source', { url: pg.source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_SRC' }, 'pg-dts:test'));
      await named.end();
    } finally {
      delete process.env.PGPASSWORD;
      delete process.env.PGPASSFILE;
      delete process.env.PG_DTS_PW_SRC;
    }
  });
});
