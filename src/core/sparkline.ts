/**
 * Sparklines: a series of numbers as one line of block characters (▁▂▃▄▅▆▇█), which every
 * platform shows as text, so a trend reads the same in Slack, Discord and a terminal.
 */

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/** How a sparkline is drawn. */
export interface SparklineOptions {
  /** The value drawn as the lowest bar (default: 0). */
  min?: number;
  /** The value drawn as the highest bar (default: the largest value, at least `min` + 1). */
  max?: number;
  /** At most this many characters; longer series are averaged into buckets (default 30). */
  width?: number;
}

/** Averages `values` into at most `width` buckets, keeping gaps (NaN) where a bucket has no value. */
export function bucket(values: readonly number[], width: number): number[] {
  if (values.length <= width) return [...values];
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const from = Math.floor((i * values.length) / width);
    const to = Math.floor(((i + 1) * values.length) / width);
    const part = values.slice(from, Math.max(to, from + 1)).filter((v) => Number.isFinite(v));
    out.push(part.length ? part.reduce((a, b) => a + b, 0) / part.length : NaN);
  }
  return out;
}

/**
 * The sparkline of a series: one bar per value (or per bucket), a space where a value is missing
 * (NaN). Values outside min..max are drawn at the nearest end.
 */
export function sparkline(values: readonly number[], options: SparklineOptions = {}): string {
  const width = Math.max(1, options.width ?? 30);
  const shown = bucket(values, width);
  const finite = shown.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return '';
  const min = options.min ?? 0;
  const max = Math.max(options.max ?? Math.max(...finite), min + 1e-9);
  return shown
    .map((v) => {
      if (!Number.isFinite(v)) return ' ';
      const share = Math.min(1, Math.max(0, (v - min) / (max - min)));
      return BARS[Math.min(BARS.length - 1, Math.floor(share * BARS.length))];
    })
    .join('');
}

/** A percentage series' sparkline on a 0–100 scale (higher values, such as EC2 bursts over 100%, widen it). */
export function percentSparkline(values: readonly number[], width = 30): string {
  const finite = values.filter((v) => Number.isFinite(v));
  return sparkline(values, { min: 0, max: Math.max(100, ...finite), width });
}
