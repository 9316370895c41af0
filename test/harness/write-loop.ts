// A load an application would add: one round of writes after another, until stopped.

export interface WriteLoop {
  /** Stops after the round in flight; resolves to the number of rounds run. */
  stop(): Promise<number>;
}

/** Runs `round(n)` for n = 1, 2, … with `pauseMs` between rounds until stopped. */
export function startWriteLoop(round: (n: number) => Promise<void>, pauseMs: number): WriteLoop {
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      n++;
      await round(n);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return n;
    },
  };
}
