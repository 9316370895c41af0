// The connection settings a spec's libpq URL stands for, read the way the worker's driver reads them.
// Pure (WHATWG URL only): the workflow validates specs with it, so it cannot use pg-connection-string (which
// may read files), but it decodes exactly as that library does — new URL(), searchParams, decodeURIComponent
// for host and user, decodeURI for the database — and test/unit/endpoint-url.test.ts holds the two in
// agreement. Checks are made on these decoded settings, never on the text: `?pass%77ord=` is a password.
//
// Anything the driver would have to repair or guess at is refused rather than read one way here and another
// there: a fragment, a malformed %-escape, an `@` outside the user part (a password holding `/`, `?` or `#`
// that was not %-encoded), a parameter given twice, a parameter pg-dts does not know.

export interface EndpointSettings {
  /** Host name, address or Unix socket directory; '' when none is given (the driver then uses localhost). */
  host: string;
  /** Port as written (URL or ?port=), or null for the default (5432). */
  port: string | null;
  /** Database; '' when none is given (the driver then uses the user name). */
  database: string;
  /** User; '' when none is given. */
  user: string;
  /** Every query parameter, decoded. */
  params: Record<string, string>;
}

export type ParsedEndpointUrl = { ok: true; settings: EndpointSettings } | { ok: false; problem: string };

/** Parameters that carry a secret (or name a file of secrets): never accepted in a spec. */
export const SECRET_PARAMETERS = ['password', 'sslpassword', 'passfile'] as const;

/** Parameters that name a file on the worker; the worker reads them only from its secret directory. */
export const FILE_PARAMETERS = ['sslcert', 'sslkey', 'sslrootcert'] as const;

/** Parameters the driver (pg / pg-connection-string) honours and pg-dts accepts. */
export const ACCEPTED_PARAMETERS: readonly string[] = [
  'host', 'port', 'user', 'sslmode', 'sslnegotiation', 'ssl', 'uselibpqcompat', ...FILE_PARAMETERS,
  'options', 'client_encoding', 'application_name', 'fallback_application_name', 'connect_timeout', 'keepalives', 'keepalives_idle',
];

/** How to give a password instead; `side` ('source', 'destination') names the spec's fields. */
const passwordFix = (side?: string): string => {
  const field = side ? `${side}.` : '';
  return `remove it from the URL and set ${field}passwordEnv (an environment variable on the worker) or ${field}passwordFile, or use ~/.pgpass on the worker`;
};
const CONTROL = /[\u0000-\u001f\u007f]/; // eslint-disable-line no-control-regex

function decoded(fn: (s: string) => string, text: string): string | null {
  try {
    return fn(text);
  } catch {
    return null; // e.g. %-escapes that are not UTF-8
  }
}

/** Parses a libpq URL strictly; `problem` never quotes a value (it may be a password). */
export function parseEndpointUrl(url: string, side?: string): ParsedEndpointUrl {
  const PASSWORD_FIX = passwordFix(side);
  const fail = (problem: string): ParsedEndpointUrl => ({ ok: false, problem });
  const scheme = /^postgres(?:ql)?:\/\//.exec(url);
  if (!scheme) return fail('must be a libpq URL like postgresql://user@host:5432/dbname (no password)');
  if (/\s/.test(url) || CONTROL.test(url)) return fail('contains a space or a control character; %-encode it (a space is %20)');
  if (url.includes('#')) {
    return fail('contains "#": a URL fragment is not a connection setting (and may hide a password); remove it, or %-encode a "#" inside a value as %23');
  }
  if (/%(?![0-9a-f]{2})/i.test(url)) return fail('contains a "%" that does not start a %-escape like %20; write a literal "%" as %25');
  const rest = url.slice(scheme[0].length);
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const at = rest.indexOf('@');
  if (at >= 0 && (at !== rest.lastIndexOf('@') || at !== authority.lastIndexOf('@'))) {
    return fail(
      'has an "@" after the host or more than one "@": is a password in it (one holding "/", "?", "#" or "@")? ' +
        `${PASSWORD_FIX}; %-encode an "@" that belongs to a value as %40`,
    );
  }

  let parsed: URL;
  let dummyHost = false;
  try {
    parsed = new URL(url);
  } catch {
    // pg-connection-string's own fallback: a user with no host (postgresql://user@/db?host=/socket/dir).
    try {
      parsed = new URL(url.replace('@/', '@___DUMMY___/'));
      dummyHost = true;
    } catch {
      return fail('does not parse as a URL; check the host, port and %-escapes (see postgresql.org/docs/current/libpq-connect.html)');
    }
  }
  if (decoded(decodeURIComponent, parsed.password)) return fail(`contains a password; ${PASSWORD_FIX}`);

  const params: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of parsed.searchParams) {
    if ((SECRET_PARAMETERS as readonly string[]).includes(name)) {
      const what = name === 'passfile' ? 'names a password file' : 'contains a password';
      problems.push(`${what} (the "${name}" parameter); ${PASSWORD_FIX}`);
    } else if (name in params) {
      problems.push(`gives the "${name}" parameter twice; keep one`);
    } else if (!ACCEPTED_PARAMETERS.includes(name)) {
      problems.push(`has an unknown parameter "${CONTROL.test(name) ? '(unprintable)' : name}"; pg-dts accepts ${ACCEPTED_PARAMETERS.join(', ')}`);
    } else if (CONTROL.test(value)) {
      problems.push(`the "${name}" parameter contains a control character; remove it`);
    }
    params[name] = value;
  }
  if (problems.length) return fail(problems[0]!);

  const hostname = (dummyHost ? '' : parsed.hostname).replace(/^\[(.+)\]$/, '$1');
  if (params.host !== undefined && /^%2f/i.test(hostname)) {
    return fail('gives a Unix socket directory as the host and a "host" parameter; keep one');
  }
  const host = params.host || decoded(decodeURIComponent, hostname);
  const user = params.user || decoded(decodeURIComponent, parsed.username);
  const path = parsed.pathname.slice(1);
  const database = path ? decoded(decodeURI, path) : '';
  if (host === null || user === null || database === null) return fail('has a %-escape that is not UTF-8 text');
  if ([host, user, database].some((s) => CONTROL.test(s))) return fail('has a control character in the host, user or database; remove it');
  if (host.includes(',')) return fail('lists several hosts; pg-dts connects to one host');
  const port = params.port || parsed.port || null;
  if (port !== null && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    return fail('has a port that is not a number from 1 to 65535');
  }
  return { ok: true, settings: { host, port, database, user, params } };
}

/** host[:port]/database of a parsed URL: no user, no password, no parameter. */
export function settingsLabel(s: EndpointSettings): string {
  const host = s.host || 'localhost';
  const shown = host.includes(':') ? `[${host}]` : host;
  return `${shown}${s.port ? `:${s.port}` : ''}/${s.database}`;
}
