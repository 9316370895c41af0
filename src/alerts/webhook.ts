// POSTs an alert. Never throws: alerts ride along the data path and must not stop it. Failures are
// logged without the URL's query or the headers (either may hold a token).
import { logger } from '../log';
import type { AlertsSpec } from '../spec/schema';
import type { AlertEvent } from './event';

export const WEBHOOK_TIMEOUT_MS = 5_000;

/** The URL without query and credentials, for logs. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

/** Returns whether the receiver answered 2xx. */
export async function postAlert(webhook: AlertsSpec['webhook'], event: AlertEvent): Promise<boolean> {
  try {
    const res = await fetch(webhook.url, {
      method: 'POST',
      headers: { ...webhook.headers, 'content-type': 'application/json' },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await res.arrayBuffer().catch(() => undefined); // drain, so the connection is reused or closed
    if (!res.ok) {
      logger.warn({ task: event.task, kind: event.kind, state: event.state, status: res.status, url: safeUrl(webhook.url) }, 'alert webhook answered with an error');
      return false;
    }
    logger.info({ task: event.task, kind: event.kind, state: event.state }, 'alert sent');
    return true;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    logger.warn({ task: event.task, kind: event.kind, state: event.state, url: safeUrl(webhook.url), error: e.name, code: e.cause?.code }, 'alert webhook unreachable');
    return false;
  }
}
