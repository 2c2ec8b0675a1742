/**
 * Times and ages in one style everywhere dockhand prints them: ages and spans in their largest
 * whole unit (`45s`, `3m`, `2h`, `4d`, followed by `ago` for ages), durations a user gave or a
 * task ran exactly (formatDuration: `1h30m`), and moments as UTC
 * (`2026-12-06 14:03 UTC`, or `14:03 UTC` when the day goes without saying).
 */

const UNITS = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
] as const;

/** A span of time in its largest whole unit: `45s`, `3m`, `1h`, `2d` (under a second is `0s`). */
export function span(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const [unit, size] = UNITS.find(([, size]) => total >= size) ?? UNITS[UNITS.length - 1]!;
  return `${Math.floor(total / size)}${unit}`;
}

/** How long ago a moment was, in the style of span(): `3m ago`, `2h ago`; `—` when unknown. */
export function ago(then: number | undefined, now: number): string {
  if (then === undefined) return '—';
  return `${span(now - then)} ago`;
}

/** A moment in UTC, `2026-12-06 14:03 UTC` (with seconds, `2026-12-06 14:03:07 UTC`). */
export function utcTime(ms: number, seconds = false): string {
  return `${new Date(ms).toISOString().slice(0, seconds ? 19 : 16).replace('T', ' ')} UTC`;
}

/** A time of day in UTC, `14:03 UTC`, for moments within the day the reply is about. */
export function utcClock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}
