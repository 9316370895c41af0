export type CheckLevel = 'fail' | 'warn';

export interface CheckResult {
  /** Stable kebab-case id; users list warning ids in precheck.ignoreWarnings. */
  id: string;
  /** fail: always blocks when not passed; warn: blocks unless its id is in precheck.ignoreWarnings. */
  level: CheckLevel;
  passed: boolean;
  /** What was found, naming the objects involved. */
  message: string;
  /** How to fix it; present when the check did not pass. */
  fix?: string;
  /** A warning that did not pass but is listed in precheck.ignoreWarnings (so it does not block). */
  ignored?: boolean;
}

export interface PrecheckReport {
  results: CheckResult[];
  /** True when a failed check blocks the task (a fail, or a warn not listed in ignoreWarnings). */
  blocked: boolean;
}
