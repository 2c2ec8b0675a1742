/**
 * SVG to PNG in-process with resvg (@resvg/resvg-js), using the DejaVu Sans font shipped in
 * assets/fonts: system fonts are never loaded, so a chart looks the same on a laptop and in a
 * slim container image that has no fonts at all.
 */
import { createRequire } from 'node:module';
import type * as ResvgJs from '@resvg/resvg-js';
import { projectPath } from '../config/paths.ts';
import { chartSvg, type ChartSpec } from './chart.ts';

const require = createRequire(import.meta.url);

/** The font every chart is drawn with (Bitstream Vera licence: assets/fonts/LICENSE-DejaVu.txt). */
export const CHART_FONT = projectPath('assets/fonts/DejaVuSans.ttf');

/** Renders an SVG document to PNG bytes at its own size. */
export function svgToPng(svg: string): Uint8Array {
  // The native renderer loads with the first chart (~10 ms), not with every start.
  const { Resvg } = require('@resvg/resvg-js') as typeof ResvgJs;
  const r = new Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles: [CHART_FONT], defaultFontFamily: 'DejaVu Sans' },
    background: '#ffffff',
  });
  return r.render().asPng();
}

/** The metrics chart of a spec as PNG bytes. */
export function renderChartPng(spec: ChartSpec): Uint8Array {
  return svgToPng(chartSvg(spec));
}
