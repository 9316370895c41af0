// The worker's /metrics endpoint, served when PG_DTS_METRICS_PORT is set (9464 is the usual choice; unset or
// 0 = off); it listens
// on all interfaces so Prometheus can scrape the worker from elsewhere.
import { createServer, type Server } from 'node:http';
import { logger } from '../log';
import { enableMetrics } from './registry';

export const DEFAULT_METRICS_PORT = 9464;

/** The configured port, or null when metrics are off. A bad value is an error naming the variable. */
export function metricsPort(env: NodeJS.ProcessEnv = process.env): number | null {
  const raw = env.PG_DTS_METRICS_PORT;
  if (raw === undefined || raw === '') return null; // off unless asked for (the suggested port is DEFAULT_METRICS_PORT)
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PG_DTS_METRICS_PORT: "${raw}" is not a port; set 1-65535, or 0 to turn metrics off`);
  }
  return port === 0 ? null : port;
}

/** Starts serving GET /metrics; resolves once listening. Returns a stop function. */
export async function startMetricsServer(port: number): Promise<() => Promise<void>> {
  const { registry } = enableMetrics();
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found; metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  logger.info({ port }, 'serving Prometheus metrics at /metrics');
  return () => new Promise((resolve) => server.close(() => resolve()));
}
