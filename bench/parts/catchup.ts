// Times a catch-up the way anchors.sh does: from the moment the subscriber is let go (ENABLE / resume)
// until the source slot's confirmed_flush_lsn reaches the target LSN noted after the backlog was written.
// The slot is the subscriber's own durable promise ("everything up to here is applied"), so the same
// clock works for native replication and for pg-dts.
import type { Client } from 'pg';
import { say } from './log';

export interface CatchUpResult {
  seconds: number;
  /**
   * From the start of the clock until a walsender was streaming from the slot: the fixed start-up cost
   * (native: the launcher starting an apply worker; pg-dts: the workflow scheduling the stream activity
   * and the worker connecting). The rest of `seconds` is decoding, applying and confirming.
   */
  attachSeconds: number | null;
  /**
   * How long confirmed_flush_lsn sat still just before it reached the target. Large when the subscriber
   * confirms in big steps (big destination transactions) or only confirms the tail of the WAL late (e.g.
   * when it answers only keepalives that request a reply); shown so such a step is not mistaken for
   * apply speed.
   */
  finalStallSeconds: number;
  stalledAt: string | null;
}

export interface CatchUpOptions {
  timeoutMs: number;
  /** Extra text for the progress line (e.g. pg-dts's own rows/s). */
  progress?: () => Promise<string>;
}

export async function timeSlotCatchUp(src: Client, slot: string, target: string, startedAt: number, opts: CatchUpOptions): Promise<CatchUpResult> {
  let lastLsn: string | null = null;
  let lastChangeAt = startedAt;
  let nextProgress = startedAt + 5000;
  let attachSeconds: number | null = null;
  for (;;) {
    const r = await src.query<{ lsn: string | null; done: boolean | null; behind: string | null; active: boolean }>(
      `SELECT active, confirmed_flush_lsn::text AS lsn, confirmed_flush_lsn >= $2::pg_lsn AS done,
              pg_wal_lsn_diff($2::pg_lsn, confirmed_flush_lsn)::bigint::text AS behind
         FROM pg_replication_slots WHERE slot_name = $1`,
      [slot, target],
    );
    const now = Date.now();
    const row = r.rows[0];
    if (!row) throw new Error(`replication slot ${slot} disappeared during catch-up`);
    if (attachSeconds === null && row.active) attachSeconds = (now - startedAt) / 1000;
    if (row.done) {
      const stall = (now - lastChangeAt) / 1000;
      return { seconds: (now - startedAt) / 1000, attachSeconds, finalStallSeconds: stall, stalledAt: lastLsn };
    }
    if (row.lsn !== lastLsn) {
      lastLsn = row.lsn;
      lastChangeAt = now;
    }
    if (now - startedAt > opts.timeoutMs) {
      throw new Error(`catch-up of slot ${slot} not done after ${Math.round(opts.timeoutMs / 1000)} s: confirmed ${row.lsn}, target ${target}`);
    }
    if (now >= nextProgress) {
      nextProgress = now + 5000;
      const mb = row.behind === null ? '?' : (Number(row.behind) / 1e6).toFixed(1);
      say(`  … catch-up ${((now - startedAt) / 1000).toFixed(0)} s: slot ${slot} confirmed ${row.lsn}, ${mb} MB of WAL to go${opts.progress ? `; ${await opts.progress()}` : ''}`);
    }
    // anchors.sh polls every 20 ms; so do we (the figure's resolution).
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** The catch-up line, plus a note when the slot's last step hid a long still period. */
export function reportCatchUp(label: string, r: CatchUpResult): void {
  say(`  ${label} catch-up: ${r.seconds.toFixed(2)} s (streaming from the slot after ${r.attachSeconds?.toFixed(2) ?? '?'} s)`);
  if (r.finalStallSeconds > 1) {
    say(`  note: confirmed_flush_lsn sat at ${r.stalledAt} for ${r.finalStallSeconds.toFixed(1)} s, then reached the target in one step`);
  }
}
