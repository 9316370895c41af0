// Turns a spec endpoint into a pg connection config on the worker. Secrets are resolved here and only
// here: the spec (and so the workflow history) carries the *name* of an env var or file, never a password,
// and the worker hands out only the variables and files its settings allow (src/conn/secrets.ts).
import { readFileSync } from 'node:fs';
import type { ClientConfig } from 'pg';
import { parse } from 'pg-connection-string';
import type { Endpoint } from '../spec/schema';
import { FILE_PARAMETERS, parseEndpointUrl, SECRET_PARAMETERS, settingsLabel, type EndpointSettings } from '../spec/endpoint-url';
import { installCleartextGuard, pgpassPassword } from './connect';
import { allowedSecretFile, checkSecretEnv, SecretError, SecretNotAllowedError, secretSettings, type SecretSettings } from './secrets';

export { SecretError, SecretNotAllowedError } from './secrets';

export type Side = 'source' | 'destination';

function settingsOf(side: Side, ep: Endpoint): EndpointSettings {
  const parsed = parseEndpointUrl(ep.url, side);
  // The spec was validated already; this holds for anything that reaches a worker some other way.
  if (!parsed.ok) throw new SecretNotAllowedError(`${side}.url: ${parsed.problem}`);
  return parsed.settings;
}

/**
 * Refuses (SecretNotAllowedError) an endpoint naming a variable or file this worker does not hand out, or a
 * URL carrying a secret. Reads no variable and no file outside the secret directory: run it before opening
 * any connection.
 */
export function checkEndpointSecrets(side: Side, ep: Endpoint, settings: SecretSettings = secretSettings()): void {
  const url = settingsOf(side, ep);
  if (ep.passwordEnv) checkSecretEnv(`${side}.passwordEnv`, ep.passwordEnv, settings);
  if (ep.passwordFile) allowedSecretFile(`${side}.passwordFile`, ep.passwordFile, settings);
  for (const key of FILE_PARAMETERS) {
    if (url.params[key]) allowedSecretFile(`${side}.url ${key}`, url.params[key], settings);
  }
}

function resolvePassword(side: Side, ep: Endpoint, settings: SecretSettings): string | undefined {
  if (ep.passwordEnv) {
    checkSecretEnv(`${side}.passwordEnv`, ep.passwordEnv, settings);
    const value = process.env[ep.passwordEnv];
    if (value === undefined) {
      throw new SecretError(`${side}.passwordEnv: environment variable ${ep.passwordEnv} is not set on this worker; export it before starting the worker`);
    }
    return value;
  }
  if (ep.passwordFile) {
    const real = allowedSecretFile(`${side}.passwordFile`, ep.passwordFile, settings);
    try {
      return readFileSync(real, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new SecretError(`${side}.passwordFile: cannot read ${ep.passwordFile} on this worker (${code}); check the file and its permissions`);
    }
  }
  return undefined;
}

/**
 * The URL with its certificate and key parameters pointing at the checked real paths, so the driver reads
 * exactly the files the policy allowed. The URL parsed cleanly (no fragment, valid %-escapes), so its query
 * splits on "&" and "=" as the driver splits it.
 */
function withAllowedFiles(side: Side, url: string, settings: EndpointSettings, secrets: SecretSettings): string {
  const named = FILE_PARAMETERS.filter((key) => settings.params[key]);
  if (!named.length) return url;
  const q = url.indexOf('?');
  const pairs = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
    if (!(FILE_PARAMETERS as readonly string[]).includes(name) || !settings.params[name]) return pair;
    return `${name}=${encodeURIComponent(allowedSecretFile(`${side}.url ${name}`, settings.params[name], secrets))}`;
  });
  return `${url.slice(0, q)}?${pairs.join('&')}`;
}

export function clientConfig(side: Side, ep: Endpoint, applicationName: string): ClientConfig {
  installCleartextGuard();
  const secrets = secretSettings();
  const settings = settingsOf(side, ep);
  const parsed = parse(withAllowedFiles(side, ep.url, settings, secrets)) as Record<string, unknown>;
  for (const key of SECRET_PARAMETERS) {
    if (parsed[key]) throw new SecretNotAllowedError(`${side}.url: contains a password; remove it and set ${side}.passwordEnv or ${side}.passwordFile`);
  }
  delete parsed.password;
  const password = resolvePassword(side, ep, secrets);
  return {
    ...(parsed as ClientConfig),
    // No password named: ~/.pgpass (matched by host, port, database and user), never PGPASSWORD, which
    // would go to whatever server the spec names.
    // (pg calls a password function with the connection parameters and accepts undefined: no password.)
    password: password ?? (pgpassPassword as unknown as ClientConfig['password']),
    application_name: applicationName,
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
  };
}

/** host[:port]/dbname, for status, logs and search attributes. Never includes credentials. */
export function describeEndpoint(ep: Endpoint): string {
  const parsed = parseEndpointUrl(ep.url);
  return parsed.ok ? settingsLabel(parsed.settings) : '(invalid url)';
}
