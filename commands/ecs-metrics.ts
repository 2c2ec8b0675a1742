/** `/ecs metrics <service> [--since 6h]`: CPU and memory of a service as min/avg/max, sparklines and a chart. */
import { defineSubcommand, type CommandContext } from '../src/core/command.ts';
import { isUserError, userMessage } from '../src/core/errors.ts';
import type { Block, ImageBlock } from '../src/core/reply.ts';
import { reply } from '../src/core/reply.ts';
import { percentSparkline } from '../src/core/sparkline.ts';
import { COLORS, type ChartSpec } from '../src/charts/chart.ts';
import { renderChartPng } from '../src/charts/png.ts';
import { summarize } from '../src/diagnosis/rules.ts';
import type { MetricPoint, ServiceMetrics } from '../src/ports/metrics.ts';
import { awsNow, chooseCluster, clusterOption, findService, footer, where, type ClusterChoice } from './ecs-common.ts';

const MINUTE = 60_000;
/** The window metrics cover unless asked otherwise. */
export const DEFAULT_METRICS_WINDOW_MS = 60 * MINUTE;
/** About this many points per series: plenty for a chart, few enough for one GetMetricData page. */
const TARGET_POINTS = 360;

/** What reading a service's metrics gave: the series, or why there are none (said in the reply). */
export interface MetricsRead {
  /** The series, when CloudWatch answered with data. */
  metrics?: ServiceMetrics;
  /** Why there are no metrics: denied (naming the permission), throttled, not wired, or no data yet. */
  problem?: string;
  /** The window read. */
  start: number;
  /** The end of the window. */
  end: number;
}

/** The period (seconds, a multiple of 60) that gives about 360 points over a window. */
export function periodFor(windowMs: number): number {
  return Math.max(60, Math.ceil(windowMs / 1000 / TARGET_POINTS / 60) * 60);
}

/** "1h", "6h", "90m", "2d". */
export function windowText(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${Math.round(ms / MINUTE)}m`;
}

/**
 * Reads a service's CPU and memory over the window ending now (on the AWS clock). A denied,
 * throttled or unavailable CloudWatch is not an error here: the caller says so and answers anyway.
 */
export async function readMetrics(
  ctx: CommandContext,
  choice: ClusterChoice,
  service: string,
  windowMs: number,
  options: { taskId?: string; end?: number } = {},
): Promise<MetricsRead> {
  const end = options.end ?? awsNow(ctx);
  const start = end - windowMs;
  const port = ctx.ports.metrics;
  if (!port) return { problem: 'dockhand has no CloudWatch metrics connection in this setup', start, end };
  try {
    const metrics = await port.serviceUtilization({
      region: choice.target.region,
      cluster: choice.target.cluster,
      service,
      start,
      end,
      periodSeconds: periodFor(windowMs),
      ...(options.taskId ? { taskId: options.taskId } : {}),
    });
    if (metrics.cpu.length === 0 && metrics.memory.length === 0) {
      return { metrics, problem: `CloudWatch has no CPU or memory data for ${service} in the last ${windowText(windowMs)} (a new service, or no task ran)`, start, end };
    }
    return { metrics, start, end };
  } catch (e) {
    if (!isUserError(e)) throw e;
    ctx.log.info({ err: e.message, service }, 'metrics unavailable');
    return { problem: userMessage(e, ctx.settings.sandbox), start, end };
  }
}

function pct(v: number): string {
  return `${v >= 10 ? Math.round(v) : v.toFixed(1)}%`;
}

/** "▂▃▅▇█ avg 61%, max 99%" for a field, or "no data". */
export function trendText(points: readonly MetricPoint[], width = 20): string {
  const s = summarize(points);
  if (!s) return 'no data';
  return `${percentSparkline(points.map((p) => p.v), width)} avg ${pct(s.avg)}, max ${pct(s.max)}`;
}

/** The status command's last-hour sparkline fields, or one field saying why there are none. */
export function statusMetricFields(read: MetricsRead): Array<{ label: string; value: string }> {
  const m = read.metrics;
  if (!m || (m.cpu.length === 0 && m.memory.length === 0)) return [{ label: 'CPU / memory (1h)', value: `unavailable: ${read.problem ?? 'no data'}` }];
  return [
    { label: 'CPU (1h)', value: trendText(m.cpu) },
    { label: 'Memory (1h)', value: trendText(m.memory) },
  ];
}

function stats(label: string, points: readonly MetricPoint[]): string {
  const sum = summarize(points);
  return sum ? `${label} (min ${pct(sum.min)}, avg ${pct(sum.avg)}, max ${pct(sum.max)})` : `${label} (no data)`;
}

/** The PNG chart of a service's CPU and memory, with alt text that says what it shows. */
export function metricsChart(service: string, windowMs: number, start: number, end: number, m: ServiceMetrics): ImageBlock {
  const spec: ChartSpec = {
    title: `${service} — CPU and memory, last ${windowText(windowMs)}`,
    start,
    end,
    series: [
      { label: 'CPU', color: COLORS.cpu, points: m.cpu },
      { label: 'Memory', color: COLORS.memory, points: m.memory },
    ],
  };
  const span = `${new Date(start).toISOString().slice(11, 16)} to ${new Date(end).toISOString().slice(11, 16)} UTC`;
  return {
    kind: 'image',
    png: renderChartPng(spec),
    title: spec.title,
    filename: `${service}-metrics.png`,
    alt: `Line chart of ${service}: ${stats('CPU', m.cpu)} and ${stats('memory', m.memory)} from ${span}, with a dashed line at 100% of the task size.`,
  };
}

/** `/ecs metrics <service> [--since 6h]`. */
export const metricsSub = defineSubcommand({
  name: 'metrics',
  description: 'CPU and memory of a service from CloudWatch: min, average, max, a sparkline and a chart',
  options: [
    { name: 'service', type: 'string', description: 'The service name', positional: true, required: true },
    // CloudWatch keeps one-minute data for 15 days; 14 days leaves room for the delay.
    { name: 'since', type: 'duration', description: 'How far back to look (default 1h)', min: 5 * MINUTE, max: 14 * 86_400_000 },
    clusterOption,
  ] as const,
  role: 'viewer',
  changes: false,
  example: '/ecs metrics payments --since 6h',
  handler: async (args, ctx) => {
    const choice = chooseCluster(ctx, args.cluster);
    const s = await findService(ctx, choice, args.service);
    const windowMs = args.since ?? DEFAULT_METRICS_WINDOW_MS;
    const read = await readMetrics(ctx, choice, s.name, windowMs);
    const title = `${s.name} — CPU and memory, last ${windowText(windowMs)}`;
    const blocks: Block[] = [{ kind: 'heading', text: `${title} in ${where(choice.ref)}` }];
    const m = read.metrics;
    if (!m || (m.cpu.length === 0 && m.memory.length === 0)) {
      blocks.push({ kind: 'text', text: `No metrics: ${read.problem ?? 'CloudWatch has no data'}` });
      blocks.push(footer(ctx, choice.ref, 'AWS/ECS CPUUtilization and MemoryUtilization'));
      return reply(blocks, { summary: `${s.name}: no metrics` });
    }
    const rows = [
      ['CPU', m.cpu],
      ['Memory', m.memory],
    ].map(([label, points]) => {
      const pts = points as MetricPoint[];
      const sum = summarize(pts);
      return [label as string, sum ? pct(sum.min) : '—', sum ? pct(sum.avg) : '—', sum ? pct(sum.max) : '—', pts.length ? percentSparkline(pts.map((p) => p.v), 30) : 'no data'];
    });
    blocks.push({ kind: 'table', columns: ['Metric', 'Min', 'Avg', 'Max', 'Trend'], rows, align: ['left', 'right', 'right', 'right', 'left'] });
    const from = new Date(read.start).toISOString().slice(11, 16);
    const to = new Date(read.end).toISOString().slice(11, 16);
    blocks.push(metricsChart(s.name, windowMs, read.start, read.end, m));
    blocks.push(
      footer(ctx, choice.ref, `${from}–${to} UTC · ${m.periodSeconds / 60}-minute averages over all tasks, in percent of what the tasks reserved`),
    );
    const mem = summarize(m.memory);
    return reply(blocks, { summary: `${s.name}: cpu avg ${summarize(m.cpu) ? pct(summarize(m.cpu)!.avg) : '—'}, memory max ${mem ? pct(mem.max) : '—'}` });
  },
});
