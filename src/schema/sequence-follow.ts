// Moving the destination's sequences to the source's positions while the task runs (and, at cutover, past
// them by a margin), never backwards. One pass at a time per task and destination: the pass holds an
// advisory lock, so the periodic follower and a cutover never interleave a read and a setval.
import type { ClientBase } from 'pg';
import type { Mapping, SelectedTable } from '../catalog/names';
import { literal, qualified } from '../util/sql';
import { destinationSequence, syncedSequences } from './sequences';
import { forwardSetval, nextValue, type SequencesResult, type SequenceState } from '../cutover/sequence-position';

interface Row {
  last_value: string;
  is_called: boolean;
  increment: string;
  min: string;
  max: string;
}

async function readState(db: ClientBase, sequence: string): Promise<{ state: SequenceState; increment: bigint; min: bigint; max: bigint }> {
  const { rows } = await db.query<Row>(
    `SELECT s.last_value::text AS last_value, s.is_called, p.seqincrement::text AS increment, p.seqmin::text AS min, p.seqmax::text AS max
       FROM ${sequence} s, pg_sequence p WHERE p.seqrelid = ${literal(sequence)}::regclass`,
  );
  const r = rows[0]!;
  return { state: { lastValue: BigInt(r.last_value), isCalled: r.is_called }, increment: BigInt(r.increment), min: BigInt(r.min), max: BigInt(r.max) };
}

export async function followSequencePositions(
  source: ClientBase, destination: ClientBase, spec: Mapping, tables: SelectedTable[], opts: { lockKey: string; margin?: number },
): Promise<SequencesResult> {
  const margin = opts.margin ?? 0;
  const result: SequencesResult = { sequences: 0, moved: [], problems: [], margin, at: '' };
  await destination.query(`SELECT pg_advisory_lock(hashtext($1))`, [opts.lockKey]);
  try {
    for (const s of await syncedSequences(source, spec, tables)) {
      const name = qualified(s.sequence);
      try {
        const target = await destinationSequence(destination, spec, s);
        if (!target) continue;
        result.sequences++;
        const src = await readState(source, name);
        const dst = await readState(destination, target);
        const set = forwardSetval(src.state, src.increment, dst.state, dst, BigInt(margin));
        if (!set) continue;
        await destination.query(`SELECT setval(${literal(target)}::regclass, $1::bigint, $2)`, [set.lastValue.toString(), set.isCalled]);
        result.moved.push({ sequence: target, from: nextValue(dst.state, dst.increment).toString(), to: nextValue(set, dst.increment).toString() });
      } catch (err) {
        result.problems.push(`${name}: ${(err as Error).message}`);
      }
    }
  } finally {
    await destination.query(`SELECT pg_advisory_unlock(hashtext($1))`, [opts.lockKey]).catch(() => undefined);
  }
  result.at = new Date().toISOString();
  return result;
}
