// Binary COPY streams are built by hand from the documented format
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4), so no database is needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CopyRowCounter } from '../../src/snapshot/copy-row-counter';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

const int16 = (v: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
};
const int32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};

/** A field: null = SQL NULL (length -1), otherwise the value's bytes. */
type Field = Buffer | null;

function binaryCopy(rows: Field[][], extension: Buffer = Buffer.alloc(0), flags = 0): Buffer {
  const parts: Buffer[] = [SIGNATURE, int32(flags), int32(extension.length), extension];
  for (const row of rows) {
    parts.push(int16(row.length));
    for (const field of row) {
      if (field === null) parts.push(int32(-1));
      else parts.push(int32(field.length), field);
    }
  }
  parts.push(int16(-1));
  return Buffer.concat(parts);
}

/** Feeds `chunks` to a fresh counter; checks push()'s return values add up to the final count. */
function count(binary: boolean, chunks: Buffer[]): number {
  const counter = new CopyRowCounter(binary);
  let returned = 0;
  for (const c of chunks) returned += counter.push(c);
  assert.equal(returned, counter.rows, 'sum of push() results differs from rows');
  return counter.rows;
}

const bytewise = (buf: Buffer): Buffer[] => [...buf].map((b) => Buffer.from([b]));

const int4 = (v: number): Buffer => int32(v);
const text = (s: string): Buffer => Buffer.from(s, 'utf8');

/** A stream exercising every field kind: normal, NULL, empty, large, and a value that looks like a trailer. */
function mixedStream(): { stream: Buffer; rows: number } {
  const rows: Field[][] = [
    [int4(1), text('alpha'), null],
    [int4(2), null, Buffer.alloc(0)],
    [null, null, null],
    [int4(3), Buffer.alloc(70_000, 0xab), text('')],
    [int4(-1), Buffer.from([0xff, 0xff]), Buffer.from([0xff, 0xff, 0xff, 0xff])], // -1 bytes inside data
    [int4(4), text('line\nbreak'), text('\n')], // newlines inside binary data are not rows
  ];
  return { stream: binaryCopy(rows, Buffer.from('ext-data')), rows: rows.length };
}

describe('CopyRowCounter, binary format', () => {
  it('counts zero rows in a header + trailer stream', () => {
    const stream = binaryCopy([]);
    assert.equal(stream.length, 21);
    assert.equal(count(true, [stream]), 0);
    assert.equal(count(true, bytewise(stream)), 0);
  });

  it('counts rows with NULLs, empty values and large values', () => {
    const rows: Field[][] = [
      [int4(1), null],
      [null, null],
      [Buffer.alloc(0), Buffer.alloc(0)],
      [int4(2), Buffer.alloc(1_000_000, 0x61)],
      [Buffer.alloc(0), null],
    ];
    assert.equal(count(true, [binaryCopy(rows)]), 5);
  });

  it('counts rows with a single column and with many columns', () => {
    assert.equal(count(true, [binaryCopy([[int4(1)], [int4(2)], [null]])]), 3);
    const wide = Array.from({ length: 1600 }, (_, i) => (i % 3 === 0 ? null : int4(i)));
    assert.equal(count(true, [binaryCopy([wide, wide])]), 2);
  });

  it('counts rows with zero fields', () => {
    assert.equal(count(true, [binaryCopy([[], [int4(1)], []])]), 3);
  });

  it('skips a non-empty header extension, even one holding row-like bytes', () => {
    const fake = Buffer.concat([int16(1), int32(4), int4(7), int16(-1)]);
    assert.equal(count(true, [binaryCopy([[int4(1)], [int4(2)]], fake, 1 << 16)]), 2);
    assert.equal(count(true, [binaryCopy([], Buffer.alloc(100, 0xff))]), 0);
  });

  it('ignores anything after the trailer', () => {
    const stream = Buffer.concat([binaryCopy([[int4(1)]]), int16(1), int32(4), int4(9)]);
    assert.equal(count(true, [stream]), 1);
  });

  it('reports per chunk how many rows started in it', () => {
    const { stream } = mixedStream();
    const counter = new CopyRowCounter(true);
    const header = 19 + 'ext-data'.length;
    assert.equal(counter.push(stream.subarray(0, header)), 0);
    assert.equal(counter.push(stream.subarray(header, header + 1)), 0); // half of the first field count
    assert.equal(counter.push(stream.subarray(header + 1, header + 2)), 1);
    assert.equal(counter.push(stream.subarray(header + 2)), 5);
    assert.equal(counter.rows, 6);
  });

  it('gives the same total for the stream split at every point into two chunks', () => {
    const rows: Field[][] = [
      [int4(1), text('alpha'), null],
      [int4(2), null, Buffer.alloc(0)],
      [null, null, null],
      [int4(3), Buffer.alloc(300, 0xab), text('')],
      [int4(-1), Buffer.from([0xff, 0xff]), Buffer.from([0xff, 0xff, 0xff, 0xff])],
      [],
      [int4(4), text('line\nbreak'), text('\n')],
    ];
    const stream = binaryCopy(rows, Buffer.from('ext-data'));
    for (let at = 0; at <= stream.length; at++) {
      assert.equal(count(true, [stream.subarray(0, at), stream.subarray(at)]), rows.length, `split at byte ${at}`);
    }
  });

  it('gives the same total fed byte by byte and in odd-sized chunks', () => {
    const { stream, rows } = mixedStream();
    assert.equal(count(true, [stream]), rows);
    assert.equal(count(true, bytewise(stream)), rows);
    for (const size of [2, 3, 5, 7, 4096, 65_536]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      assert.equal(count(true, chunks), rows, `chunks of ${size} bytes`);
    }
  });

  it('accepts empty chunks anywhere', () => {
    const stream = binaryCopy([[int4(1), null], [text('x'), Buffer.alloc(0)]]);
    const chunks = [Buffer.alloc(0), ...bytewise(stream).flatMap((b) => [b, Buffer.alloc(0)])];
    assert.equal(count(true, chunks), 2);
  });
});

describe('CopyRowCounter, text format', () => {
  it('counts newline bytes', () => {
    assert.equal(count(false, [text('1\talpha\n2\t\\N\n3\tline\\nbreak\n')]), 3);
    assert.equal(count(false, [Buffer.alloc(0)]), 0);
    assert.equal(count(false, [text('no newline yet')]), 0);
    assert.equal(count(false, [text('\n\n\n')]), 3);
  });

  it('counts a row once whatever the chunking, on the chunk holding its newline', () => {
    const stream = text('1\ta\n2\tb\n3\tc\n');
    const counter = new CopyRowCounter(false);
    assert.equal(counter.push(stream.subarray(0, 3)), 0);
    assert.equal(counter.push(stream.subarray(3, 9)), 2);
    assert.equal(counter.push(stream.subarray(9)), 1);
    for (let at = 0; at <= stream.length; at++) {
      assert.equal(count(false, [stream.subarray(0, at), stream.subarray(at)]), 3, `split at byte ${at}`);
    }
    assert.equal(count(false, bytewise(stream)), 3);
  });
});
