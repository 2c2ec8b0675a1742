import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { CHART, COLORS, chartLayout, chartSvg, type ChartSpec } from '../../src/charts/chart.ts';
import { renderChartPng } from '../../src/charts/png.ts';
import { percentSparkline, sparkline } from '../../src/core/sparkline.ts';

const T0 = Date.UTC(2026, 11, 6, 13, 0);
const MIN = 60_000;

function spec(memoryAt: (i: number) => number): ChartSpec {
  return {
    title: 'payments — CPU and memory, last 1h',
    start: T0,
    end: T0 + 60 * MIN,
    series: [
      { label: 'CPU', color: COLORS.cpu, points: Array.from({ length: 60 }, (_, i) => ({ t: T0 + i * MIN, v: 20 })) },
      { label: 'Memory', color: COLORS.memory, points: Array.from({ length: 60 }, (_, i) => ({ t: T0 + i * MIN, v: memoryAt(i) })) },
    ],
  };
}

function rgb(hex: string): [number, number, number] {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}

/** True when a pixel within 2 px of (x, y) has the colour (antialiasing softens line edges). */
function near(png: PNG, x: number, y: number, hex: string, tolerance = 40): boolean {
  const [r, g, b] = rgb(hex);
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      const i = ((Math.round(y) + dy) * png.width + (Math.round(x) + dx)) * 4;
      const d = Math.abs((png.data[i] ?? 0) - r) + Math.abs((png.data[i + 1] ?? 0) - g) + Math.abs((png.data[i + 2] ?? 0) - b);
      if (d <= tolerance) return true;
    }
  }
  return false;
}

describe('metrics chart PNG', () => {
  const s = spec((i) => 40 + i);
  const png = PNG.sync.read(Buffer.from(renderChartPng(s)));
  const L = chartLayout(s);

  it('decodes as a PNG of the chart size', () => {
    expect(png.width).toBe(CHART.width);
    expect(png.height).toBe(CHART.height);
  });

  it('draws each value where its time and percent put it', () => {
    for (const i of [5, 30, 55]) {
      const t = T0 + i * MIN;
      expect(near(png, L.x(t), L.y(20), COLORS.cpu), `CPU at minute ${i}`).toBe(true);
      expect(near(png, L.x(t), L.y(40 + i), COLORS.memory), `memory at minute ${i}`).toBe(true);
      // Nothing of the memory line where the CPU line runs, and the other way round.
      expect(near(png, L.x(t), L.y(20), COLORS.memory)).toBe(false);
    }
  });

  it('draws the 100% line in red across the plot, and text with the shipped font', () => {
    expect(near(png, CHART.left + 2, L.y(100), COLORS.limit)).toBe(true);
    expect(near(png, CHART.width / 2 - 1, L.y(100), COLORS.limit)).toBe(true);
    // The title is dark text in the top band; without a font resvg would draw nothing there.
    let dark = 0;
    for (let y = 8; y < 28; y++) for (let x = CHART.left; x < CHART.left + 200; x++) if ((png.data[(y * png.width + x) * 4] ?? 255) < 100) dark++;
    expect(dark).toBeGreaterThan(100);
  });

  it('grows the percent axis past 100% when a value goes above (EC2 tasks without a hard limit)', () => {
    const over = spec((i) => (i === 30 ? 140 : 50));
    expect(chartLayout(over).yMax).toBe(150);
    expect(chartSvg(over)).toContain('>150%<');
    const p = PNG.sync.read(Buffer.from(renderChartPng(over)));
    const lo = chartLayout(over);
    expect(near(p, lo.x(T0 + 30 * MIN), lo.y(140), COLORS.memory)).toBe(true);
  });

  it('escapes text that would break the SVG', () => {
    expect(chartSvg({ ...s, title: 'a <b> & "c"' })).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
  });
});

describe('sparklines', () => {
  it('maps values onto eight bars, lowest to highest', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], { min: 0, max: 7 })).toBe('▁▂▃▄▅▆▇█');
    expect(percentSparkline([0, 50, 100])).toBe('▁▅█');
  });

  it('averages long series into the width and leaves gaps as spaces', () => {
    expect([...percentSparkline(Array.from({ length: 360 }, () => 50), 30)]).toHaveLength(30);
    expect(sparkline([10, NaN, 10], { min: 0, max: 10 })).toBe('█ █');
    expect(sparkline([])).toBe('');
  });
});
