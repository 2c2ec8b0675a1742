import { describe, expect, it } from 'vitest';
import { ago, span, utcClock, utcTime } from '../../src/core/time.ts';

describe('times and ages in one style', () => {
  it('says spans and ages in their largest whole unit', () => {
    expect([0, 400, 45_000, 61_000, 3_599_000, 3_900_000, 90_000_000, 12 * 86_400_000].map(span)).toEqual(['0s', '0s', '45s', '1m', '59m', '1h', '1d', '12d']);
    expect(ago(1_000, 181_000)).toBe('3m ago');
    expect(ago(undefined, 1)).toBe('—');
    // A time stamped a little ahead (clock skew) is "0s ago", never negative.
    expect(ago(5_000, 1_000)).toBe('0s ago');
  });

  it('writes moments in UTC and says so', () => {
    const t = Date.UTC(2026, 11, 6, 14, 3, 7);
    expect(utcTime(t)).toBe('2026-12-06 14:03 UTC');
    expect(utcTime(t, true)).toBe('2026-12-06 14:03:07 UTC');
    expect(utcClock(t)).toBe('14:03 UTC');
  });
});
