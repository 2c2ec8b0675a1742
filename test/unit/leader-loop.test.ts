/** Leadership changes hands as the lock says: work starts on a gain, stops on a loss, and a clean stop lets go. */
import { describe, expect, it } from 'vitest';
import { LeaderLoop } from '../../src/core/leader-loop.ts';
import { silentLogger } from '../../src/core/logger.ts';

describe('LeaderLoop', () => {
  it('starts the leader work once when it wins, stops it when the lock is lost or unreachable, and takes it back', async () => {
    const answers: Array<boolean | Error> = [false, true, true, new Error('connection terminated'), true];
    const events: string[] = [];
    let released = 0;
    const loop = new LeaderLoop({
      leadership: {
        acquire: async () => {
          const a = answers.shift() ?? true;
          if (a instanceof Error) throw a;
          return a;
        },
        release: async () => {
          released++;
        },
      },
      everyMs: 20,
      onGain: () => void events.push('gain'),
      onLose: () => void events.push('lose'),
      log: silentLogger,
    });
    await loop.start();
    expect(loop.isLeader).toBe(false);
    // Four more tries at 20 ms each; a loaded machine may take longer, so wait for them rather than a fixed time.
    for (const until = Date.now() + 5_000; (answers.length > 0 || events.length < 3) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual(['gain', 'lose', 'gain']);
    expect(loop.isLeader).toBe(true);
    const flushed: string[] = [];
    await loop.stop(async () => void flushed.push('flush'));
    expect(flushed).toEqual(['flush']);
    expect(loop.isLeader).toBe(false);
    expect(released).toBe(1);
  });
});
