// The fast decoder must produce exactly what the library's parser produces (with text values kept).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { FastPgoutputDecoder } from '../../src/stream/pgoutput-fast';

const u8 = (n: number) => Buffer.from([n]);
const i16 = (n: number) => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
const i32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
const u64 = (n: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(n); return b; };
const str = (s: string) => Buffer.concat([Buffer.from(s), u8(0)]);
const ch = (c: string) => Buffer.from(c);
type Val = string | null | 'u';
const tuple = (vals: Val[]) => Buffer.concat([i16(vals.length), ...vals.map((v) =>
  v === null ? ch('n') : v === 'u' ? ch('u') : Buffer.concat([ch('t'), i32(Buffer.byteLength(v)), Buffer.from(v)]))]);

const relation = Buffer.concat([ch('R'), i32(16384), str('s'), str('t'), ch('d'), i16(3),
  u8(1), str('id'), i32(23), i32(-1), u8(0), str('big'), i32(25), i32(-1), u8(0), str('__proto__'), i32(25), i32(-1)]);
const messages: Buffer[] = [
  Buffer.concat([ch('B'), u64(0x1_0000_2000n), u64(123_456_789n), i32(42)]),
  Buffer.concat([ch('I'), i32(16384), ch('N'), tuple(['1', 'héllo "x" \\ ✓', null])]),
  Buffer.concat([ch('U'), i32(16384), ch('N'), tuple(['1', 'u', 'p'])]),
  Buffer.concat([ch('U'), i32(16384), ch('K'), tuple(['1', null, null]), ch('N'), tuple(['2', 'u', ''])]),
  Buffer.concat([ch('U'), i32(16384), ch('O'), tuple(['2', 'old big', 'q']), ch('N'), tuple(['2', 'u', 'r'])]),
  Buffer.concat([ch('D'), i32(16384), ch('K'), tuple(['2', null, null])]),
  Buffer.concat([ch('D'), i32(16384), ch('O'), tuple(['3', 'b', null])]),
  Buffer.concat([ch('C'), u8(0), u64(0x1_0000_2000n), u64(0x1_0000_2040n), u64(123_456_789n)]),
];

/** Plain-object view (the library and the decoder both build prototype-less rows). */
const plain = (m: Pgoutput.Message): unknown => JSON.parse(JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'function' ? undefined : v)));

describe('fast pgoutput decoder', () => {
  it('decodes begin, commit, insert, update (plain, K, O, unchanged TOAST) and delete as the library does', () => {
    const library = new PgoutputPlugin({ protoVersion: 1, publicationNames: ['p'] });
    const fast = new FastPgoutputDecoder((b) => {
      const m = library.parse(b);
      if (m.tag === 'relation') for (const c of m.columns) c.parser = (raw: unknown) => raw;
      return m;
    });
    fast.decode(relation);
    for (const buf of messages) {
      const expected = library.parse(buf);
      assert.deepEqual(plain(fast.decode(buf)), plain(expected), `message ${String.fromCharCode(buf[0]!)}`);
    }
  });

  it('keeps a column named __proto__ as data and refuses a change before its relation', () => {
    const fast = new FastPgoutputDecoder((b) => new PgoutputPlugin({ protoVersion: 1, publicationNames: ['p'] }).parse(b));
    assert.throws(() => fast.decode(messages[1]!), /before its relation message/);
    fast.decode(relation);
    const ins = fast.decode(messages[1]!) as Pgoutput.MessageInsert;
    assert.equal(ins.new['__proto__'], null);
    assert.equal(Object.getPrototypeOf(ins.new), null);
  });
});
