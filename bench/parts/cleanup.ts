// Everything the benchmark starts (clusters, Temporal, the worker) registers its teardown here, so a
// failure or Ctrl-C in the middle of a run still stops every process and removes every data directory.
type Teardown = () => unknown;

export class Cleanup {
  private readonly stack: { label: string; fn: Teardown }[] = [];

  add(label: string, fn: Teardown): void {
    this.stack.push({ label, fn });
  }

  /** Runs teardowns in reverse order of registration; one failing does not stop the others. */
  async run(): Promise<void> {
    while (this.stack.length) {
      const { label, fn } = this.stack.pop()!;
      try {
        await fn();
      } catch (err) {
        console.error(`cleanup of ${label} failed: ${(err as Error).message}`);
      }
    }
  }
}
