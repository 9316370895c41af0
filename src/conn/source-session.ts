// Settings every source session pg-dts opens starts with (libpq `options`, so no statement can forget them).
//
// search_path = pg_catalog: row filters are written with bare function names (lower(vc) = 'a') and run in
// the copy's SELECT, the publication's WHERE and the precheck's trial publication, as the task's (often
// superuser) role: with the server's default path, a role that can create a function in public
// (public.lower(varchar)) would have it picked by overload resolution and run with the task's rights.
// pg-dts's own SQL names every user object with its schema.
//
// extra_float_digits = 3: values read as text (a text COPY, pgoutput's row images, which the walsender
// prints with its session's settings) must give back the exact float4/float8. Before PostgreSQL 12 the
// default (0) prints 6/15 significant digits, which loses bits, and the largest float8 then reads back as
// out of range; 12+ print the shortest exact form for any value above 0.
import type { ClientConfig } from 'pg';

const PINNED = '-c search_path=pg_catalog -c extra_float_digits=3';

export function pinSourceSession(config: ClientConfig): ClientConfig {
  const options = (config as { options?: string }).options;
  return { ...config, options: options ? `${options} ${PINNED}` : PINNED } as ClientConfig;
}
