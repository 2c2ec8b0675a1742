/**
 * The actions of buttons too long for Discord's 100-character custom_id: the button carries a hash,
 * and the action is kept in the coordination store (the keyed table Slack's thread map uses), so a
 * press after a restart, or on another replica, still finds what the button does. A small memory
 * cache spares the store a read for buttons this process rendered.
 */
import type { ThreadMap } from '../../ports/coordination.ts';
import { MemoryThreadMap } from '../../ports/memory-coordination.ts';

/** The "channel" long actions are filed under in the keyed table, apart from every real channel id. */
export const LONG_ACTIONS_SPACE = 'discord:long-action';
/** Actions cached in memory at most (oldest dropped first); the store keeps them all. */
const CACHE_MAX = 5_000;

/** custom_id → action, kept where every replica (and the next start) can read it. */
export class LongActions {
  private readonly store: ThreadMap;
  private readonly cache = new Map<string, string>();
  private readonly now: () => number;

  /** `store` is the coordination store's keyed table; one process's memory when absent (tests). */
  constructor(store?: ThreadMap, now: () => number = Date.now) {
    this.store = store ?? new MemoryThreadMap();
    this.now = now;
  }

  /**
   * Keeps the actions of buttons about to be sent; resolves once stored, so a press (on any replica)
   * can never arrive before its action is readable. Storing again refreshes its age, so a button
   * shown again lives on past the store's pruning.
   */
  async remember(actions: ReadonlyMap<string, string>): Promise<void> {
    for (const [id, action] of actions) {
      await this.store.remember(LONG_ACTIONS_SPACE, id, action, this.now());
      this.cache.delete(id);
      this.cache.set(id, action);
    }
    while (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
  }

  /** The action of a custom_id, or undefined when nobody stored it (or it was pruned). */
  async get(customId: string): Promise<string | undefined> {
    const hit = this.cache.get(customId);
    if (hit !== undefined) return hit;
    const found = await this.store.find(LONG_ACTIONS_SPACE, customId);
    if (found !== undefined) this.cache.set(customId, found);
    return found;
  }
}
