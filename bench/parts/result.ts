// What one subscriber (native or pg-dts) yields in one run.
import type { CatchUpResult } from './catchup';
import type { SteadyState } from './workload';

export interface SideResult {
  catchUp: CatchUpResult;
  backlogSeconds: number;
  steady: SteadyState;
  /** Rows compared equal (ordered md5) between source and destination at the end of the run. */
  verifiedRows: number;
}
