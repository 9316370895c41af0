// `pg-dts sequences <task>`: the `sequences` update (workflows/sequences.ts), and what it prints.
import type { Client } from '@temporalio/client';
import { sequencesUpdate } from '../../workflows/messages';
import type { SequencesResult } from '../cutover/sequence-position';

export function formatSequences(task: string, r: SequencesResult): string {
  const lines = [`${task}: ${r.sequences} destination sequence${r.sequences === 1 ? '' : 's'} followed, ${r.moved.length} moved forward${r.margin ? ` (margin ${r.margin})` : ''}`];
  for (const m of r.moved) lines.push(`  ${m.sequence}: next value ${m.from} -> ${m.to}`);
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  return lines.join('\n');
}

export async function sequencesCommand(client: Client, task: string): Promise<void> {
  const r = await client.workflow.getHandle(task).executeUpdate(sequencesUpdate);
  console.log(formatSequences(task, r));
}
