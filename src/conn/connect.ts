// Opening and closing sessions. Destination sessions that write replicated data run with
// session_replication_role = replica, so FK checks and user triggers do not fire twice.
import { TLSSocket } from 'node:tls';
import { Client, type ClientConfig } from 'pg';
import pgpass from 'pgpass';

/** Worker setting: hosts (as the URL names them, comma-separated; `*` any) a password may go to in clear text without TLS. */
export const CLEARTEXT_HOSTS_SETTING = 'PG_DTS_CLEARTEXT_PASSWORD_HOSTS';

/** The server asked for the password in clear text on a connection a listener could read. */
export class CleartextPasswordRefused extends Error {
  override name = 'CleartextPasswordRefused';
}

function cleartextAllowed(host: string): boolean {
  const hosts = (process.env[CLEARTEXT_HOSTS_SETTING] ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  return hosts.includes('*') || hosts.includes(host);
}

/** The parts of node-postgres 8.23.1's Client (lib/client.js) the guard works with. */
interface ClientInternals {
  host: string;
  port: number;
  connection: { stream: unknown; emit(event: 'error', err: Error): boolean };
  _handleAuthCleartextPassword(msg: unknown): void;
}

let guardInstalled = false;

/**
 * Never answer a server's request for the password in clear text (pg_hba `password`) unless the connection
 * is TLS with a verified server certificate, or the worker allows it for that host
 * (PG_DTS_CLEARTEXT_PASSWORD_HOSTS). Installed on pg's Client class, not per session: every session of this
 * process is covered — connect() below, the replication connections (src/stream/replication-objects.ts,
 * pg-logical-replication's service, which builds its own Client from the same pg), heartbeats, watches.
 * md5 and SCRAM never put the password itself on the wire and are left alone.
 */
export function installCleartextGuard(): void {
  if (guardInstalled) return;
  const proto = Client.prototype as unknown as ClientInternals;
  const answer = proto._handleAuthCleartextPassword;
  if (typeof answer !== 'function') {
    throw new Error('node-postgres changed: Client.prototype._handleAuthCleartextPassword is gone; re-check src/conn/connect.ts against the pinned pg');
  }
  proto._handleAuthCleartextPassword = function (this: ClientInternals, msg: unknown): void {
    const stream = this.connection.stream;
    const verifiedTls = stream instanceof TLSSocket && stream.encrypted && stream.authorized;
    if (verifiedTls || cleartextAllowed(this.host)) {
      answer.call(this, msg);
      return;
    }
    this.connection.emit('error', new CleartextPasswordRefused(
      `the server at ${this.host}:${this.port} asked for the password in clear text on a connection without verified TLS; ` +
        `pg-dts did not send it. Use scram-sha-256 for this role in the server's pg_hba.conf, or TLS (sslmode=verify-full in the URL), ` +
        `or allow clear text to this host on the worker with ${CLEARTEXT_HOSTS_SETTING}=${this.host}`,
    ));
    (stream as { destroy?: () => void }).destroy?.();
  };
  guardInstalled = true;
}

installCleartextGuard();

/**
 * The password of a session whose endpoint names none: the worker's ~/.pgpass (or PGPASSFILE) entry for
 * that host, port, database and user — and never PGPASSWORD, which pg would otherwise send to any server.
 */
export function pgpassPassword(params: { host?: string; port?: number; database?: string; user?: string }): Promise<string | undefined> {
  return new Promise((resolve) => pgpass(params, resolve));
}

export async function connect(config: ClientConfig): Promise<Client> {
  const client = new Client(config);
  // A dropped connection must surface as a failed query, not an uncaught 'error' event that kills the worker.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export async function connectApplier(config: ClientConfig): Promise<Client> {
  const client = await connect(config);
  await client.query(`SET session_replication_role = replica`);
  return client;
}

export async function withClient<T>(config: ClientConfig, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = await connect(config);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
