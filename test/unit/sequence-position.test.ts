// The rules of following a source sequence (src/cutover/sequence-position.ts): forward only, is_called kept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forwardSetval, nextValue } from '../../src/cutover/sequence-position';
import { formatSequences } from '../../src/cli/sequences';

const up = { increment: 1n, min: 1n, max: 9223372036854775807n };
const s = (lastValue: bigint, isCalled: boolean) => ({ lastValue, isCalled });

describe('following a source sequence', () => {
  it('the next value is last_value when not called yet, last_value + increment once called', () => {
    assert.equal(nextValue(s(1n, false), 1n), 1n);
    assert.equal(nextValue(s(1n, true), 1n), 2n);
    assert.equal(nextValue(s(-5n, true), -5n), -10n);
  });

  it('copies the source\'s state (last_value and is_called) when the source is ahead', () => {
    assert.deepEqual(forwardSetval(s(500n, true), 1n, s(1n, false), up), s(500n, true));
    // A fresh source sequence (never called) does not move a fresh destination one: both hand out 1 next.
    assert.equal(forwardSetval(s(1n, false), 1n, s(1n, false), up), null);
    // Called once on the source: the destination (never called) must not hand out 1 again.
    assert.deepEqual(forwardSetval(s(1n, true), 1n, s(1n, false), up), s(1n, true));
  });

  it('never moves a destination sequence backwards or sideways', () => {
    assert.equal(forwardSetval(s(100n, true), 1n, s(200n, true), up), null);
    assert.equal(forwardSetval(s(100n, true), 1n, s(100n, true), up), null);
    // Same next value written differently (101 not called = 100 called): nothing to do.
    assert.equal(forwardSetval(s(100n, true), 1n, s(101n, false), up), null);
  });

  it('a margin leaves that many values unused past the source\'s next one', () => {
    // Source next is 101; margin 1000: the destination's next nextval() returns 1101.
    const set = forwardSetval(s(100n, true), 1n, s(100n, true), up, 1000n)!;
    assert.deepEqual(set, s(1100n, true));
    assert.equal(nextValue(set, 1n), 1101n);
    // A destination already past source + margin stays.
    assert.equal(forwardSetval(s(100n, true), 1n, s(5000n, true), up, 1000n), null);
    // Never called on the source (next is its start): the margin counts from there.
    assert.equal(nextValue(forwardSetval(s(1n, false), 1n, s(1n, false), up, 10n)!, 1n), 11n);
  });

  it('descending sequences move down; a position past the bounds stops at them', () => {
    const down = { increment: -1n, min: -1000n, max: -1n };
    assert.deepEqual(forwardSetval(s(-50n, true), -1n, s(-10n, true), down), s(-50n, true));
    assert.equal(forwardSetval(s(-10n, true), -1n, s(-50n, true), down), null);
    assert.deepEqual(forwardSetval(s(-990n, true), -1n, s(-10n, true), down, 100n), s(-1000n, true));
    const small = { increment: 1n, min: 1n, max: 1000n };
    assert.deepEqual(forwardSetval(s(950n, true), 1n, s(10n, true), small, 100n), s(1000n, true));
    assert.equal(forwardSetval(s(950n, true), 1n, s(1000n, true), small, 100n), null);
  });

  it('uses each side\'s own increment', () => {
    // Source by 10 at 100 (next 110); destination by 1 at 50 (next 51): the destination moves to next 110.
    const set = forwardSetval(s(100n, true), 10n, s(50n, true), up)!;
    assert.equal(nextValue(set, 1n), 110n);
  });

  it('pg-dts sequences prints what moved', () => {
    const r = { sequences: 3, moved: [{ sequence: 'shop.orders_id_seq', from: '1', to: '1501' }], problems: ['shop.x: permission denied'], margin: 0, at: '2026-12-07T16:00:08.000Z' };
    assert.equal(formatSequences('shop', r), 'shop: 3 destination sequences followed, 1 moved forward\n  shop.orders_id_seq: next value 1 -> 1501\n  problem: shop.x: permission denied');
  });
});
