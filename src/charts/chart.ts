/**
 * The metrics chart as SVG: CPU and memory of a service over time, a time axis in UTC, a percent
 * axis, and a dashed line at 100% of what the tasks reserved (EC2 tasks without a hard limit may go
 * above it, so the axis grows past 100 when the data does). Pure: the layout is exported so tests can
 * find where each value must be drawn in the PNG.
 */
import type { MetricPoint } from '../ports/metrics.ts';

/** What the chart shows. */
export interface ChartSpec {
  /** The title line, such as `payments — CPU and memory, last 1h`. */
  title: string;
  /** The start of the time axis. */
  start: number;
  /** The end of the time axis. */
  end: number;
  /** The series, each drawn as one line in its colour. */
  series: ChartSeries[];
}

/** One line of the chart. */
export interface ChartSeries {
  /** The legend label, such as `CPU`. */
  label: string;
  /** The line colour, `#rrggbb`. */
  color: string;
  /** The points, oldest first. */
  points: readonly MetricPoint[];
}

/** The chart's size and plot area, in pixels. */
export const CHART = { width: 800, height: 360, left: 56, right: 20, top: 44, bottom: 40 } as const;

/** The colours the metrics chart uses (distinct for colour-blind readers: blue and orange). */
export const COLORS = { cpu: '#1f6fd1', memory: '#e8710a', limit: '#c62828', grid: '#e0e0e0', axis: '#616161', text: '#212121', background: '#ffffff' } as const;

/** Where values land: time → x and percent → y, for the given spec. */
export interface ChartLayout {
  /** The top of the percent axis (100, or more when a value goes above). */
  yMax: number;
  /** The x pixel of a time. */
  x(t: number): number;
  /** The y pixel of a value. */
  y(v: number): number;
}

/** The layout of a spec: the plot area and how times and values map onto it. */
export function chartLayout(spec: ChartSpec): ChartLayout {
  const all = spec.series.flatMap((s) => s.points.map((p) => p.v));
  const top = Math.max(100, ...all);
  const yMax = top <= 100 ? 100 : Math.ceil(top / 25) * 25;
  const plotW = CHART.width - CHART.left - CHART.right;
  const plotH = CHART.height - CHART.top - CHART.bottom;
  const span = Math.max(1, spec.end - spec.start);
  return {
    yMax,
    x: (t) => CHART.left + ((t - spec.start) / span) * plotW,
    y: (v) => CHART.top + plotH - (Math.max(0, v) / yMax) * plotH,
  };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A tick step for the time axis that gives 4 to 8 labels. */
function timeStep(spanMs: number): number {
  const steps = [5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * 60_000);
  return steps.find((s) => spanMs / s <= 8) ?? 10080 * 60_000;
}

function label(t: number, stepMs: number): string {
  const iso = new Date(t).toISOString();
  return stepMs >= 1440 * 60_000 ? iso.slice(5, 10) : iso.slice(11, 16);
}

/** The chart as an SVG document; text uses the font family `DejaVu Sans`, which the PNG renderer loads from the repository. */
export function chartSvg(spec: ChartSpec): string {
  const L = chartLayout(spec);
  const { width: W, height: H, left, right, bottom } = CHART;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="${COLORS.background}"/>`);
  out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold" fill="${COLORS.text}">${esc(spec.title)}</text>`);
  // Percent grid and labels.
  for (let v = 0; v <= L.yMax; v += 25) {
    const y = L.y(v).toFixed(1);
    out.push(`<line x1="${left}" y1="${y}" x2="${W - right}" y2="${y}" stroke="${COLORS.grid}" stroke-width="1"/>`);
    out.push(`<text x="${left - 6}" y="${(L.y(v) + 4).toFixed(1)}" text-anchor="end" fill="${COLORS.axis}">${v}%</text>`);
  }
  // Time axis in UTC.
  const step = timeStep(spec.end - spec.start);
  for (let t = Math.ceil(spec.start / step) * step; t <= spec.end; t += step) {
    const x = L.x(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${H - bottom}" x2="${x}" y2="${H - bottom + 5}" stroke="${COLORS.axis}" stroke-width="1"/>`);
    out.push(`<text x="${x}" y="${H - bottom + 18}" text-anchor="middle" fill="${COLORS.axis}">${label(t, step)}</text>`);
  }
  out.push(`<text x="${W - right}" y="${H - 6}" text-anchor="end" fill="${COLORS.axis}" font-size="11">UTC</text>`);
  out.push(`<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="${COLORS.axis}" stroke-width="1"/>`);
  // 100% of the task's size.
  const y100 = L.y(100).toFixed(1);
  out.push(`<line x1="${left}" y1="${y100}" x2="${W - right}" y2="${y100}" stroke="${COLORS.limit}" stroke-width="2" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${W - right - 4}" y="${(L.y(100) - 5).toFixed(1)}" text-anchor="end" fill="${COLORS.limit}" font-size="11">100% of task size</text>`);
  // Lines, with a gap where data is missing for more than two periods.
  for (const s of spec.series) {
    if (s.points.length === 0) continue;
    const gap = s.points.length > 1 ? Math.min(...s.points.slice(1).map((p, i) => p.t - (s.points[i] as MetricPoint).t)) * 2.5 : Infinity;
    let d = '';
    s.points.forEach((p, i) => {
      const prev = s.points[i - 1];
      const move = i === 0 || (prev !== undefined && p.t - prev.t > gap);
      d += `${move ? 'M' : 'L'}${L.x(p.t).toFixed(1)} ${L.y(p.v).toFixed(1)} `;
    });
    out.push(`<path d="${d.trim()}" fill="none" stroke="${s.color}" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>`);
    if (s.points.length === 1) {
      const p = s.points[0] as MetricPoint;
      out.push(`<circle cx="${L.x(p.t).toFixed(1)}" cy="${L.y(p.v).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
  }
  // Legend, top right.
  let lx = W - right;
  for (const s of [...spec.series].reverse()) {
    const w = 28 + s.label.length * 7.5;
    lx -= w;
    out.push(`<rect x="${lx.toFixed(1)}" y="12" width="14" height="4" fill="${s.color}"/>`);
    out.push(`<text x="${(lx + 18).toFixed(1)}" y="19" fill="${COLORS.text}">${esc(s.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('');
}
