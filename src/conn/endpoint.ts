// Turns a spec endpoint into a pg connection config on the worker. Secrets are resolved here and only
// here: the spec (and so the workflow history) carries the *name* of an env var or file, never a password.
import { readFileSync } from 'node:fs';
import type { ClientConfig } from 'pg';
import { parse } from 'pg-connection-string';
import type { Endpoint } from '../spec/schema';

export type Side = 'source' | 'destination';

export class SecretError extends Error {
  override name = 'SecretError';
}

function resolvePassword(side: Side, ep: Endpoint): string | undefined {
  if (ep.passwordEnv) {
    const value = process.env[ep.passwordEnv];
    if (value === undefined) {
      throw new SecretError(`${side}.passwordEnv: environment variable ${ep.passwordEnv} is not set on this worker; export it before starting the worker`);
    }
    return value;
  }
  if (ep.passwordFile) {
    try {
      return readFileSync(ep.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new SecretError(`${side}.passwordFile: cannot read ${ep.passwordFile} on this worker (${code}); check the path and its permissions`);
    }
  }
  return undefined; // pg falls back to PGPASSWORD or ~/.pgpass
}

export function clientConfig(side: Side, ep: Endpoint, applicationName: string): ClientConfig {
  const parsed = parse(ep.url) as Record<string, unknown>;
  const password = resolvePassword(side, ep);
  const config: ClientConfig = {
    ...(parsed as ClientConfig),
    password,
    application_name: applicationName,
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
  };
  if (!password) delete config.password;
  return config;
}

/** host:port/dbname, for status, logs and search attributes. Never includes credentials. */
export function describeEndpoint(ep: Endpoint): string {
  const p = parse(ep.url);
  return `${p.host ?? 'localhost'}:${p.port ?? 5432}/${p.database ?? ''}`;
}
