// The spec's URLs are judged on the settings they stand for once decoded — the way the worker's driver
// (pg-connection-string) reads them — not on their text (issue 14, item 7).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'pg-connection-string';
import { parseEndpointUrl } from '../../src/spec/endpoint-url';
import { endpointLabel, parseTaskSpec, redactUrl, SpecError } from '../../src/spec/validate';

const SECRET = 'Xy7-secret';
/** Assembled so that no literal credential-looking URL sits in the source. */
const url = (...parts: string[]): string => ['postgresql://', ...parts].join('');

function urlProblem(u: string): string {
  try {
    parseTaskSpec({ name: 't', source: { url: u }, destination: { url: 'postgresql://dts@db2/app' }, objects: [{ schema: 'public' }] });
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    assert.equal(err.problems.length, 1, err.message);
    return err.problems[0]!;
  }
  assert.fail(`accepted ${redactUrl(u)}`);
}

describe('libpq URLs in a spec', () => {
  // Every one of these was accepted before and stored a password in the workflow history.
  const bypasses: [string, string, RegExp][] = [
    ['an encoded parameter name (pass%77ord)', url('u@h/db?pass%77ord=', SECRET), /contains a password \(the "password" parameter\); remove it from the URL and set source\.passwordEnv/],
    ['an encoded parameter name (%70assword)', url('u@h/db?%70assword=', SECRET), /contains a password \(the "password" parameter\)/],
    ['sslpassword', url('u@h/db?sslpassword=', SECRET), /contains a password \(the "sslpassword" parameter\)/],
    ['passfile', url('u@h/db?passfile=/etc/', SECRET), /names a password file \(the "passfile" parameter\)/],
    ['a password holding "/"', url('user:pa/', SECRET, '@h/db'), /has an "@" after the host .*is a password in it/],
    ['a password holding "/" that parses as host:port/path', url('user:12/', SECRET, '@h/db'), /has an "@" after the host/],
    ['a password holding "?"', url('u:pa?', SECRET, '@h/db'), /has an "@" after the host/],
    ['a password holding "#"', url('u:pa#', SECRET, '@h/db'), /contains "#"/],
    ['a fragment', url('u@h/db#password=', SECRET), /contains "#": a URL fragment is not a connection setting/],
    ['a password holding an encoded "@"', url('u:p%40', SECRET, '@h/db'), /contains a password; remove it/],
    ['a password holding "@"', url('u:p@', SECRET, '@h/db'), /more than one "@"/],
    ['an upper-case parameter name', url('u@h/db?PASSWORD=', SECRET), /unknown parameter "PASSWORD"/],
  ];
  for (const [what, u, expected] of bypasses) {
    it(`refuses ${what}, without quoting it`, () => {
      const p = urlProblem(u);
      assert.match(p, /^source\.url: /);
      assert.match(p, expected);
      assert.ok(!p.includes(SECRET), p);
    });
  }

  it('refuses what does not parse cleanly', () => {
    assert.match(urlProblem('postgresql://u@h/d%zzb'), /a "%" that does not start a %-escape/);
    assert.match(urlProblem('postgresql://u@h/%E0%A4'), /%-escape that is not UTF-8/);
    assert.match(urlProblem('postgresql://u@h:99999/db'), /does not parse as a URL/);
    assert.match(urlProblem('postgresql://u@h/db?port=0'), /port that is not a number from 1 to 65535/);
    assert.match(urlProblem('postgresql://u@h/db?host=a&host=b'), /gives the "host" parameter twice/);
    assert.match(urlProblem('postgresql://u@h/db?replication=database'), /unknown parameter "replication"; pg-dts accepts host, port/);
    assert.match(urlProblem('postgresql://u@h/d%0Ab'), /control character/);
    assert.match(urlProblem('postgresql://u@h1,h2/db'), /several hosts/);
  });

  it('accepts what users write, reading it as the driver does', () => {
    const accepted = [
      'postgresql://repl@db1:5432/app', 'postgres://dts@db2/app', 'postgresql://u@h:5433/db?sslmode=require',
      'postgresql://u@h/db?host=real-host&port=6000', 'postgresql://u@/db?host=/var/run/postgresql', 'postgresql:///db',
      'postgresql://u@[::1]:5433/db', 'postgresql://%2Fvar%2Frun%2Fpostgresql/db', 'postgresql://us%40er@h/d%20b',
      'postgresql://u@h/db?options=-c%20search_path%3Dx&application_name=a+b&connect_timeout=5', 'postgresql://h',
      'postgresql://u:@h/db', 'postgresql://u@h/db?user=other',
    ];
    for (const u of accepted) {
      const mine = parseEndpointUrl(u);
      assert.ok(mine.ok, `${u}: ${mine.ok ? '' : mine.problem}`);
      const theirs = parse(u);
      assert.deepEqual(
        { host: mine.settings.host, port: mine.settings.port ?? '', database: mine.settings.database, user: mine.settings.user },
        { host: theirs.host ?? '', port: theirs.port ?? '', database: theirs.database ?? '', user: theirs.user ?? '' },
        u,
      );
      assert.ok(!theirs.password, u);
    }
  });

  it('labels an endpoint with the host, port and database it really connects to', () => {
    assert.equal(endpointLabel('postgresql://u@h:5433/db?sslmode=require'), 'h:5433/db');
    assert.equal(endpointLabel('postgresql://u@shown/db?host=real&port=6000'), 'real:6000/db');
    assert.equal(endpointLabel('postgresql://u@[::1]:5433/db'), '[::1]:5433/db');
    assert.equal(endpointLabel('postgresql://u@/db?host=/var/run/postgresql'), '/var/run/postgresql/db');
    assert.equal(endpointLabel(url('user:12/', SECRET, '@h/db')), '(invalid url)');
  });

  it('redacts every kind of password from a URL for logs', () => {
    assert.equal(redactUrl(url('u:', SECRET, '@h/db')), url('u:***@h/db'));
    assert.equal(redactUrl(url('u:pa/', SECRET, '@h/db')), url('u:***@h/db'));
    assert.equal(redactUrl(url('u@h/db?pass%77ord=', SECRET, '&sslmode=require')), url('u@h/db?pass%77ord=***&sslmode=require'));
    assert.equal(redactUrl(url('u@h/db?sslpassword=', SECRET)), url('u@h/db?sslpassword=***'));
    assert.equal(redactUrl(url('u@h/db#password=', SECRET)), url('u@h/db'));
  });
});
