// The repair part of a verification's report (`pg-dts verify --repair`, docs/verification.md "Repair").

/** One table's repair: what was replaced, how, and its ranges compared again afterwards. */
export interface TableRepair {
  /** source "schema.name" */
  table: string;
  /** Keys whose destination rows were replaced by the source's (0 when refused). */
  keys: number;
  /** Some of them (key values), for the report. */
  shownKeys: string[][];
  /** Through the stream (task streaming) or straight into the destination (task never streams again). */
  through: 'stream' | 'direct' | null;
  /** Why this table was not repaired, with what to do; null when it was. */
  refused: string | null;
  /** The repaired ranges compared again (the re-check rule while the task streams). */
  reverified: { ranges: number; differing: number; unsettled: number; differingKeys: string[][] } | null;
}

export interface RepairReport {
  tables: TableRepair[];
  /** Every table with a difference was repaired and its ranges compared equal afterwards. */
  clean: boolean;
}

/** Repaired keys listed per table in the report (all are counted). */
export const REPAIR_SHOWN_KEYS = 20;
