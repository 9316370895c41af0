// Runs the whole precheck: connects to both sides (a connection failure is itself a check result),
// resolves the selection, gathers facts and judges them. Creates nothing anywhere.
import type { ClientConfig } from 'pg';
import type { TaskSpec } from '../spec/schema';
import { withClient } from '../conn/connect';
import type { SelectedTable } from '../catalog/names';
import { resolveSelection, type Selection } from '../catalog/select';
import { gatherDestinationFacts, gatherSourceFacts } from './facts';
import { runCheckItems } from './items';
import type { CheckResult, PrecheckReport } from './types';

export interface PrecheckOutcome {
  report: PrecheckReport;
  tables: SelectedTable[];
}

function connectFailure(id: string, side: string, err: unknown): CheckResult {
  // pg's connection errors carry host/port and the server's message, never the password.
  const reason = err instanceof Error ? err.message : String(err);
  return {
    id,
    level: 'fail',
    passed: false,
    message: `cannot connect to the ${side}: ${reason}`,
    fix: `check ${side}.url (host, port, database, user), the network path from the worker, and ${side}.passwordEnv/passwordFile`,
  };
}

function judge(results: CheckResult[], ignoreWarnings: string[]): PrecheckReport {
  const blocked = results.some((r) => !r.passed && (r.level === 'fail' || !ignoreWarnings.includes(r.id)));
  return { results, blocked };
}

export async function runPrecheck(spec: TaskSpec, source: ClientConfig, destination: ClientConfig, slot: string): Promise<PrecheckOutcome> {
  let selection: Selection | undefined;
  let sourceFacts;
  try {
    [selection, sourceFacts] = await withClient(source, async (db) => {
      const sel = await resolveSelection(db, spec);
      return [sel, await gatherSourceFacts(db, sel.tables, slot)] as const;
    });
  } catch (err) {
    return { report: judge([connectFailure('source-connect', 'source', err)], []), tables: [] };
  }
  let destinationFacts;
  try {
    destinationFacts = await withClient(destination, (db) => gatherDestinationFacts(db, selection.tables));
  } catch (err) {
    return { report: judge([connectFailure('destination-connect', 'destination', err)], []), tables: selection.tables };
  }
  const results = runCheckItems({
    syncTypes: spec.syncTypes,
    conflictingTables: spec.conflictingTables,
    selectedCount: selection.tables.length,
    missing: selection.missing,
    source: sourceFacts,
    destination: destinationFacts,
  });
  return { report: judge(results, spec.precheck.ignoreWarnings), tables: selection.tables };
}

export function formatReport(report: PrecheckReport): string {
  return report.results
    .map((r) => `${r.passed ? 'ok  ' : r.level === 'fail' ? 'FAIL' : 'WARN'} ${r.id}: ${r.message}${r.fix ? `\n       fix: ${r.fix}` : ''}`)
    .join('\n');
}
