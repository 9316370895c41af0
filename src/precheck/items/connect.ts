// Connectivity and authentication: a side that cannot be reached is itself a check result. The message
// quotes the driver's or the server's reason, which never carries the password; any text equal to the
// password is masked all the same (a password pasted into the wrong field must not come back in a report).
import type { CheckResult } from '../types';
import { major } from './check';

export type Side = 'source' | 'destination';

function mask(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('***') : text;
}

export function connectFailed(side: Side, err: unknown, password?: string): CheckResult {
  const reason = mask(err instanceof Error ? err.message : String(err), password);
  return {
    id: `${side}-connect`,
    level: 'fail',
    passed: false,
    message: `cannot connect to the ${side}: ${reason}`,
    fix: `check ${side}.url (host, port, database, user), the network path from this machine, pg_hba.conf on the server, and ${side}.passwordEnv/passwordFile`,
  };
}

export function connected(side: Side, where: string, user: string, versionNum: number): CheckResult {
  return { id: `${side}-connect`, level: 'fail', passed: true, message: `connected to ${where} as ${user} (PostgreSQL ${major(versionNum)})` };
}
