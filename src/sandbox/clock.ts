import type { Clock } from '../ports/clock.ts';

/** How a SandboxClock keeps time. */
export interface SandboxClockOptions {
  /** Stepped only by advance() (tests); otherwise it follows real time. */
  manual?: boolean;
  /** Real-time multiplier (DOCKHAND_SANDBOX_SPEED); 10 makes a sandbox minute last 6 real seconds. */
  speed?: number;
  /** Epoch ms the clock starts at; defaults to the real time at construction. */
  start?: number;
}

interface Waiter {
  at: number;
  resolve: () => void;
}

/**
 * The sandbox's time: real time multiplied by `speed`, or a manual clock that only moves
 * when a test calls advance(). The scheduler and every timestamp the sandbox hands out use it.
 */
export class SandboxClock implements Clock {
  /** True when only advance() moves the clock. */
  readonly manual: boolean;
  /** Sandbox milliseconds per real millisecond. */
  readonly speed: number;
  private readonly startSandbox: number;
  private readonly startReal: number;
  private offset = 0;
  private waiters: Waiter[] = [];

  constructor(opts: SandboxClockOptions = {}) {
    this.manual = opts.manual ?? false;
    const speed = opts.speed ?? 1;
    if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`sandbox speed must be a positive number, got ${speed}`);
    this.speed = speed;
    this.startReal = Date.now();
    this.startSandbox = opts.start ?? this.startReal;
  }

  /** Sandbox time in epoch milliseconds. */
  now(): number {
    const base = this.manual ? this.startSandbox : this.startSandbox + (Date.now() - this.startReal) * this.speed;
    return Math.floor(base + this.offset);
  }

  /** Moves sandbox time forward by `ms` (either mode) and wakes sleepers that are due. */
  advance(ms: number): void {
    if (ms < 0) throw new Error('a sandbox clock never goes back');
    this.offset += ms;
    this.wake();
  }

  /** Resolves after `ms` of sandbox time: real time divided by speed, or when advance() passes it. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const waiter: Waiter = { at: this.now() + ms, resolve: () => undefined };
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      };
      const onAbort = (): void => {
        if (timer) clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      waiter.resolve = done;
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (!this.manual) timer = setTimeout(done, ms / this.speed);
      else if (ms <= 0) done();
    });
  }

  private wake(): void {
    const now = this.now();
    for (const w of [...this.waiters]) if (w.at <= now) w.resolve();
  }
}
