// Server versions and encodings of the two sides.
import { tableOperations } from '../../catalog/names';
import { major, pass, problem, tableList, wants, type CheckItem } from './check';

export const sourceVersion: CheckItem = ({ source }) =>
  source.versionNum >= 100000
    ? pass('source-version', 'fail', `source is PostgreSQL ${major(source.versionNum)}`)
    : problem('source-version', 'fail', `source is PostgreSQL ${major(source.versionNum)}; pg-dts needs 10 or later (logical decoding with pgoutput)`,
        'upgrade the source to PostgreSQL 10 or later');

/** pgoutput replicates TRUNCATE from 11 on; on 10 a source TRUNCATE silently leaves the destination as it was. */
export const sourceTruncate: CheckItem = (input) => {
  const { source, spec } = input;
  if (!wants(input, 'incremental')) return null;
  if (major(source.versionNum) !== 10) return pass('source-truncate', 'warn', `source PostgreSQL ${major(source.versionNum)} replicates TRUNCATE`);
  const affected = source.tables.filter((t) => tableOperations(spec, t.ref).dml.has('truncate')).map((t) => t.ref);
  if (!affected.length) return pass('source-truncate', 'warn', 'no selected table applies TRUNCATE');
  return problem('source-truncate', 'warn',
    `source is PostgreSQL 10, which does not replicate TRUNCATE: a TRUNCATE of ${tableList(affected)} on the source leaves the destination rows in place`,
    'upgrade the source to PostgreSQL 11 or later, leave "truncate" out of these tables\' "dml", or list "source-truncate" in precheck.ignoreWarnings');
};

export const destinationVersion: CheckItem = ({ source, destination }) =>
  major(destination.versionNum) >= major(source.versionNum)
    ? pass('destination-version', 'warn', `destination PostgreSQL ${major(destination.versionNum)} is the same as or newer than source ${major(source.versionNum)}`)
    : problem('destination-version', 'warn',
        `destination PostgreSQL ${major(destination.versionNum)} is older than source ${major(source.versionNum)}; types, syntax or defaults new in ${major(source.versionNum)} may fail on the destination`,
        'use a destination at least as new as the source, or list "destination-version" in precheck.ignoreWarnings');

/**
 * Encodings. pg-dts reads and writes with client_encoding UTF8, so the server converts on both ends.
 * Passes when both are the same, or when the destination is UTF8 and the source is anything but
 * SQL_ASCII: every server encoding converts to UTF8 without loss. SQL_ASCII means "bytes, unchecked":
 * its non-ASCII bytes have no known meaning and may not be valid UTF8, so only SQL_ASCII -> SQL_ASCII
 * passes. Any other pair may meet characters the destination cannot store, and fails.
 */
export const encoding: CheckItem = ({ source, destination }) => {
  const [s, d] = [source.encoding, destination.encoding];
  if (s === d) return pass('encoding', 'fail', `both sides use ${s}`);
  if (d === 'UTF8' && s !== 'SQL_ASCII') return pass('encoding', 'fail', `source ${s} converts to destination UTF8 without loss`);
  if (s === 'SQL_ASCII') {
    return problem('encoding', 'fail',
      `source encoding is SQL_ASCII (bytes are not checked, non-ASCII ones have no known meaning) and destination is ${d}: rows with non-ASCII bytes may fail or change`,
      `copy into a destination database created with ENCODING 'SQL_ASCII', or clean the source data and move it to a real encoding first`);
  }
  return problem('encoding', 'fail',
    `source encoding ${s} differs from destination ${d}: characters the destination cannot represent would fail the copy`,
    `create the destination database with ENCODING 'UTF8' (or '${s}') and point destination.url at it`);
};
