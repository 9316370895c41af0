// A local alert webhook for tests: collects every JSON body POSTed to it. The worker must be allowed to
// reach it (PG_DTS_WEBHOOK_ALLOW=127.0.0.1: loopback is refused by default).
import { createServer } from 'node:http';
import { onCleanup } from './cleanup';

export interface ReceivedAlert {
  task: string;
  name: string;
  kind: string;
  state: string;
  value: number | null;
  threshold: number | null;
  at: string;
  message: string;
  refusals?: { at: string; lsn: string; reason: string; statement: string; detail?: string }[];
}

export async function startWebhookReceiver(): Promise<{ url: string; alerts: ReceivedAlert[] }> {
  const alerts: ReceivedAlert[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as ReceivedAlert);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onCleanup(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/alerts`, alerts };
}
