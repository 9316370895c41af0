// pgpass 1.0.5 (node-postgres' own ~/.pgpass reader, a pg-dts dependency since PGPASSWORD is never used) ships no types.
declare module 'pgpass' {
  function pgpass(connInfo: { host?: string; port?: number; database?: string; user?: string }, cb: (password: string | undefined) => void): void;
  export = pgpass;
}
