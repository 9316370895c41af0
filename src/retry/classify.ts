// Which retry window a failure falls in. Connection failures — the network, the server going away or not
// accepting connections yet — may last as long as `retry.connectionMinutes` (an outage, a failover, a
// restart); anything else is an "other issue" (`retry.otherMinutes`): a bug, a refused statement, a full
// disk — worth a few retries, not hours of them.
export type FailureClass = 'connection' | 'other';

/** Node socket errors a dropped or refused connection surfaces as. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/** SQLSTATEs of a server that shuts down, restarts, or cannot take the connection right now. */
const CONNECTION_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded (e.g. max_wal_senders reached)
]);

/** Messages pg and pg-logical-replication use when the socket is gone (no code attached). */
const CONNECTION_MESSAGES =
  /connection terminated|terminating connection|server closed the connection|connection refused|Client has encountered a connection error|timeout expired|socket hang up|the source ended the replication stream/i;

export function classifyFailure(err: unknown): FailureClass {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const x = e as { code?: unknown; message?: unknown; cause?: unknown };
    const code = typeof x.code === 'string' ? x.code : '';
    if (NETWORK_CODES.has(code) || CONNECTION_SQLSTATES.has(code) || code.startsWith('08')) return 'connection';
    // The retry window's own failures carry the class they were given.
    if ((x as { type?: unknown }).type === 'ConnectionFailure') return 'connection';
    if (typeof x.message === 'string' && CONNECTION_MESSAGES.test(x.message)) return 'connection';
    e = x.cause;
  }
  return 'other';
}
