// Where a destination sequence should stand to follow the source's: pure, so the rules are tested alone.
// A sequence never moves backwards (a value it handed out must never come again), and is_called keeps its
// meaning: with is_called the next nextval() returns last_value + increment, without it last_value itself.

export interface SequenceState {
  lastValue: bigint;
  isCalled: boolean;
}

export interface SequenceShape {
  increment: bigint;
  min: bigint;
  max: bigint;
}

/** The value the next nextval() returns (before bounds: past max/min it would fail). */
export const nextValue = (s: SequenceState, increment: bigint): bigint => (s.isCalled ? s.lastValue + increment : s.lastValue);

/** True when `a` comes after `b` in the sequence's direction. */
const after = (a: bigint, b: bigint, increment: bigint): boolean => (increment > 0n ? a > b : a < b);

const clamp = (v: bigint, shape: SequenceShape): bigint => (v > shape.max ? shape.max : v < shape.min ? shape.min : v);

/**
 * The setval(value, is_called) that brings the destination to the source's position plus `margin` values, or
 * null when the destination is there already or ahead (it is never moved back). Margin 0 copies the source's
 * state as it is (last_value and is_called); a margin of N leaves N values unused after the source's next one,
 * e.g. source next 101, margin 1000: the destination's next nextval() returns 1101.
 */
export function forwardSetval(
  source: SequenceState, sourceIncrement: bigint, destination: SequenceState, shape: SequenceShape, margin = 0n,
): SequenceState | null {
  const inc = shape.increment;
  const wantedNext = nextValue(source, sourceIncrement) + margin * inc;
  if (!after(wantedNext, nextValue(destination, inc), inc)) return null;
  if (margin === 0n && sourceIncrement === inc && source.lastValue >= shape.min && source.lastValue <= shape.max) return { ...source };
  // With is_called the next value is last + increment; a position past the bounds stops at them.
  const last = clamp(wantedNext - inc, shape);
  if (last === destination.lastValue && destination.isCalled) return null;
  return { lastValue: last, isCalled: true };
}

/** What a pass over the task's sequences did (the `sequences` update's answer, and the cutover's step). */
export interface SequencesResult {
  /** Sequences the task follows that exist on the destination. */
  sequences: number;
  /** Those moved forward, with the destination's next value before and after. */
  moved: { sequence: string; from: string; to: string }[];
  /** Sequences that could not be read or set (the others are done). */
  problems: string[];
  margin: number;
  at: string;
}
