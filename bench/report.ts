/**
 * The benchmark report: each bench records its headline figures here (next to the baseline it
 * measured in the same run, or marked absolute), and `npm run bench` prints them as one table at the
 * end and writes bench/results.json with the machine they ran on.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** One headline figure. */
export interface Figure {
  /** The bench that measured it (`slack`, `watcher`, …). */
  bench: string;
  /** What was measured, e.g. `ack p99, 200 in flight`. */
  name: string;
  /** The measured value. */
  value: number;
  /** Its unit: `ms`, `MB`, `/s`, `calls`, … */
  unit: string;
  /** The same measurement of the baseline, in the same run (absent for absolute figures). */
  baseline?: { name: string; value: number };
  /** The target as people read it, e.g. `≤ 1.5× bare Bolt` or `< 100 ms`. */
  target?: string;
  /** Whether the target was met (absent when there is no target). */
  met?: boolean;
  /** Lower is better (latency, memory, calls) or higher is better (throughput). */
  better: 'lower' | 'higher';
}

const figures: Figure[] = [];

/** Records a figure for the final table. */
export function record(f: Figure): void {
  figures.push(f);
}

/** Every figure recorded so far. */
export function recorded(): readonly Figure[] {
  return figures;
}

/** value / baseline, the way the table shows it (× of the baseline). */
export function ratioOf(f: Figure): number | undefined {
  return f.baseline && f.baseline.value !== 0 ? f.value / f.baseline.value : undefined;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** The machine the figures came from, as README names it. */
export function machine(): { cpu: string; cores: number; memoryGiB: number; node: string; platform: string } {
  return { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: availableParallelism(), memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` };
}

/** The table of every recorded figure, as Markdown (README shows the latest one). */
export function table(list: readonly Figure[] = figures): string {
  const rows = list.map((f) => {
    const r = ratioOf(f);
    return [
      f.bench,
      f.name,
      `${fmt(f.value)} ${f.unit}`,
      f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value)} ${f.unit}` : 'absolute',
      r === undefined ? '—' : `${r.toFixed(2)}×`,
      f.target ?? '—',
      f.met === undefined ? '—' : f.met ? 'met' : 'MISSED',
    ];
  });
  const head = ['bench', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', ''];
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Writes bench/results.json: the machine, when, and every figure with its ratio. */
export function writeResults(dir: string): string {
  const file = join(dir, 'results.json');
  const body = { at: new Date().toISOString(), machine: machine(), figures: figures.map((f) => ({ ...f, ratio: ratioOf(f) ?? null })) };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
