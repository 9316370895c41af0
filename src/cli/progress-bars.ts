// Progress bars drawn by cli-progress, rendered once into strings instead of animated on a terminal.
//
// A MultiBar writes to a collecting stream that says it is not a TTY: cli-progress's Terminal then skips
// every cursor movement, line clearing and escape sequence (they are all guarded by `stream.isTTY`), and
// with `noTTYOutput` the bars are drawn even so. No bar is drawn on create(); stop() draws each bar exactly
// once, in order, with a separate '\n' write between bars, and cancels the redraw timer create() armed
// (nothing is left running). Each bar is therefore one write() call: those are the lines.
import { MultiBar, Presets } from 'cli-progress';

export interface BarRow {
  /** Drawn bar and percentage: value / total. A total of 0 draws an empty bar at 0%. */
  value: number;
  total: number;
  /** Text before the bar (already padded). */
  prefix: string;
  /** Text after the percentage (already padded). */
  suffix: string;
  /** The total is not known: draw the bar empty and "?%" instead of a percentage. */
  unknown?: boolean;
}

export const BAR_SIZE = 20;
/** The glyphs cli-progress's shades_classic preset draws with: complete, incomplete. */
export const BAR_COMPLETE = Presets.shades_classic.barCompleteChar ?? '\u2588';
export const BAR_INCOMPLETE = Presets.shades_classic.barIncompleteChar ?? '\u2591';

const FORMAT = '{prefix} {bar} {percentage}% {suffix}';
const FORMAT_UNKNOWN = '{prefix} {bar}   ?% {suffix}';

const finite = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);

/** One line per row, each with a bar drawn by cli-progress. Pure: same rows, same lines. */
export function renderBars(rows: readonly BarRow[]): string[] {
  if (!rows.length) return [];
  const writes: string[] = [];
  const stream = {
    isTTY: false,
    // Terminal.write() trims each line to `columns`; never trim.
    columns: Number.MAX_SAFE_INTEGER,
    write(chunk: string | Uint8Array): boolean {
      writes.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    },
  };
  const multi = new MultiBar(
    {
      stream: stream as unknown as NodeJS.WritableStream,
      noTTYOutput: true,
      hideCursor: false,
      clearOnComplete: false,
      stopOnComplete: false,
      linewrap: true,
      gracefulExit: false,
      emptyOnZero: true,
      autopadding: true,
      barsize: BAR_SIZE,
      format: FORMAT,
    },
    Presets.shades_classic,
  );
  try {
    for (const r of rows) {
      const total = finite(r.total);
      const value = Math.min(finite(r.value), total);
      multi.create(r.unknown ? 0 : total, r.unknown ? 0 : value, { prefix: r.prefix, suffix: r.suffix }, r.unknown ? { format: FORMAT_UNKNOWN } : {});
    }
  } finally {
    multi.stop(); // draws every bar once and clears the timer create() set
  }
  const lines = writes.filter((w) => w !== '\n').map((w) => w.trimEnd());
  if (lines.length !== rows.length) throw new Error(`cli-progress drew ${lines.length} lines for ${rows.length} bars`);
  return lines;
}
