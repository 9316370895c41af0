// Opening and closing sessions. Destination sessions that write replicated data run with
// session_replication_role = replica, so FK checks and user triggers do not fire twice.
import { Client, type ClientConfig } from 'pg';

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
