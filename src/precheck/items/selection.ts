// The selection itself: every listed object exists, and something is selected.
import { pass, problem, type CheckItem } from './check';

export const objectsExist: CheckItem = ({ selection }) =>
  selection.missing.length === 0
    ? pass('objects-exist', 'fail', 'every selected schema and table exists on the source')
    : problem('objects-exist', 'fail', `not found on the source: ${selection.missing.join(', ')}`,
        'correct the names in "objects" or create the objects on the source');

export const objectsNotEmpty: CheckItem = ({ selection }) =>
  selection.tables.length > 0
    ? pass('objects-not-empty', 'fail', `${selection.tables.length} table(s) selected`)
    : problem('objects-not-empty', 'fail', 'the selection matches no table', 'select at least one existing table in "objects"');
