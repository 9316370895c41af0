// A heartbeat on the source. Every interval it writes a logical message into the WAL (pgoutput delivers
// it with the `messages` option, PostgreSQL >= 14) and samples the source's WAL position and the WAL the
// slot retains. The message travels through the stream like any change, so when it arrives its timestamp
// tells how far behind the stream truly is, even while the selected tables are idle; and its transaction
// gives the stream a commit to confirm, so the slot keeps advancing.
// Any role can send a logical message with this prefix (pg_logical_emit_message is PUBLIC), so a forged
// heartbeat could make a stream that has fallen behind look current. Each stream signs its heartbeats with a
// key it draws at start and never writes anywhere; a message without the right signature is not one.
// The message is transactional on purpose: a non-transactional one is not flushed before PostgreSQL 17
// (no commit record follows it), and the walsender only sends flushed WAL, so it would arrive late.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Client, type ClientConfig } from 'pg';
import { logger } from '../log';

export interface SourceSample {
  at: number;
  sourceLsn: string;
  retainedWalBytes: number | null;
  /** The source's clock minus this worker's (ms): lag is measured on the source's clock. */
  clockOffsetMs: number;
}

export interface HeartbeatOptions {
  source: ClientConfig;
  slot: string;
  prefix: string;
  intervalMs: number;
  /** The stream's heartbeat key (newHeartbeatKey): signs each message. */
  key: Buffer;
  onSample: (s: SourceSample) => void;
}

export const newHeartbeatKey = (): Buffer => randomBytes(32);

const sign = (key: Buffer, ts: number): string => createHmac('sha256', key).update(String(ts)).digest('base64');

export const heartbeatPrefix = (taskId: string): string => `pg-dts:${taskId}:heartbeat`;

/** Starts the heartbeat; the returned function stops it. Failures are logged and retried next tick. */
export function startSourceHeartbeat(opts: HeartbeatOptions): () => Promise<void> {
  let client: Client | null = null;
  let stopped = false;
  let busy = false;
  const tick = async (): Promise<void> => {
    if (busy || stopped) return;
    busy = true;
    try {
      if (!client) {
        const c = new Client(opts.source);
        c.on('error', () => undefined); // a dropped connection surfaces on the next query
        await c.connect();
        client = c;
      }
      const sent = Date.now();
      const r = await client.query<{ lsn: string; retained: string | null; now_ms: number }>(
        `SELECT pg_current_wal_lsn()::text AS lsn, (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms,
                (SELECT (pg_current_wal_lsn() - restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = $1)::text AS retained,
                pg_logical_emit_message(true, $2::text, $3::text)`,
        [opts.slot, opts.prefix, signedBody(opts.key, Date.now())],
      );
      const row = r.rows[0]!;
      const at = Date.now();
      opts.onSample({ at, sourceLsn: row.lsn, retainedWalBytes: row.retained === null ? null : Number(row.retained), clockOffsetMs: Number(row.now_ms) - (sent + at) / 2 });
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'source heartbeat failed; retrying');
      await client?.end().catch(() => undefined);
      client = null;
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), opts.intervalMs);
  void tick();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await client?.end().catch(() => undefined);
  };
}

export function signedBody(key: Buffer, ts: number): string {
  return JSON.stringify({ ts, sig: sign(key, ts) });
}

/** The emit time carried by one of this stream's heartbeat messages, or null for any other message. */
export function heartbeatTime(prefix: string, key: Buffer, msg: { prefix: string; content: Uint8Array }): number | null {
  if (msg.prefix !== prefix) return null;
  try {
    const { ts, sig } = JSON.parse(Buffer.from(msg.content).toString('utf8')) as { ts?: unknown; sig?: unknown };
    if (typeof ts !== 'number' || typeof sig !== 'string') return null;
    const expected = Buffer.from(sign(key, ts));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given) ? ts : null;
  } catch {
    return null;
  }
}
