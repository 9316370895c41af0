// POSTs an alert. Never throws: alerts ride along the data path and must not stop it. Failures are
// logged without the URL's query or the headers (either may hold a token).
// The target must be allowed by the worker (PG_DTS_WEBHOOK_ALLOW, webhook-policy.ts): the host name is
// resolved here, every address it resolves to is checked, and the request is sent to the checked address
// (no second resolution); redirects are not followed.
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { logger } from '../log';
import type { AlertsSpec } from '../spec/schema';
import type { AlertEvent } from './event';
import { parseWebhookPolicy, refusal, WEBHOOK_ALLOW_SETTING, WebhookPolicyError } from './webhook-policy';

export const WEBHOOK_TIMEOUT_MS = 5_000;

export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface PostOptions {
  /** Resolves a host name to its addresses (tests replace it); default: the system resolver. */
  resolve?: (host: string) => Promise<ResolvedAddress[]>;
  /** The allow-list; default: the worker's PG_DTS_WEBHOOK_ALLOW. */
  allow?: string;
}

const systemResolve = (host: string): Promise<ResolvedAddress[]> => dnsLookup(host, { all: true, verbatim: true });

/** The URL without query and credentials, for logs. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

/** A header value may not carry line breaks or other control characters (horizontal tab aside). */
// eslint-disable-next-line no-control-regex
export const BAD_HEADER_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

type Verdict = { ok: true; address: ResolvedAddress } | { ok: false; reason: string };

/** Resolves the URL's host and checks every address it resolves to; returns the one to connect to. */
async function target(url: URL, opts: PostOptions): Promise<Verdict> {
  let policy;
  try {
    policy = parseWebhookPolicy(opts.allow ?? process.env[WEBHOOK_ALLOW_SETTING]);
  } catch (err) {
    if (err instanceof WebhookPolicyError) return { ok: false, reason: err.message };
    throw err;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await (opts.resolve ?? systemResolve)(host);
  if (!addresses.length) return { ok: false, reason: `${host} does not resolve` };
  for (const a of addresses) {
    const why = refusal(policy, host, a.address);
    if (why) return { ok: false, reason: why };
  }
  return { ok: true, address: addresses[0]! };
}

/** Sends the request to exactly `address`; resolves with the response status. */
function send(url: URL, address: ResolvedAddress, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<number> {
  const pinned = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void): void => {
    if (options?.all) callback(null, [{ address: address.address, family: address.family }]);
    else callback(null, address.address, address.family);
  }) as unknown as LookupFunction;
  const options: RequestOptions = {
    method: 'POST',
    protocol: url.protocol,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || undefined,
    path: `${url.pathname}${url.search}`,
    headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    lookup: pinned,
    signal,
    ...(url.username ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` } : {}),
  };
  return new Promise<number>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options, (res: IncomingMessage) => {
      res.on('error', reject);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.resume(); // drain, so the connection is closed cleanly
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Returns whether the receiver answered 2xx. */
export async function postAlert(webhook: AlertsSpec['webhook'], event: AlertEvent, opts: PostOptions = {}): Promise<boolean> {
  const where = { task: event.task, kind: event.kind, state: event.state, url: safeUrl(webhook.url) };
  try {
    const url = new URL(webhook.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      logger.warn({ ...where, reason: 'not an http(s) URL' }, 'alert webhook refused');
      return false;
    }
    const headers = webhook.headers ?? {};
    const badHeader = Object.entries(headers).find(([, v]) => BAD_HEADER_VALUE.test(v));
    if (badHeader) {
      logger.warn({ ...where, reason: `header ${badHeader[0]} holds a line break or control character` }, 'alert webhook refused');
      return false;
    }
    const signal = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
    const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    const verdict = await Promise.race([target(url, opts), aborted]);
    if (!verdict.ok) {
      logger.warn({ ...where, reason: verdict.reason }, `alert webhook refused: its address is not allowed on this worker (${WEBHOOK_ALLOW_SETTING})`);
      return false;
    }
    const status = await send(url, verdict.address, headers, JSON.stringify(event), signal);
    if (status < 200 || status > 299) {
      const redirect = status >= 300 && status < 400 ? { note: 'redirects are not followed' } : {};
      logger.warn({ ...where, status, ...redirect }, 'alert webhook answered with an error');
      return false;
    }
    logger.info({ task: event.task, kind: event.kind, state: event.state }, 'alert sent');
    return true;
  } catch (err) {
    const e = err as Error & { code?: string; cause?: { code?: string } };
    logger.warn({ ...where, error: e.name, code: e.code ?? e.cause?.code }, 'alert webhook unreachable');
    return false;
  }
}
