// Alerts against a real local HTTP receiver: the failure alert through the sendAlert activity function,
// the lag/WAL evaluator, and a webhook that is down or slow never throwing into the caller. The worker's
// allow-list (PG_DTS_WEBHOOK_ALLOW) refuses loopback, link-local and metadata targets unless listed: this
// file lists 127.0.0.1 as a worker running next to its receiver would, and checks what is refused.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, it, mock } from 'node:test';
import { sendAlert } from '../../activities/alerts';
import { incrementalAlerts } from '../../src/alerts/incremental';
import { postAlert } from '../../src/alerts/webhook';
import { logger } from '../../src/log';
import { parseTaskSpec } from '../../src/spec/validate';
import { freePort } from '../../src/util/ports';

interface Received { url?: string; method?: string; headers: IncomingMessage['headers']; body: Record<string, unknown> }

describe('alert webhook', () => {
  let server: Server;
  let url: string;
  const received: Received[] = [];
  let waiters: Array<() => void> = [];
  const next = (n: number): Promise<void> => new Promise((resolve) => {
    const check = (): void => (received.length >= n ? resolve() : void waiters.push(check));
    check();
  });

  const allowBefore = process.env.PG_DTS_WEBHOOK_ALLOW;
  before(async () => {
    process.env.PG_DTS_WEBHOOK_ALLOW = '127.0.0.1'; // the worker setting: this receiver is allowed
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (d) => (data += d));
      req.on('end', () => {
        received.push({ url: req.url, method: req.method, headers: req.headers, body: data ? JSON.parse(data) : {} });
        const w = waiters;
        waiters = [];
        w.forEach((f) => f());
        if (req.url === '/redirect') res.writeHead(307, { location: `http://127.0.0.1:${(server.address() as { port: number }).port}/elsewhere` }).end();
        else res.writeHead(req.url === '/fail' ? 500 : 204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  after(() => {
    server.close();
    if (allowBefore === undefined) delete process.env.PG_DTS_WEBHOOK_ALLOW;
    else process.env.PG_DTS_WEBHOOK_ALLOW = allowBefore;
  });

  const spec = (alerts: Record<string, unknown>) => parseTaskSpec({
    name: 'orders',
    source: { url: 'postgresql://repl@db1:5432/app', passwordEnv: 'PG_DTS_PW_SRC' },
    destination: { url: 'postgres://dts@db2/app' },
    objects: [{ schema: 'public' }],
    alerts: { webhook: { url, headers: { authorization: 'Bearer s3cr3t' } }, ...alerts },
  });

  it('sendAlert POSTs the failure with the configured headers and no endpoint details', async () => {
    received.length = 0;
    const delivered = await sendAlert({ taskId: 'orders-id', spec: spec({}), kind: 'failure', message: 'retry window exceeded: connection refused' });
    assert.equal(delivered, true);
    assert.equal(received.length, 1);
    const { headers, body } = received[0];
    assert.equal(headers.authorization, 'Bearer s3cr3t');
    assert.equal(headers['content-type'], 'application/json');
    assert.deepEqual({ ...body, at: undefined }, {
      task: 'orders-id', name: 'orders', kind: 'failure', state: 'firing', value: null, threshold: null, at: undefined,
      message: 'task orders failed: retry window exceeded: connection refused',
    });
    assert.ok(!Number.isNaN(Date.parse(String(body.at))));
    const text = JSON.stringify(body);
    assert.ok(!/db1|db2|repl@|PG_DTS_PW_SRC|s3cr3t/.test(text), `no endpoint or secret in ${text}`);
  });

  it('sendAlert sends nothing when onFailure is false or no alerts are configured', async () => {
    received.length = 0;
    assert.equal(await sendAlert({ taskId: 't', spec: spec({ onFailure: false }), kind: 'failure', message: 'x' }), false);
    const { alerts: _, ...noAlerts } = spec({});
    assert.equal(await sendAlert({ taskId: 't', spec: noAlerts, kind: 'failure', message: 'x' }), false);
    assert.equal(received.length, 0);
  });

  it('the evaluator fires lag after its duration, WAL at once, and resolves both', async () => {
    received.length = 0;
    const evaluate = incrementalAlerts('orders-id', spec({ lag: { seconds: 5, forSeconds: 6 }, retainedWalBytes: 1000 }));
    // Lag is an age: 6 s at 0 has been above 5 s since -1 s (and 9 s or more would fire at once).
    evaluate({ lagSeconds: 6, retainedWalBytes: 2000 }, 0);
    await next(1);
    evaluate({ lagSeconds: 6, retainedWalBytes: 2000 }, 3_000);
    evaluate({ lagSeconds: 9.5, retainedWalBytes: 2000 }, 6_000);
    await next(2);
    evaluate({ lagSeconds: 1, retainedWalBytes: 10 }, 9_000);
    await next(4);
    const seen = received.map((r) => `${r.body.kind}:${r.body.state}:${r.body.value}:${r.body.threshold}`);
    assert.deepEqual(seen.slice(0, 2), ['retained-wal:firing:2000:1000', 'lag:firing:9.5:5']);
    assert.deepEqual(seen.slice(2).sort(), ['lag:resolved:1:5', 'retained-wal:resolved:10:1000']);
    assert.match(String(received[1].body.message), /lag 9\.5 s has been above 5 s for 7 s/);
  });

  it('never throws: an error answer, a closed port and a hung receiver all resolve false', async () => {
    const event = { task: 't', name: 't', kind: 'failure' as const, state: 'firing' as const, value: null, threshold: null, at: new Date().toISOString(), message: 'm' };
    assert.equal(await postAlert({ url: url.replace('/hook', '/fail') }, event), false);
    assert.equal(await postAlert({ url: `http://127.0.0.1:${await freePort()}/` }, event), false);
    const hung = createServer(() => undefined); // accepts and never answers
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const t0 = Date.now();
    try {
      assert.equal(await postAlert({ url: `http://127.0.0.1:${(hung.address() as { port: number }).port}/` }, event), false);
      const waited = Date.now() - t0;
      assert.ok(waited >= 4_500 && waited < 9_000, `gave up after ${waited} ms (5 s timeout)`);
    } finally {
      hung.closeAllConnections();
      hung.close();
    }
  });

  const event = { task: 't', name: 't', kind: 'failure' as const, state: 'firing' as const, value: null, threshold: null, at: new Date().toISOString(), message: 'm' };
  const port = (): number => (server.address() as { port: number }).port;
  /** Runs `fn` with logger.warn recorded; returns the warnings (message and fields). */
  const warnings = async (fn: () => Promise<unknown>): Promise<Array<{ msg: string; fields: Record<string, unknown> }>> => {
    const seen: Array<{ msg: string; fields: Record<string, unknown> }> = [];
    const spy = mock.method(logger, 'warn', (fields: Record<string, unknown>, msg: string) => void seen.push({ fields, msg }));
    try {
      await fn();
    } finally {
      spy.mock.restore();
    }
    return seen;
  };

  it('refuses what the worker does not allow: no POST, a log line with the reason', async () => {
    received.length = 0;
    // The worker's default allows public addresses only: this loopback receiver, by address or by name.
    const byDefault = await warnings(async () => {
      assert.equal(await postAlert({ url }, event, { allow: '' }), false);
      assert.equal(await postAlert({ url: `http://localhost:${port()}/hook` }, event, { allow: '' }), false);
    });
    assert.equal(received.length, 0, 'nothing reached the receiver');
    assert.equal(byDefault.length, 2);
    for (const w of byDefault) {
      assert.match(w.msg, /^alert webhook refused: its address is not allowed on this worker \(PG_DTS_WEBHOOK_ALLOW\)$/);
      assert.match(String(w.fields.reason), /(127\.0\.0\.1|::1) is not allowed by PG_DTS_WEBHOOK_ALLOW=public/);
    }
    // The metadata service, literally or mapped into IPv6, even with a worker that allows 127.0.0.1: refused
    // at once (an attempt to connect would take the whole 5 s timeout where nothing answers).
    const t0 = Date.now();
    const metadata = await warnings(async () => {
      assert.equal(await postAlert({ url: 'http://169.254.169.254/latest/meta-data/' }, event), false);
      assert.equal(await postAlert({ url: 'http://[::ffff:169.254.169.254]/' }, event), false);
      assert.equal(await postAlert({ url: 'http://[fe80::1]:8080/' }, event), false);
    });
    assert.ok(Date.now() - t0 < 1_000, 'refused without trying to connect');
    assert.deepEqual(metadata.map((w) => String(w.fields.reason).split(' ')[0]), ['169.254.169.254', '::ffff:a9fe:a9fe', 'fe80::1']);
    assert.match(String(metadata[0]!.fields.reason), /cloud metadata address/);
    assert.equal(metadata[0]!.fields.url, 'http://169.254.169.254/latest/meta-data/');
  });

  it('checks the address a name resolves to at send time, and sends to exactly that address', async () => {
    received.length = 0;
    // A name resolving to the metadata service, or to an allowed address and the metadata service.
    const answers: Record<string, string[]> = { 'metadata.test': ['169.254.169.254'], 'mixed.test': ['127.0.0.1', '169.254.169.254'] };
    const resolve = async (host: string) => (answers[host] ?? []).map((address) => ({ address, family: 4 }));
    const refused = await warnings(async () => {
      assert.equal(await postAlert({ url: `http://metadata.test:${port()}/hook` }, event, { resolve }), false);
      assert.equal(await postAlert({ url: `http://mixed.test:${port()}/hook` }, event, { resolve }), false);
    });
    assert.equal(received.length, 0);
    assert.deepEqual(refused.map((w) => String(w.fields.reason).split(' ')[0]), ['169.254.169.254', '169.254.169.254']);
    // DNS rebinding: the first answer is checked, and the connection goes to it — a second answer
    // (the metadata service) is never asked for.
    let lookups = 0;
    const rebinding = async () => [{ address: lookups++ === 0 ? '127.0.0.1' : '169.254.169.254', family: 4 }];
    assert.equal(await postAlert({ url: `http://rebind.test:${port()}/hook` }, event, { resolve: rebinding }), true);
    assert.equal(lookups, 1);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.headers.host, `rebind.test:${port()}`);
  });

  it('does not follow redirects', async () => {
    received.length = 0;
    const seen = await warnings(async () => assert.equal(await postAlert({ url: `http://127.0.0.1:${port()}/redirect` }, event), false));
    assert.deepEqual(received.map((r) => `${r.method} ${r.url}`), ['POST /redirect'], 'the redirect target got nothing');
    assert.equal(seen[0]!.fields.status, 307);
    assert.equal(seen[0]!.fields.note, 'redirects are not followed');
  });

  it('refuses header values with line breaks at send time too (a spec from before validation)', async () => {
    received.length = 0;
    const seen = await warnings(async () =>
      assert.equal(await postAlert({ url, headers: { 'x-token': 'a\r\nx-injected: 1' } }, event), false));
    assert.equal(received.length, 0);
    assert.match(String(seen[0]!.fields.reason), /header x-token holds a line break/);
  });
});
