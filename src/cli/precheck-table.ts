// The precheck report as a plain-text table (id, level, result, message, fix) that fits the terminal:
// the message and fix columns wrap at word boundaries. No dependency: five columns do not need one.
import type { CheckResult, PrecheckReport } from '../precheck/types';

const HEAD = ['ID', 'LEVEL', 'RESULT', 'MESSAGE', 'FIX'] as const;

export function resultLabel(r: CheckResult): string {
  if (r.passed) return 'ok';
  if (r.ignored) return 'ignored';
  return r.level === 'fail' ? 'FAILED' : 'WARNING';
}

/** Splits text into lines of at most `width` characters, breaking at spaces (or inside an over-long word). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > width) {
      if (line) lines.push(line);
      lines.push(word.slice(0, width));
      word = word.slice(width);
      line = '';
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line || !lines.length) lines.push(line);
  return lines;
}

export function formatPrecheckTable(report: PrecheckReport, totalWidth = 160): string {
  const rows = report.results.map((r) => [r.id, r.level, resultLabel(r), r.message, r.fix ?? '']);
  const fixed = [0, 1, 2].map((i) => Math.max(HEAD[i]!.length, ...rows.map((row) => row[i]!.length)));
  const gaps = 2 * (HEAD.length - 1);
  const rest = Math.max(40, totalWidth - fixed.reduce((a, b) => a + b, 0) - gaps);
  const widths = [...fixed, Math.ceil(rest * 0.55), Math.floor(rest * 0.45)];
  const render = (cells: string[]): string => {
    const wrapped = cells.map((c, i) => (i >= 3 ? wrap(c, widths[i]!) : [c]));
    const height = Math.max(...wrapped.map((w) => w.length));
    return Array.from({ length: height }, (_, line) =>
      wrapped.map((w, i) => (w[line] ?? '').padEnd(i === cells.length - 1 ? 0 : widths[i]!)).join('  ').trimEnd(),
    ).join('\n');
  };
  const failed = report.results.filter((r) => !r.passed && !r.ignored).length;
  const summary = report.blocked
    ? `precheck BLOCKED: ${failed} check(s) did not pass (a warning passes when its id is in precheck.ignoreWarnings)`
    : `precheck passed (${report.results.length} checks)`;
  return [render([...HEAD]), ...rows.map(render), '', ...wrap(summary, totalWidth)].join('\n');
}
