import { describe, expect, it } from 'vitest';
import { watchSchema, watcherSettings } from '../../src/watcher/config.ts';

describe('watch.delivery.giveUpAfter', () => {
  it('defaults to 6 hours and takes a duration', () => {
    expect(watcherSettings(undefined, undefined).deliveryGiveUpAfterMs).toBe(6 * 60 * 60_000);
    expect(watcherSettings(watchSchema.parse({ delivery: { giveUpAfter: '90m' } }), undefined).deliveryGiveUpAfterMs).toBe(90 * 60_000);
  });

  it('refuses what is not a duration of at least a minute, naming the field', () => {
    const bad = watchSchema.safeParse({ delivery: { giveUpAfter: '10s' } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('watch.delivery.giveUpAfter must be at least 60s');
    expect(watchSchema.safeParse({ delivery: { giveUpAfter: 'soon' } }).success).toBe(false);
  });
});
