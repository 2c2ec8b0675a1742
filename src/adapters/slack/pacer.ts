/**
 * Paces messages per channel: Slack allows "no more than one message per second" to a channel,
 * with short bursts, and answers 429 with Retry-After beyond that (https://api.slack.com/docs/rate-limits).
 * Each channel has its own queue, so a busy `--follow` or an alert storm in one channel (and its
 * 429s) waits only in that channel, never in another one or in front of an interactive call.
 */

/** How the pacer recognises a rate-limit answer: the wait Slack asked for, in ms, or undefined. */
export type RetryAfterOf = (e: unknown) => number | undefined;

interface Lane {
  tail: Promise<void>;
  /** Not before: the pace. */
  nextAt: number;
  /** Not before: what a 429 asked for. */
  limitedUntil: number;
  queued: number;
}

/** Paces calls per channel; see the module comment. */
export class ChannelPacer {
  private readonly lanes = new Map<string, Lane>();

  /**
   * @param retryAfterOf reads a 429's Retry-After from an error
   * @param gapMs least time between two messages to one channel (Slack: about one a second)
   * @param maxWaitMs a 429 asking for longer than this is not waited out but thrown to the caller
   */
  constructor(
    private readonly retryAfterOf: RetryAfterOf,
    private readonly gapMs = 1_000,
    private readonly maxWaitMs = 30_000,
  ) {}

  /** Messages waiting or in flight for a channel (for tests and diagnostics). */
  queued(channel: string): number {
    return this.lanes.get(channel)?.queued ?? 0;
  }

  /**
   * Runs `call` for `channel` after the channel's earlier calls, at least `gapMs` after the last one;
   * on a 429 the channel waits what Slack asked and, while `retries` allow, tries again. A caller that
   * waits out 429s on its own clock (the alert outbox) passes `wait429: false`: it still paces and
   * still makes the channel's other messages wait, but is not held by a 429 itself.
   */
  run<T>(channel: string, call: () => Promise<T>, opts: { retries?: number; wait429?: boolean } = {}): Promise<T> {
    const retries = opts.retries ?? 0;
    const wait429 = opts.wait429 ?? true;
    let lane = this.lanes.get(channel);
    if (!lane) {
      lane = { tail: Promise.resolve(), nextAt: 0, limitedUntil: 0, queued: 0 };
      this.lanes.set(channel, lane);
    }
    const l = lane;
    l.queued++;
    const result = l.tail.then(async () => {
      for (let attempt = 0; ; attempt++) {
        const wait = (wait429 ? Math.max(l.nextAt, l.limitedUntil) : l.nextAt) - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        try {
          const out = await call();
          l.nextAt = Date.now() + this.gapMs;
          return out;
        } catch (e) {
          const after = this.retryAfterOf(e);
          if (after === undefined) {
            l.nextAt = Date.now() + this.gapMs;
            throw e;
          }
          // The whole channel waits, so the next message does not run into the same 429.
          l.nextAt = Date.now() + this.gapMs;
          l.limitedUntil = Date.now() + after;
          if (attempt >= retries || after > this.maxWaitMs) throw e;
        }
      }
    });
    l.tail = result.then(
      () => undefined,
      () => undefined,
    );
    void l.tail.then(() => {
      l.queued--;
      if (l.queued === 0 && this.lanes.get(channel) === l && Math.max(l.nextAt, l.limitedUntil) <= Date.now()) this.lanes.delete(channel);
    });
    return result;
  }
}
