// Hands stream messages to the applier one at a time. Most messages are taken synchronously (buffered);
// when the applier must wait (its write queue is full), the socket is paused and the messages already
// read are queued until it is ready. This replaces the library's flow control, which awaits a promise
// per message even when there is nothing to wait for.
export class SerialFeed<T> {
  private readonly queue: T[] = [];
  private head = 0;
  private waiting = false;
  private failed = false;

  constructor(
    private readonly handle: (item: T) => Promise<void> | void,
    private readonly pause: () => void,
    private readonly resume: () => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Nothing queued and nothing being waited for. */
  get idle(): boolean {
    return !this.waiting && this.head === this.queue.length;
  }

  push(item: T): void {
    if (this.failed) return;
    if (this.waiting) this.queue.push(item);
    else this.run(item);
  }

  private run(item: T): void {
    let pending: Promise<void> | void;
    try {
      pending = this.handle(item);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (!pending) return;
    this.waiting = true;
    this.pause();
    pending.then(() => this.drain(), (err: unknown) => this.fail(err));
  }

  private drain(): void {
    this.waiting = false;
    while (!this.waiting && !this.failed && this.head < this.queue.length) {
      const item = this.queue[this.head]!;
      this.queue[this.head++] = undefined as T; // let it be collected
      this.run(item);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    if (!this.waiting && !this.failed) this.resume();
  }

  private fail(err: unknown): void {
    this.failed = true;
    this.queue.length = 0;
    this.head = 0;
    this.onError(err);
  }
}
