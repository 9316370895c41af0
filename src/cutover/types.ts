// The cutover's request and its progress in `status.cutover` (workflows/cutover.ts runs it). Pure.
import type { SequencesResult } from './sequence-position';

export interface CutoverRequest {
  /** Revoke INSERT/UPDATE/DELETE/TRUNCATE on the selected tables from non-superuser roles first (recorded, restored if refused). */
  freezeSource?: boolean;
  /** Values each destination sequence is set past the source's next one. Default 1000. */
  sequenceMargin?: number;
  /** Refused when the stream's lag is above this. Default 10. */
  maxLagSeconds?: number;
  /** How long to wait for the destination to apply up to the source's position. Default 300. */
  waitSeconds?: number;
}

export type CutoverState = 'checking-lag' | 'freezing' | 'waiting' | 'sequences' | 'checking' | 'releasing' | 'done' | 'refused';

export interface FrozenGrant {
  table: string;
  /** A role name, or PUBLIC. */
  grantee: string;
  privilege: string;
  grantable: boolean;
}

export interface TableCount {
  table: string;
  target: string;
  source: number;
  destination: number;
  /** Not compared: the task does not replicate every operation of this table (its `dml`). */
  skipped?: string;
}

export interface CutoverStatus {
  state: CutoverState;
  requestedAt: string;
  finishedAt: string | null;
  options: Required<CutoverRequest>;
  lagSeconds: number | null;
  /** The source's pg_current_wal_lsn() once writes stopped (or at the request), and the slot's confirmed position reaching it. */
  targetLsn: string | null;
  confirmedLsn: string | null;
  /** Grants revoked by --freeze-source (kept revoked after a cutover; put back after a refusal). */
  frozen: FrozenGrant[] | null;
  sequences: SequencesResult | null;
  /**
   * How the destination was checked: row counts per table, then (method 'checksum') `pg-dts verify`'s
   * comparison of every key range, run as the child workflow `verification`.
   */
  check: { method: 'row-counts' | 'checksum'; ok: boolean; tables: TableCount[]; verification?: string } | null;
  /** Why it was refused (the task keeps streaming). */
  refusal: string | null;
}

export const CUTOVER_DEFAULTS: Required<CutoverRequest> = { freezeSource: false, sequenceMargin: 1000, maxLagSeconds: 10, waitSeconds: 300 };

/** The request with its defaults, or the problems with it. */
export function parseCutoverRequest(input: unknown): { ok: true; request: Required<CutoverRequest> } | { ok: false; problems: string[] } {
  const given = (input ?? {}) as Record<string, unknown>;
  if (typeof given !== 'object' || Array.isArray(given)) return { ok: false, problems: ['the request must be an object'] };
  const problems: string[] = [];
  const known = Object.keys(CUTOVER_DEFAULTS);
  for (const key of Object.keys(given)) if (!known.includes(key)) problems.push(`${key}: unknown (known: ${known.join(', ')})`);
  const request = { ...CUTOVER_DEFAULTS };
  if (given.freezeSource !== undefined) {
    if (typeof given.freezeSource !== 'boolean') problems.push('freezeSource: must be true or false');
    else request.freezeSource = given.freezeSource;
  }
  const number = (key: 'sequenceMargin' | 'maxLagSeconds' | 'waitSeconds', integer: boolean, min: number): void => {
    const v = given[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
      problems.push(`${key}: must be ${integer ? 'an integer' : 'a number'} >= ${min}`);
    } else request[key] = v;
  };
  number('sequenceMargin', true, 0);
  number('maxLagSeconds', false, 0);
  number('waitSeconds', false, 1);
  return problems.length ? { ok: false, problems } : { ok: true, request };
}

/** Why a task cannot start a cutover now, or null. */
export function cutoverBlocker(s: { phase: string; paused: boolean; cutover?: CutoverStatus | null; modifying: boolean; incremental: boolean }): string | null {
  if (!s.incremental) return 'the task has no incremental sync: there is nothing to switch over from';
  if (s.cutover && !['refused'].includes(s.cutover.state)) return `a cutover is already ${s.cutover.state === 'done' ? 'done' : 'in progress'} (${s.cutover.state})`;
  if (s.paused || s.phase === 'paused') return 'the task is paused: resume it and let it catch up first';
  if (s.phase !== 'incremental') return `the task is in phase ${s.phase}: a cutover starts once it streams (incremental)`;
  if (s.modifying) return 'a modifyObjects or a table copy is in progress: cut over once it has finished';
  return null;
}

/** GRANT statements that put back what --freeze-source revoked. */
export function restoreStatements(grants: FrozenGrant[]): string[] {
  return grants.map((g) => `GRANT ${g.privilege} ON ${g.table} TO ${g.grantee}${g.grantable ? ' WITH GRANT OPTION' : ''};`);
}
