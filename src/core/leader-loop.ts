/**
 * Runs for leadership among the replicas: tries at once and then every `everyMs`, starts the
 * leader's work when it wins and stops it when it loses (its database connection died, or another
 * replica holds the lock). A follower that keeps trying takes over within one interval of the
 * leader's death; the interval is kept under the watcher's poll so that is within two polls.
 */
import type { Leadership } from '../ports/coordination.ts';
import type { Logger } from './logger.ts';

/** What the loop needs. */
export interface LeaderLoopOptions {
  /** The lock. */
  leadership: Leadership;
  /** How often a follower tries again and a leader checks it still leads, ms. */
  everyMs: number;
  /** Starts the leader's work (watcher, outbox delivery, quiz timers). */
  onGain: () => void | Promise<void>;
  /** Stops it again (leadership was lost, or the process is stopping). */
  onLose: () => void | Promise<void>;
  /** Where gains, losses and errors are logged. */
  log: Logger;
}

/** See the module comment. */
export class LeaderLoop {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private tick: Promise<void> = Promise.resolve();
  private readonly o: LeaderLoopOptions;

  constructor(o: LeaderLoopOptions) {
    this.o = o;
  }

  /** True while this process leads (for the `dockhand_leader` gauge). */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Tries once now (resolving after that attempt and its onGain), then keeps trying in the background. */
  async start(): Promise<void> {
    await this.step();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick = this.step().finally(() => this.schedule());
    }, this.o.everyMs);
    this.timer.unref();
  }

  private async step(): Promise<void> {
    let leads: boolean;
    try {
      leads = await this.o.leadership.acquire();
    } catch (e) {
      // Unable to tell is not leading: two leaders would be worse than a short gap.
      this.o.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'leadership: could not reach the database; not leading until it answers');
      leads = false;
    }
    if (this.stopped) return;
    if (leads && !this.leading) {
      this.leading = true;
      this.o.log.info({}, 'leadership: this replica leads (watcher, alert delivery, quiz timers)');
      try {
        await this.o.onGain();
      } catch (e) {
        this.o.log.error({ err: e instanceof Error ? e.message : String(e) }, 'leadership: could not start the leader\'s work');
      }
    } else if (!leads && this.leading) {
      this.leading = false;
      this.o.log.warn({}, 'leadership: lost; the leader\'s work stops here and another replica takes it over');
      await Promise.resolve(this.o.onLose()).catch((e: unknown) => this.o.log.error({ err: e instanceof Error ? e.message : String(e) }, 'leadership: could not stop the leader\'s work'));
    }
  }

  /** Stops trying; a leader stops its work (through `stopWork`, which may flush) and lets go so another replica takes over at once. */
  async stop(stopWork?: () => Promise<void>): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.tick;
    if (this.leading) {
      this.leading = false;
      await (stopWork ?? this.o.onLose)();
    }
    await this.o.leadership.release().catch(() => undefined);
  }
}
