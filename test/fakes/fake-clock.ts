import type { Clock } from '../../src/ports/clock.ts';

/** A clock tests step by hand; sleepers wake when the clock passes their time. */
export class FakeClock implements Clock {
  private t: number;
  private sleepers: Array<{ at: number; resolve: () => void }> = [];

  constructor(start = Date.UTC(2026, 10, 27, 9, 0, 0)) {
    this.t = start;
  }

  /** Current fake time. */
  now(): number {
    return this.t;
  }

  /** How many sleepers wait (a test waits for a loop to reach its sleep before moving time). */
  get sleeping(): number {
    return this.sleepers.length;
  }

  /** Resolves once `advance` moves the clock past now + ms. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const entry = { at: this.t + ms, resolve };
      this.sleepers.push(entry);
      signal?.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((s) => s !== entry);
        reject(signal.reason);
      }, { once: true });
    });
  }

  /** Moves time forward and wakes the sleepers that are due, in order. */
  async advance(ms: number): Promise<void> {
    // Code started just before (a timer loop reading the store first) reaches its sleep before time moves.
    await new Promise((r) => setImmediate(r));
    const target = this.t + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.t = Math.max(this.t, next.at);
      next.resolve();
      // Let the woken code run before the next sleeper is due.
      for (let i = 0; i < 5; i++) await Promise.resolve();
      await new Promise((r) => setImmediate(r));
    }
    this.t = target;
  }

  /** Moves time forward at once, waking nobody: for ordering two requests in time; it may not pass a sleeper's time. */
  nudge(ms: number): void {
    if (this.sleepers.some((s) => s.at <= this.t + ms)) throw new Error('nudge would pass a sleeper; use advance');
    this.t += ms;
  }
}
