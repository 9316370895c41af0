// Resources a test file opens are registered here and released by one `after(releaseAll)` in the file:
// node:test runs an `after` registered inside a `before` hook as soon as that hook ends.
const cleanups: (() => unknown)[] = [];

export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

export async function releaseAll(): Promise<void> {
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      console.error('cleanup failed:', err);
    }
  }
}
