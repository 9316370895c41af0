// Shared by the stream (src/stream/incremental.ts), the paused watch and the workflow's status.
/** What lag is measured from (all times on the source's clock, ms since the epoch). */
export interface LagClock {
  /** The applied position (a commit end LSN) the times below belong to. */
  appliedLsn: string | null;
  /** Commit time of the newest transaction applied. */
  appliedCommitMs: number | null;
  /** Commit time of the oldest transaction received and not applied yet (one a failing attempt was stuck on). */
  oldestUnappliedMs: number | null;
  /** The source's WAL position when last sampled. */
  sourceLsn: string | null;
  /** The source's clock minus the worker's. */
  clockOffsetMs: number;
}
