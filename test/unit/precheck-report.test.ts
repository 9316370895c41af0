// The precheck report: which results block, how connection failures read (never with a password), the
// text of a failure, the CLI table, and the df parser behind destination-space.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPrecheckTable, wrap } from '../../src/cli/precheck-table';
import { parseDfOutput } from '../../src/precheck/facts/disk-space';
import { connected, connectFailed } from '../../src/precheck/items/connect';
import { formatReport, judge } from '../../src/precheck/run';
import type { CheckResult } from '../../src/precheck/types';

const warn: CheckResult = { id: 'destination-version', level: 'warn', passed: false, message: 'older', fix: 'upgrade' };
const fail: CheckResult = { id: 'primary-key', level: 'fail', passed: false, message: 'no primary key or non-null unique index: public.keyless', fix: 'add a primary key' };
const ok: CheckResult = { id: 'source-version', level: 'fail', passed: true, message: 'source is PostgreSQL 17' };

describe('precheck report', () => {
  it('a warning blocks unless its id is ignored; a failure always blocks', () => {
    assert.equal(judge([ok, warn], []).blocked, true);
    const ignored = judge([ok, warn], ['destination-version']);
    assert.equal(ignored.blocked, false);
    assert.equal(ignored.results[1]!.ignored, true);
    assert.equal(judge([ok, fail], ['primary-key']).blocked, true, 'ignoreWarnings does not cover failures');
    assert.equal(judge([ok], []).blocked, false);
  });

  it('formatReport lists the problems with their fix', () => {
    const text = formatReport(judge([ok, fail, warn], ['destination-version']));
    assert.match(text, /FAIL primary-key: no primary key or non-null unique index: public\.keyless\n {7}fix: add a primary key/);
    assert.match(text, /WARN \(ignored\) destination-version/);
    assert.doesNotMatch(text, /source-version/);
  });

  it('a connection failure names the side and never the password', () => {
    const r = connectFailed('source', new Error('password authentication failed for user "repl" (tried hunter2)'), 'hunter2');
    assert.deepEqual([r.id, r.level, r.passed], ['source-connect', 'fail', false]);
    assert.match(r.message, /^cannot connect to the source: password authentication failed for user "repl"/);
    assert.doesNotMatch(r.message, /hunter2/);
    assert.match(r.fix!, /source\.passwordEnv/);
    assert.equal(connected('destination', 'db:5432/app', 'w', 160003).message, 'connected to db:5432/app as w (PostgreSQL 16)');
  });
});

describe('precheck table', () => {
  it('wraps at word boundaries and breaks over-long words', () => {
    assert.deepEqual(wrap('aaa bbb ccc', 7), ['aaa bbb', 'ccc']);
    assert.deepEqual(wrap('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
    assert.deepEqual(wrap('', 5), ['']);
  });

  it('prints id, level, result, message and fix within the width, and a verdict', () => {
    const long: CheckResult = { ...fail, message: `no primary key: ${Array.from({ length: 30 }, (_, i) => `s.t${i}`).join(', ')}` };
    const text = formatPrecheckTable(judge([ok, long, warn], ['destination-version']), 100);
    const lines = text.split('\n');
    assert.match(lines[0]!, /^ID\s+LEVEL\s+RESULT\s+MESSAGE\s+FIX$/);
    assert.ok(lines.every((l) => l.length <= 100), lines.find((l) => l.length > 100));
    assert.ok(lines.some((l) => /^primary-key\s+fail\s+FAILED\s+no primary key/.test(l)));
    assert.ok(lines.some((l) => /^destination-version\s+warn\s+ignored\s+older\s+upgrade$/.test(l)));
    assert.ok(text.includes('s.t29'), 'wrapped, not cut');
    assert.ok(lines.some((l) => /^precheck BLOCKED: 1 check\(s\) did not pass/.test(l)));
    assert.match(formatPrecheckTable(judge([ok], [])), /precheck passed \(1 checks\)$/);
  });
});

describe('df -Pk parser', () => {
  it('reads the available 1K blocks and the mount point, even with spaces in names', () => {
    const out = ['Filesystem     1024-blocks      Used Available Capacity Mounted on', '/dev/sda1        102400000  20480000  81920000      21% /var/lib/postgresql'];
    assert.deepEqual(parseDfOutput(out), { freeBytes: 81920000 * 1024, mount: '/var/lib/postgresql' });
    assert.deepEqual(parseDfOutput(['h', 'my disk 10 5 5 50% /mnt/with space']), { freeBytes: 5 * 1024, mount: '/mnt/with space' });
    assert.equal(parseDfOutput(['Filesystem', 'garbage']), null);
  });
});
