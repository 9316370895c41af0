import { Client, Connection } from '@temporalio/client';
import { temporalSettings } from '../temporal/settings';

export async function withTemporal<T>(fn: (client: Client, taskQueue: string) => Promise<T>): Promise<T> {
  const s = temporalSettings();
  const connection = await Connection.connect({ address: s.address });
  try {
    return await fn(new Client({ connection, namespace: s.namespace }), s.taskQueue);
  } finally {
    await connection.close();
  }
}
