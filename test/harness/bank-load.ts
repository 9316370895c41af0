// A pgbench-style (TPC-B-like) schema and write load, written in Node because the embedded PostgreSQL
// package ships no pgbench binary. The load survives its database being crash-restarted: each client loop
// reconnects and carries on, counting what failed. The source is the truth, so a transaction whose COMMIT
// outcome is unknown needs no bookkeeping beyond a counter: replication must copy whatever did commit.
import { Client } from 'pg';

export const BANK_SCHEMA = `
CREATE SCHEMA bank;
CREATE TABLE bank.branches (bid int PRIMARY KEY, bbalance int NOT NULL, filler char(88));
CREATE TABLE bank.tellers (tid int PRIMARY KEY, bid int NOT NULL, tbalance int NOT NULL, filler char(84));
CREATE TABLE bank.accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL, filler char(84));
CREATE TABLE bank.history (
  hid bigserial PRIMARY KEY, tid int, bid int, aid int, delta int, mtime timestamp, filler char(22)
);
`;

/** Table -> ORDER BY key, for row-level checksums. */
export const BANK_TABLES: Record<string, string> = {
  'bank.branches': 'bid',
  'bank.tellers': 'tid',
  'bank.accounts': 'aid',
  'bank.history': 'hid',
};

export interface BankScale {
  accounts: number;
  branches: number;
  tellersPerBranch: number;
}

export const DEFAULT_BANK_SCALE: BankScale = { accounts: 20_000, branches: 4, tellersPerBranch: 10 };

/** Creates the schema and seeds it, pgbench-style (zero balances), with fillers that differ per row. */
export async function seedBank(db: Client, scale: BankScale = DEFAULT_BANK_SCALE): Promise<void> {
  await db.query(BANK_SCHEMA);
  await db.query(`INSERT INTO bank.branches SELECT g, 0, 'branch ' || g FROM generate_series(1, $1) g`, [scale.branches]);
  await db.query(
    `INSERT INTO bank.tellers SELECT g, 1 + (g - 1) / $2, 0, 'teller ' || g FROM generate_series(1, $1) g`,
    [scale.branches * scale.tellersPerBranch, scale.tellersPerBranch],
  );
  await db.query(
    `INSERT INTO bank.accounts SELECT g, 1 + (g - 1) % $2, 0, 'account ' || g FROM generate_series(1, $1) g`,
    [scale.accounts, scale.branches],
  );
  await db.query('ANALYZE bank.branches, bank.tellers, bank.accounts');
}

/** A fresh session on a local cluster (trust auth for `postgres`), with a bound on any single query. */
export async function connectLocal(port: number, applicationName = 'bank-load'): Promise<Client> {
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', application_name: applicationName, query_timeout: 20_000 });
  c.on('error', () => undefined); // a dropped connection surfaces as a failed query instead
  await c.connect();
  return c;
}

export interface BankLoadOptions {
  /** Opens a session; called again after the previous one failed. */
  connect: () => Promise<Client>;
  clients: number;
  /** Total transactions per second over all clients; 0 runs as fast as possible. */
  targetTps: number;
  scale?: BankScale;
  /** Every n-th transaction of a client is an extra one: a delete + reinsert or a primary-key flip. */
  extraEvery?: number;
}

export interface BankLoadStats {
  /** Transactions whose COMMIT returned. */
  committed: number;
  tpcb: number;
  reinserts: number;
  keyFlips: number;
  /** Failed before COMMIT was sent (rolled back; e.g. a connection killed by a restart, a deadlock). */
  failed: number;
  /** Failed while COMMIT was in flight: committed or not, the source alone knows. */
  unknown: number;
  reconnects: number;
  lastError: string | null;
}

export interface BankLoad {
  stats(): BankLoadStats;
  /** Stops every client after its current transaction and returns the final counters. */
  stop(): Promise<BankLoadStats>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const randInt = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));

type Kind = 'tpcb' | 'reinsert' | 'keyflip';

class CommitUnknown extends Error {}

/** Runs fn inside BEGIN/COMMIT; a failed COMMIT is reported as CommitUnknown. */
async function transaction(db: Client, fn: () => Promise<void>): Promise<void> {
  await db.query('BEGIN');
  try {
    await fn();
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  try {
    await db.query('COMMIT');
  } catch (err) {
    throw new CommitUnknown(String(err));
  }
}

async function runOne(db: Client, kind: Kind, scale: BankScale): Promise<void> {
  const aid = randInt(1, scale.accounts);
  if (kind === 'tpcb') {
    const tellers = scale.branches * scale.tellersPerBranch;
    const tid = randInt(1, tellers);
    const bid = randInt(1, scale.branches);
    const delta = randInt(-5000, 5000);
    // pgbench's built-in script, with prepared statements (pgbench -M prepared).
    return transaction(db, async () => {
      await db.query({ name: 'tpcb_acc', text: 'UPDATE bank.accounts SET abalance = abalance + $1 WHERE aid = $2', values: [delta, aid] });
      await db.query({ name: 'tpcb_sel', text: 'SELECT abalance FROM bank.accounts WHERE aid = $1', values: [aid] });
      await db.query({ name: 'tpcb_tel', text: 'UPDATE bank.tellers SET tbalance = tbalance + $1 WHERE tid = $2', values: [delta, tid] });
      await db.query({ name: 'tpcb_bra', text: 'UPDATE bank.branches SET bbalance = bbalance + $1 WHERE bid = $2', values: [delta, bid] });
      await db.query({
        name: 'tpcb_his',
        text: 'INSERT INTO bank.history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)',
        values: [tid, bid, aid, delta],
      });
    });
  }
  if (kind === 'reinsert') {
    // The same key deleted and inserted again in one transaction, with a different row.
    return transaction(db, async () => {
      const gone = await db.query('DELETE FROM bank.accounts WHERE aid = $1 RETURNING bid, abalance', [aid]);
      if (!gone.rowCount) return; // the account's key is flipped just now
      await db.query(`INSERT INTO bank.accounts (aid, bid, abalance, filler) VALUES ($1, $2, $3, 'reinserted ' || now())`, [
        aid, gone.rows[0].bid, gone.rows[0].abalance,
      ]);
    });
  }
  // A primary-key change, undone by the next flip of the same account: aid <-> -aid.
  return transaction(db, async () => {
    await db.query('UPDATE bank.accounts SET aid = -aid, filler = $3 WHERE aid IN ($1, $2)', [aid, -aid, `flipped ${Date.now()}`]);
  });
}

/** Starts `clients` concurrent client loops; each reconnects and retries when its session fails. */
export function startBankLoad(opts: BankLoadOptions): BankLoad {
  const scale = opts.scale ?? DEFAULT_BANK_SCALE;
  const extraEvery = opts.extraEvery ?? 25;
  const s: BankLoadStats = { committed: 0, tpcb: 0, reinserts: 0, keyFlips: 0, failed: 0, unknown: 0, reconnects: 0, lastError: null };
  let running = true;
  const intervalMs = opts.targetTps > 0 ? (1000 * opts.clients) / opts.targetTps : 0;

  const loop = async (client: number): Promise<void> => {
    let db: Client | null = null;
    let n = 0;
    let next = Date.now() + (intervalMs * client) / opts.clients;
    while (running) {
      if (!db) {
        try {
          db = await opts.connect();
        } catch (err) {
          s.lastError = String(err);
          await sleep(200);
          continue;
        }
      }
      if (intervalMs) {
        const now = Date.now();
        if (next < now - 1000) next = now; // fell behind (e.g. during a restart): no burst to catch up
        if (next > now) await sleep(next - now);
        next += intervalMs;
      }
      n++;
      const kind: Kind = n % extraEvery !== 0 ? 'tpcb' : (n / extraEvery) % 2 ? 'reinsert' : 'keyflip';
      try {
        await runOne(db, kind, scale);
        s.committed++;
        if (kind === 'tpcb') s.tpcb++;
        else if (kind === 'reinsert') s.reinserts++;
        else s.keyFlips++;
      } catch (err) {
        s.lastError = String(err);
        if (err instanceof CommitUnknown) s.unknown++;
        else s.failed++;
        // Keep a session that merely lost a deadlock; replace one that is broken.
        const alive = await db.query('SELECT 1').then(() => true, () => false);
        if (!alive) {
          await db.end().catch(() => undefined);
          db = null;
          s.reconnects++;
          await sleep(100);
        }
      }
    }
    await db?.end().catch(() => undefined);
  };

  const loops = Array.from({ length: opts.clients }, (_, i) => loop(i));
  return {
    stats: () => ({ ...s }),
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return { ...s };
    },
  };
}
