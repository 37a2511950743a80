/**
 * WeChat lets a mini program have at most 10 `wx.request` calls in flight; the 11th
 * fails at once. Every request the SDK sends takes a slot here first: at most `limit`
 * run, the rest wait in the order they came. A slot is held for one attempt only — a
 * call waiting to retry gives its slot to the next in line.
 */
export class RequestQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Runs `task` once a slot is free, and frees the slot when it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The slot passes straight to the first waiter, so nobody can overtake it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
