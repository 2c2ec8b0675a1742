/**
 * `/ecs diagnose` on every demo service over the terminal (`npm start` on a pipe, default sandbox):
 * each failing service shows its own, correct finding first, and the healthy ones say so with numbers.
 * `/ecs metrics` and `/ecs status` print their sparklines in the same run.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.ts';

function section(out: string, command: string): string {
  const start = out.indexOf(`> ${command}\n`);
  expect(start, `no reply to ${command}`).toBeGreaterThanOrEqual(0);
  const next = out.indexOf('\n> ', start + 2);
  return out.slice(start, next < 0 ? undefined : next);
}

describe('/ecs diagnose over the terminal against the demo sandbox', () => {
  it('finds out-of-memory kills in payments, a missing tag in reports, failing health checks in search, and health elsewhere', async () => {
    const services = ['payments', 'reports', 'search', 'web', 'api', 'worker'];
    const lines = [...services.map((s) => `/ecs diagnose ${s}`), '/ecs metrics payments --since 30m', '/ecs status web', '/ecs diagnose paymnts'];
    // Wide enough that no finding wraps, so each reads as one line here.
    const r = await runCli(lines, { COLUMNS: '400' }, 120_000);
    const out = r.stdout;
    const first = (s: string): string => (section(out, `/ecs diagnose ${s}`).split('\n')[2] ?? '').trim();

    expect(first('payments')).toMatch(/^🔴 out of memory: [1-9]\d* of the last \d+ crashes$/);
    const payments = section(out, '/ecs diagnose payments');
    expect(payments).toContain('• memory: task 512 MiB');
    expect(payments).toMatch(/• service memory [▁▂▃▄▅▆▇█]+ avg \d+%, max (9\d|100)%/);
    expect(payments).toContain('(/ecs logs payments --filter heap)');
    // The exits with what exit 1 means, and the last lines before the latest exits.
    expect(payments).toMatch(/🔴 essential container exits: exit 1 in \d+ of \d+ exits in the last hour/);
    expect(payments).toContain('exit 1 ×');
    expect(payments).toMatch(/task [0-9a-f]{8}, last 10 lines:\n.*\n/);
    expect(payments).toContain('FATAL could not connect to database');

    expect(first('reports')).toBe('🔴 image tag 0.6.0 is not in ECR repository reports');
    expect(section(out, '/ecs diagnose reports')).toContain('tags it has (newest first): 0.5.0, latest, 0.4.0');
    expect(section(out, '/ecs diagnose reports')).toContain('(/ecs deploy reports 0.5.0)');
    expect(section(out, '/ecs diagnose reports')).toContain('no CPU or memory data for reports');

    expect(first('search')).toMatch(/^🔴 failing health checks: \d+ tasks? replaced in the last hour$/);
    expect(section(out, '/ecs diagnose search')).toContain('health check of search: CMD-SHELL curl -f http://localhost:9200/health || exit 1');

    for (const s of ['web', 'api', 'worker']) {
      expect(first(s)).toMatch(/^🟢 healthy: \d+\/\d+ running, no crash in the last hour$/);
      expect(section(out, `/ecs diagnose ${s}`)).toMatch(/• cpu [▁▂▃▄▅▆▇█]+ avg \d+%, max \d+%\n• memory [▁▂▃▄▅▆▇█]+ avg/);
    }
    // worker runs one task: the footer counts it in the singular.
    expect(section(out, '/ecs diagnose worker')).toContain('· 1 task read (running and stopped in the last hour)');

    const metrics = section(out, '/ecs metrics payments --since 30m');
    expect(metrics).toContain('payments — CPU and memory, last 30m');
    expect(metrics).toMatch(/\nMemory +\d+% +\d+% +(9\d|100)% +[▁▂▃▄▅▆▇█]{20,30}\n/);
    expect(section(out, '/ecs status web')).toMatch(/\nCPU \(1h\): +[▁▂▃▄▅▆▇█]{20} avg \d+%, max \d+%\nMemory \(1h\): +[▁▂▃▄▅▆▇█]{20}/);

    expect(section(out, '/ecs diagnose paymnts')).toContain("no service 'paymnts' in cluster demo (us-east-1) — did you mean 'payments'?");
    // (payments' own log lines carry a Node stack trace; dockhand's output must not.)
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(out).not.toContain('internal error');
  }, 130_000);
});
