// Alerts against a real local HTTP receiver: the failure alert through the sendAlert activity function,
// the lag/WAL evaluator, and a webhook that is down or slow never throwing into the caller.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { sendAlert } from '../../activities/alerts';
import { incrementalAlerts } from '../../src/alerts/incremental';
import { postAlert } from '../../src/alerts/webhook';
import { parseTaskSpec } from '../../src/spec/validate';
import { freePort } from '../../src/util/ports';

interface Received { headers: IncomingMessage['headers']; body: Record<string, unknown> }

describe('alert webhook', () => {
  let server: Server;
  let url: string;
  const received: Received[] = [];
  let waiters: Array<() => void> = [];
  const next = (n: number): Promise<void> => new Promise((resolve) => {
    const check = (): void => (received.length >= n ? resolve() : void waiters.push(check));
    check();
  });

  before(async () => {
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (d) => (data += d));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(data) });
        const w = waiters;
        waiters = [];
        w.forEach((f) => f());
        res.writeHead(req.url === '/fail' ? 500 : 204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  after(() => server.close());

  const spec = (alerts: Record<string, unknown>) => parseTaskSpec({
    name: 'orders',
    source: { url: 'postgresql://repl@db1:5432/app', passwordEnv: 'SRC_PW' },
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
    assert.ok(!/db1|db2|repl@|SRC_PW|s3cr3t/.test(text), `no endpoint or secret in ${text}`);
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
    evaluate({ lagSeconds: 9, retainedWalBytes: 2000 }, 0);
    await next(1);
    evaluate({ lagSeconds: 9, retainedWalBytes: 2000 }, 3_000);
    evaluate({ lagSeconds: 9.5, retainedWalBytes: 2000 }, 6_000);
    await next(2);
    evaluate({ lagSeconds: 1, retainedWalBytes: 10 }, 9_000);
    await next(4);
    const seen = received.map((r) => `${r.body.kind}:${r.body.state}:${r.body.value}:${r.body.threshold}`);
    assert.deepEqual(seen.slice(0, 2), ['retained-wal:firing:2000:1000', 'lag:firing:9.5:5']);
    assert.deepEqual(seen.slice(2).sort(), ['lag:resolved:1:5', 'retained-wal:resolved:10:1000']);
    assert.match(String(received[1].body.message), /lag 9\.5 s has been above 5 s for 6 s/);
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
});
