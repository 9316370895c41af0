// The repair stage of verifyTask (`pg-dts verify --repair`, docs/verification.md "Repair"): each table's
// differing ranges are repaired (one activity per table: the keys are found again and replaced at one
// source position), then compared again; the report says what was repaired and whether it is now equal.
import { proxyActivities } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type * as activities from '../activities';
import { REPAIR_SHOWN_KEYS, type RepairReport, type TableRepair } from '../src/verify/repair-types';
import type { VerifyInput, VerifyTable } from '../src/verify/types';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 };
const { repairRanges, verifyRanges } = proxyActivities<typeof activities>({ startToCloseTimeout: '24h', heartbeatTimeout: '120s', retry });

/** `differing`: per table (index in `tables`) the indexes of its ranges confirmed different. */
export async function repairAndVerifyAgain(input: VerifyInput, tables: VerifyTable[], differing: Map<number, number[]>): Promise<RepairReport> {
  const out: TableRepair[] = [];
  for (const [t, found] of [...differing.entries()].sort((a, b) => a[0] - b[0])) {
    const table = { ...tables[t]!, ranges: [] };
    const ranges = [...found].sort((a, b) => a - b);
    const bounds = ranges.map((r) => tables[t]!.ranges[r]!);
    const repaired = await repairRanges({ verify: input, table, bounds });
    // Refused before anything was written: nothing to look at again. (No key found to repair, not refused:
    // the difference went away meanwhile, which the second look confirms.)
    if (!repaired.keys && repaired.refused) {
      out.push(repaired);
      continue;
    }
    // The second look lists what still differs, key by key.
    const again = await verifyRanges({ verify: { ...input, mode: 'rows' }, table, ranges, bounds, share: 1 });
    const still = again.results.filter((r) => !r.equal && !r.unsettled);
    out.push({
      ...repaired,
      reverified: {
        ranges: again.results.length,
        differing: still.length,
        unsettled: again.results.filter((r) => r.unsettled).length,
        differingKeys: still.flatMap((r) => (r.keys ?? []).map((k) => k.key)).slice(0, REPAIR_SHOWN_KEYS),
      },
    });
  }
  const clean = out.every((r) => r.refused === null && r.reverified !== null && r.reverified.differing === 0 && r.reverified.unsettled === 0);
  return { tables: out, clean };
}
