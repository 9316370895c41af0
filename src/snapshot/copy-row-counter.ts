// Counts rows in a COPY data stream as it passes, without buffering it: the throttle (rows per second)
// and the live progress need row counts long before the destination reports its total at the end.
//
// Text format: one row per newline byte (a newline inside a value is escaped as "\n").
// Binary format: 19-byte header + extension, then per row an int16 field count followed by, per field,
// an int32 length (-1: NULL) and that many bytes; a field count of -1 ends the data. The parser keeps
// only the few bytes of an integer split across two chunks.

const SIGNATURE_AND_FLAGS = 15; // 11-byte signature + int32 flags
const NEWLINE = 0x0a;

type State = 'header' | 'extensionLength' | 'extension' | 'fieldCount' | 'fieldLength' | 'fieldData' | 'trailer';

export class CopyRowCounter {
  rows = 0;
  private state: State;
  /** Bytes still to skip (header, extension, field data). */
  private skip = 0;
  /** An integer being assembled across chunks. */
  private partial: number[] = [];
  private fieldsLeft = 0;

  constructor(private readonly binary: boolean) {
    this.state = 'header';
    this.skip = SIGNATURE_AND_FLAGS;
  }

  /** Feeds a chunk; returns how many rows started in it. */
  push(chunk: Buffer): number {
    const before = this.rows;
    if (!this.binary) {
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) this.rows++;
      return this.rows - before;
    }
    let i = 0;
    while (i < chunk.length && this.state !== 'trailer') {
      if (this.state === 'fieldCount' && this.skip === 0 && this.partial.length === 0) {
        i = this.wholeTuples(chunk, i);
        if (i >= chunk.length || this.state !== 'fieldCount') break;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        if (this.skip === 0) this.afterSkip();
        continue;
      }
      const width = this.state === 'fieldCount' ? 2 : 4;
      // Fast path: the whole integer is in this chunk (nearly always; this runs per field of every row).
      if (this.partial.length === 0 && i + width <= chunk.length) {
        this.onInteger(width === 2 ? chunk.readInt16BE(i) : chunk.readInt32BE(i));
        i += width;
        continue;
      }
      this.partial.push(chunk[i++]!);
      if (this.partial.length < width) continue;
      const buf = Buffer.from(this.partial);
      this.partial = [];
      this.onInteger(width === 2 ? buf.readInt16BE(0) : buf.readInt32BE(0));
    }
    return this.rows - before;
  }

  /**
   * The hot path: walks complete tuples in place, with plain byte arithmetic, until the chunk ends inside
   * one (then the state machine below takes the partial tuple from its start) or the trailer arrives.
   */
  private wholeTuples(b: Buffer, start: number): number {
    const len = b.length;
    let i = start;
    while (i + 2 <= len) {
      const fields = (b[i]! << 8) | b[i + 1]!;
      if (fields === 0xffff) {
        this.state = 'trailer';
        return i + 2;
      }
      let j = i + 2;
      let f = 0;
      for (; f < fields && j + 4 <= len; f++) {
        const l = (b[j]! << 24) | (b[j + 1]! << 16) | (b[j + 2]! << 8) | b[j + 3]!; // signed: NULL is -1
        j += 4 + (l > 0 ? l : 0);
        if (j > len) break;
      }
      if (f < fields || j > len) return i; // the tuple continues in the next chunk
      this.rows++;
      i = j;
    }
    return i;
  }

  private afterSkip(): void {
    if (this.state === 'header') this.state = 'extensionLength';
    else if (this.state === 'extension') this.state = 'fieldCount';
    else if (this.state === 'fieldData') this.nextField();
  }

  private onInteger(value: number): void {
    switch (this.state) {
      case 'extensionLength':
        this.state = 'extension';
        this.skip = value;
        if (value === 0) this.state = 'fieldCount';
        return;
      case 'fieldCount':
        if (value === -1) {
          this.state = 'trailer';
          return;
        }
        this.rows++;
        this.fieldsLeft = value;
        this.state = 'fieldLength';
        if (value === 0) this.state = 'fieldCount';
        return;
      case 'fieldLength':
        if (value > 0) {
          this.state = 'fieldData';
          this.skip = value;
        } else this.nextField(); // NULL (-1) or empty value: no data bytes
        return;
      default:
        throw new Error(`COPY row counter: unexpected integer in state ${this.state}`);
    }
  }

  private nextField(): void {
    this.fieldsLeft--;
    this.state = this.fieldsLeft > 0 ? 'fieldLength' : 'fieldCount';
  }
}
