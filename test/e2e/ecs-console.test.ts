/**
 * The script over the terminal:
 * `printf '/ecs services\n/ecs scale web 3\n/ecs logs web --lines 5\n/ecs images\n' | npm start --silent`
 * against the default sandbox shows the tables, the scaling follow-up and the log lines.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.ts';

describe('/ecs over the terminal against the default sandbox', () => {
  it('shows services, scales web with a follow-up, prints log lines and lists images', async () => {
    const r = await runCli('/ecs services\n/ecs scale web 3\n/ecs logs web --lines 5\n/ecs images\n', {}, 120_000);
    expect(r.code).toBe(0);
    const out = r.stdout;
    // The services table, aligned, naming cluster, region and the sandbox.
    expect(out).toContain('Services in cluster demo (us-east-1) — 6');
    expect(out).toMatch(/\nweb +2 +2 +0 +completed +web:2 +1\.4\.0\n/);
    expect(out).toContain('cluster demo · us-east-1 · sandbox data (not real AWS)');
    // The immediate reply, then the follow-up once web is steady (printed before the process exits).
    expect(out).toContain('Scaling web 2 → 3 in cluster demo (us-east-1)');
    expect(out).toMatch(/↳ ✅ web is steady: 3\/3 running \(after \d+s\)/);
    // Five log lines with time and short task id, oldest first.
    const logLines = out.split('\n').filter((l) => /^ {2}\d\d:\d\d:\d\d [0-9a-f]{8} {2}/.test(l));
    expect(logLines).toHaveLength(5);
    expect(out).toMatch(/showing the newest 5 of [\d,]+ lines/);
    // The repositories table.
    expect(out).toContain('Repositories in us-east-1 — 6');
    expect(out).toMatch(/\nweb +4 +1\.4\.1, latest, git-c0ffee1 +2d ago/);
    // Each reply follows its command, in order.
    const order = ['> /ecs services', '> /ecs scale web 3', '> /ecs logs web --lines 5', '> /ecs images'].map((s) => out.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(out + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  }, 130_000);
});
