// Every source session pg-dts opens resolves names with search_path = pg_catalog. Row filters are written
// with bare function names (lower(vc) = 'a') and run in the copy's SELECT, the publication's WHERE and the
// precheck's trial publication, as the task's (often superuser) role: with the server's default path, a
// role that can create a function in public (public.lower(varchar)) would have it picked by overload
// resolution and run with the task's rights. pg-dts's own SQL names every user object with its schema.
import type { ClientConfig } from 'pg';

const PINNED = '-c search_path=pg_catalog';

export function pinSearchPath(config: ClientConfig): ClientConfig {
  const options = (config as { options?: string }).options;
  return { ...config, options: options ? `${options} ${PINNED}` : PINNED } as ClientConfig;
}
