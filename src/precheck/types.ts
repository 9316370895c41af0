export type CheckLevel = 'fail' | 'warn';

export interface CheckResult {
  id: string;
  level: CheckLevel;
  passed: boolean;
  /** What was found, naming the objects involved. */
  message: string;
  /** How to fix it; present when the check did not pass. */
  fix?: string;
}

export interface PrecheckReport {
  results: CheckResult[];
  /** True when a failed check blocks the task (a fail, or a warn not listed in ignoreWarnings). */
  blocked: boolean;
}
