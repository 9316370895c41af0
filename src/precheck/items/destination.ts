// The destination's side of the selection: names already taken, tables that must exist, room for the data.
import { tableKey } from '../../catalog/names';
import { pass, problem, tableList, wants, type CheckItem } from './check';
import { SPACE_NOT_PROBED } from '../facts/disk-space';

/** Every same-name table is named: the user has to decide about each one. */
export const conflictingTables: CheckItem = ({ spec, destination }) => {
  if (spec.conflictingTables === 'ignore') {
    return pass('conflicting-tables', 'fail', destination.existingTargets.length
      ? `conflictingTables is "ignore": ${destination.existingTargets.length} existing destination table(s) are kept and written into`
      : 'no selected table exists on the destination yet');
  }
  // Tables an earlier run of this very task created and never completed are its own: schema sync makes them again.
  const own = new Set((destination.ownLeftovers ?? []).map(tableKey));
  const existing = destination.existingTargets.filter((t) => !own.has(tableKey(t)));
  const leftovers = destination.existingTargets.filter((t) => own.has(tableKey(t)));
  const again = leftovers.length ? `; left by an earlier run of this task, dropped and created again by schema sync: ${tableList(leftovers)}` : '';
  return existing.length === 0
    ? pass('conflicting-tables', 'fail', `no selected table already exists on the destination${again}`)
    : problem('conflicting-tables', 'fail', `already on the destination: ${tableList(existing, Infinity)}${again}`,
        'drop or rename these destination tables, map the tables to other names ("rename", "renameRules"), or set "conflictingTables": "ignore" to keep them and write into them (needed when "schema" is not in syncTypes)');
};

/** Without schema sync the tables must already be there to receive the data. */
export const targetsExist: CheckItem = (input) => {
  if (wants(input, 'schema') || !(wants(input, 'full') || wants(input, 'incremental'))) return null;
  const existing = new Set(input.destination.existingTargets.map(tableKey));
  const missing = input.selection.tables.filter((t) => !existing.has(tableKey(t.target))).map((t) => t.target);
  return missing.length === 0
    ? pass('destination-tables-exist', 'fail', 'every target table exists on the destination')
    : problem('destination-tables-exist', 'fail', `"schema" is not in syncTypes and these target tables do not exist on the destination: ${tableList(missing)}`,
        'add "schema" to syncTypes, or create the tables on the destination first');
};

/** 1.5 GiB, 320.0 MiB, 12.0 kiB: enough digits to compare two sizes at a glance. */
export function bytesText(bytes: number): string {
  const units = ['bytes', 'kiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(bytes)} bytes` : `${bytes.toFixed(1)} ${units[i]}`;
}
const HEADROOM = 1.2;

/**
 * Free disk space on the destination against the selected data's size on the source (tables, indexes
 * and TOAST). Measuring runs `df` on the database host (COPY ... FROM PROGRAM), so only when the spec asks
 * (`precheck.diskSpaceProbe`); otherwise the item passes and states the size to plan for. Probed: fails
 * when the data cannot fit, warns under 20 % headroom, and warns when it cannot be measured.
 */
export const destinationSpace: CheckItem = (input) => {
  if (!wants(input, 'full')) return null;
  const size = input.source.tables.reduce((sum, t) => sum + t.bytes, 0);
  const { space } = input.destination;
  if (!space.measured && space.reason === SPACE_NOT_PROBED) {
    return pass('destination-space', 'warn',
      `free space not measured ("precheck.diskSpaceProbe" is off: the probe runs df on the destination's host); the selected data takes ${bytesText(size)} on the source: the destination needs more than ${bytesText(size * HEADROOM)} free`);
  }
  if (!space.measured) {
    return problem('destination-space', 'warn', `destination free space is not measurable: ${space.reason}; the selected data takes ${bytesText(size)} on the source`,
      `make sure the destination has more than ${bytesText(size * HEADROOM)} free, then list "destination-space" in precheck.ignoreWarnings (or connect as a user with pg_execute_server_program)`);
  }
  const what = `${bytesText(space.freeBytes)} free on the destination (${space.mount}), the selected data takes ${bytesText(size)} on the source`;
  if (space.freeBytes < size) {
    return problem('destination-space', 'fail', `not enough space: ${what}`, 'free space or grow the destination disk, or select less data');
  }
  if (space.freeBytes < size * HEADROOM) {
    return problem('destination-space', 'warn', `less than 20 % headroom: ${what}`,
      'free space or grow the destination disk, or list "destination-space" in precheck.ignoreWarnings');
  }
  return pass('destination-space', 'warn', what);
};
