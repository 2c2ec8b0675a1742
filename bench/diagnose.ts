/**
 * `/ecs diagnose` on a crash-looping service and `/ecs metrics`, against the demo sandbox with
 * 20 ms added to every AWS call (a nearby region's round trip): how many AWS calls each makes
 * (counted at the sandbox's HTTP server) and its wall time, next to `/ecs status` of the same service
 * measured in the same run as the baseline. Also the time to render one PNG chart, next to building
 * its SVG alone.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ecs } from '../commands/ecs.ts';
import { metricsChart } from '../commands/ecs-metrics.ts';
import { chartSvg, COLORS } from '../src/charts/chart.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS } from '../src/aws/index.ts';
import { Dispatcher } from '../src/core/dispatcher.ts';
import { silentLogger } from '../src/core/logger.ts';
import { defaultSettings } from '../src/core/settings.ts';
import { SandboxClock } from '../src/sandbox/clock.ts';
import { startSandbox } from '../src/sandbox/server.ts';
import { MemoryAudit } from '../test/fakes/memory-audit.ts';
import { record } from './report.ts';

const ROUNDS = 5;
const LATENCY_MS = 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Runs the diagnose, metrics and status benchmarks and prints their figures. */
export async function run(): Promise<void> {
  const sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 14) }), seed: 21 });
  sandbox.advance(20 * 60_000);
  sandbox.faults.set('*', { latencyMs: LATENCY_MS });
  const aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS });
  const dispatcher = new Dispatcher({
    commands: [ecs],
    ports: { clock: sandbox.clock, audit: new MemoryAudit(), containers: aws.containers, images: aws.images, logs: aws.logs, metrics: aws.metrics },
    settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: true }),
    log: silentLogger,
  });
  const caller = { platform: 'console' as const, workspaceId: 'local', channelId: 'terminal', userId: 'bench', displayName: 'bench' };

  // Every request the sandbox receives, by X-Amz-Target, counted where it arrives.
  const seen: string[] = [];
  const onRequest = (msg: unknown): void => {
    const req = (msg as { request: IncomingMessage }).request;
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') seen.push(target.slice(target.indexOf('.') + 1));
  };
  subscribe('http.server.request.start', onRequest);

  async function measure(line: string): Promise<{ calls: number; ms: number; ops: string }> {
    const first = await dispatcher.run(line, caller); // warm the connections and the task definition path
    if (first.reply.blocks[0]?.kind === 'text' && /⚠️|error/i.test(first.reply.blocks[0].text)) throw new Error(`${line} failed: ${first.reply.blocks[0].text}`);
    const times: number[] = [];
    let calls = 0;
    let ops = '';
    for (let i = 0; i < ROUNDS; i++) {
      seen.length = 0;
      const t = performance.now();
      await dispatcher.run(line, caller);
      times.push(performance.now() - t);
      calls = seen.length;
      const byOp = new Map<string, number>();
      for (const op of seen) byOp.set(op, (byOp.get(op) ?? 0) + 1);
      ops = [...byOp.entries()].map(([op, n]) => (n > 1 ? `${op}×${n}` : op)).join(', ');
    }
    return { calls, ms: median(times), ops };
  }

  try {
    const status = await measure('/ecs status payments');
    const diagnose = await measure('/ecs diagnose payments');
    const reports = await measure('/ecs diagnose reports');
    const metrics = await measure('/ecs metrics payments --since 6h');
    const line = (name: string, r: { calls: number; ms: number; ops: string }): string => `${name}: ${r.calls} AWS calls, ${Math.round(r.ms)} ms (${r.ops})`;
    console.log(`diagnose: ${LATENCY_MS} ms added to every AWS call; median of ${ROUNDS}`);
    console.log(`  ${line('/ecs diagnose payments (crash loop, OOM)', diagnose)}`);
    console.log(`  ${line('/ecs diagnose reports (image pull fails)', reports)}`);
    console.log(`  ${line('/ecs metrics payments --since 6h (with its PNG chart)', metrics)}`);
    console.log(`  baseline ${line('/ecs status payments', status)}`);
    record({ bench: 'diagnose', name: `/ecs diagnose payments, ${LATENCY_MS} ms per AWS call`, value: diagnose.ms, unit: 'ms', baseline: { name: '/ecs status payments', value: status.ms }, better: 'lower' });
    record({ bench: 'diagnose', name: '/ecs diagnose payments (crash loop), AWS calls', value: diagnose.calls, unit: 'calls', baseline: { name: '/ecs status payments', value: status.calls }, better: 'lower' });
    record({ bench: 'diagnose', name: `/ecs metrics payments --since 6h with its PNG chart, ${LATENCY_MS} ms per AWS call`, value: metrics.ms, unit: 'ms', baseline: { name: '/ecs status payments', value: status.ms }, better: 'lower' });
    record({ bench: 'diagnose', name: '/ecs metrics payments --since 6h, AWS calls', value: metrics.calls, unit: 'calls', baseline: { name: '/ecs status payments', value: status.calls }, better: 'lower' });

    // Chart rendering alone, on a day of one-minute points per metric (the --since 24h worst case at 4-minute periods is smaller).
    const t0 = Date.UTC(2026, 10, 27);
    const points = (f: (i: number) => number) => Array.from({ length: 360 }, (_, i) => ({ t: t0 + i * 240_000, v: f(i) }));
    const m = { cpu: points((i) => 30 + 20 * Math.sin(i / 20)), memory: points((i) => 40 + (i % 60)), periodSeconds: 240 };
    const n = 20;
    let t = performance.now();
    for (let i = 0; i < n; i++) chartSvg({ title: 'bench', start: t0, end: t0 + 86_400_000, series: [{ label: 'CPU', color: COLORS.cpu, points: m.cpu }, { label: 'Memory', color: COLORS.memory, points: m.memory }] });
    const svgMs = (performance.now() - t) / n;
    t = performance.now();
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes = metricsChart('bench', 86_400_000, t0, t0 + 86_400_000, m).png.byteLength;
    const pngMs = (performance.now() - t) / n;
    record({ bench: 'diagnose', name: '800×360 PNG chart, 2 × 360 points', value: pngMs, unit: 'ms', baseline: { name: 'SVG alone', value: svgMs }, better: 'lower' });
    console.log(`  chart: ${pngMs.toFixed(1)} ms per 800×360 PNG (${(bytes / 1024).toFixed(0)} KB, 2 × 360 points), baseline SVG alone ${svgMs.toFixed(2)} ms`);
  } finally {
    unsubscribe('http.server.request.start', onRequest);
    aws.destroy();
    await sandbox.stop();
  }
}
