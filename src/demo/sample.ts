// The sample database of the demo and the end-to-end tests: user types, serial and identity keys,
// composite keys, FKs with cascades, arrays, jsonb, and a steady mixed write load.
import type { Client } from 'pg';

export const SAMPLE_SCHEMA = `
CREATE SCHEMA shop;
CREATE TYPE shop.mood AS ENUM ('happy', 'sad', 'neutral');
CREATE DOMAIN shop.positive_int AS integer CHECK (VALUE > 0);
CREATE TABLE shop.customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text UNIQUE,
  mood shop.mood DEFAULT 'neutral',
  tags text[],
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE shop.orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id int NOT NULL REFERENCES shop.customers (id) ON UPDATE CASCADE,
  amount numeric(12, 2) NOT NULL CHECK (amount >= 0),
  status text NOT NULL DEFAULT 'new',
  payload jsonb,
  placed_at timestamptz DEFAULT now()
);
CREATE INDEX orders_customer_idx ON shop.orders (customer_id);
CREATE TABLE shop.order_lines (
  order_id bigint NOT NULL REFERENCES shop.orders (id) ON DELETE CASCADE,
  line int NOT NULL,
  sku text NOT NULL,
  qty shop.positive_int NOT NULL,
  price numeric,
  PRIMARY KEY (order_id, line)
);
CREATE TABLE shop.audit_log (id bigserial PRIMARY KEY, event text NOT NULL, at timestamptz DEFAULT clock_timestamp());
`;

/** Table -> ORDER BY key, for row-level checksums. */
export const SAMPLE_TABLES: Record<string, string> = {
  'shop.customers': 'id',
  'shop.orders': 'id',
  'shop.order_lines': 'order_id, line',
  'shop.audit_log': 'id',
};

export async function seedRows(db: Client, orders: number): Promise<void> {
  const customers = Math.max(10, Math.floor(orders / 4));
  await db.query(
    `INSERT INTO shop.customers (name, email, mood, tags)
     SELECT 'customer ' || g, 'c' || g || '@example.com', (ARRAY['happy','sad','neutral'])[1 + g % 3]::shop.mood, ARRAY['t' || g % 5, 'x']
       FROM generate_series(1, $1) g`,
    [customers],
  );
  await db.query(
    `INSERT INTO shop.orders (customer_id, amount, payload)
     SELECT 1 + g % $2, (g * 1.37)::numeric(12,2), jsonb_build_object('n', g, 'note', repeat('x', g % 50))
       FROM generate_series(1, $1) g`,
    [orders, customers],
  );
  await db.query(
    `INSERT INTO shop.order_lines (order_id, line, sku, qty, price)
     SELECT o.id, l, 'sku-' || (o.id * l) % 97, 1 + (o.id + l) % 5, 9.99 * l FROM shop.orders o, generate_series(1, 2) l`,
  );
  await db.query(`INSERT INTO shop.audit_log (event) SELECT 'seed ' || g FROM generate_series(1, $1) g`, [orders]);
}

/** One small transaction of the mixed load; `i` varies what it does. */
export async function writeOnce(db: Client, i: number): Promise<void> {
  await db.query('BEGIN');
  try {
    const c = await db.query(
      `INSERT INTO shop.customers (name, email, tags) VALUES ($1, $2, ARRAY['load']) RETURNING id`,
      [`load ${i}`, `load-${i}-${Date.now()}@example.com`],
    );
    const o = await db.query(
      `INSERT INTO shop.orders (customer_id, amount, payload) VALUES ($1, $2, $3) RETURNING id`,
      [c.rows[0].id, (i % 1000) + 0.5, JSON.stringify({ load: i })],
    );
    await db.query(`INSERT INTO shop.order_lines (order_id, line, sku, qty) VALUES ($1, 1, 'load', 1), ($1, 2, 'load', 2)`, [o.rows[0].id]);
    // Touch rows that the full sync may not have copied yet, too.
    await db.query(`UPDATE shop.orders SET status = 'paid', amount = amount + 1 WHERE id = (SELECT id FROM shop.orders ORDER BY random() LIMIT 1)`);
    if (i % 5 === 0) await db.query(`DELETE FROM shop.orders WHERE id = (SELECT id FROM shop.orders ORDER BY random() LIMIT 1)`);
    if (i % 7 === 0) await db.query(`UPDATE shop.customers SET id = id + 1000000 WHERE id = (SELECT max(id) FROM shop.customers WHERE id < 1000000)`);
    await db.query(`INSERT INTO shop.audit_log (event) VALUES ($1)`, [`load ${i}`]);
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK');
    throw err;
  }
}

export interface WriteLoad {
  stop(): Promise<void>;
  writes(): number;
}

/** Writes continuously (optionally at most `perSecond` transactions/s) until stopped. */
export function startWriteLoad(db: Client, perSecond = 0): WriteLoad {
  let running = true;
  let count = 0;
  const loop = (async () => {
    while (running) {
      await writeOnce(db, count++);
      if (perSecond) await new Promise((r) => setTimeout(r, 1000 / perSecond));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
    writes: () => count,
  };
}
