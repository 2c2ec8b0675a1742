import { describe, expect, it } from 'vitest';
import { renderReply } from '../../src/adapters/slack/render.ts';
import { renderForTerminal } from '../../src/adapters/console/render.ts';
import { replyToPlainText } from '../../src/core/reply.ts';
import type { Incident } from '../../src/ports/incident-store.ts';
import { crashAlert, deploymentFailed, foldSummary, incidentOpened, incidentParentNow, incidentRecovered, type CrashEvidence } from '../../src/watcher/alerts.ts';
import { classifyStop } from '../../src/watcher/rules.ts';

const task = {
  arn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef',
  id: '0123456789abcdef0123456789abcdef',
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
  taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:42',
  group: 'service:web',
  lastStatus: 'STOPPED',
  desiredStatus: 'STOPPED',
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  startedAt: Date.UTC(2026, 10, 27, 9, 0, 0),
  stoppedAt: Date.UTC(2026, 10, 27, 9, 12, 30),
  containers: [
    { name: 'web', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.1', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
    { name: 'envoy', image: 'envoyproxy/envoy:v1.31', exitCode: 0 },
  ],
};

function evidence(lines: number, width: number): CrashEvidence {
  return {
    cluster: 'prod',
    service: 'web',
    task,
    verdict: classifyStop(task, new Set(['web'])),
    logLines: Array.from({ length: lines }, (_, i) => ({ timestamp: i, message: `line ${i} ${'x'.repeat(width)}`, stream: 's' })),
  };
}

describe('alert messages', () => {
  it('of a failed deployment carry a Roll back button for that service and cluster, before logs and status', () => {
    const r = deploymentFailed('prod', 'web', 'ecs-svc/123', 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:43', 'ECS deployment circuit breaker: tasks failed to start.');
    const buttons = r.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : []));
    expect(buttons[0]).toEqual({ label: 'Roll back', action: 'run:/ecs rollback web --cluster prod', style: 'danger' });
    expect(buttons.map((b) => b.label)).toEqual(['Roll back', 'Logs', 'Status', 'Mute 1h']);
  });

  it('say what crashed, how, for how long, with the last log lines and three buttons', () => {
    const r = crashAlert(evidence(20, 20), 'crash:x');
    const t = replyToPlainText(r);
    expect(t.split('\n')[0]).toBe('🧠 web was killed for memory (OOM) — exit 137 (prod)');
    expect(t).toContain('Task definition: web:42');
    expect(t).toContain('Image tag: 1.4.1');
    expect(t).toContain('2026-11-27 09:00:00 UTC → 2026-11-27 09:12:30 UTC (ran 12m30s)');
    expect(t).toContain('envoy | 0 |');
    expect(t).toContain('Last 20 log lines of web:');
    expect(t).toContain('[Logs] [Status] [Mute 1h]');
    expect(r.thread).toEqual({ key: 'crash:x', parent: true });
  });

  it('fit Slack and the terminal even with 20 very long log lines', () => {
    const r = crashAlert(evidence(20, 2_000), 'crash:x');
    const slack = renderReply(r);
    expect(slack.blocks.length).toBeLessThanOrEqual(50);
    const actions = slack.blocks.filter((b) => b.type === 'actions');
    expect(actions).toHaveLength(1);
    expect(JSON.stringify(actions[0])).toContain('/ecs mute web 1h --cluster prod');
    expect(JSON.stringify(slack.blocks)).not.toMatch(/Buttons left out/);
    const term = renderForTerminal(r);
    expect(term.buttons.map((b) => b.label)).toEqual(['Logs', 'Status', 'Mute 1h']);
  });

  it('open, and close, an incident in one thread', () => {
    // The incident keeps the crash rules' own reason, which already starts with the exit code.
    const verdict = evidence(0, 0).verdict;
    const i: Incident = { id: 'inc:prod:web:1', cluster: 'prod', service: 'web', openedAt: 0, firstCrashAt: 0, lastCrashAt: 11 * 60_000 + 42_000, crashes: 7, lastReason: verdict.reason, lastExitCode: 137, status: 'recovered' };
    const open = incidentOpened(i, evidence(3, 10));
    expect(replyToPlainText(open)).toMatch(/^🔥 Crash loop: web crashed 7 times in 12 min \(prod\)\nLatest: exit 137/);
    expect(open.thread).toEqual({ key: 'inc:prod:web:1', parent: true });
    const done = incidentRecovered(i);
    expect(replyToPlainText(done)).toBe('✅ web recovered: 7 crashes in 12 min, last exit 137 OutOfMemoryError');
    expect(done.thread).toEqual({ key: 'inc:prod:web:1', parent: false });
    // The parent keeps its evidence; its heading follows the count, then the recovery.
    const nine = incidentParentNow(open, { ...i, status: 'open', crashes: 9 });
    expect(replyToPlainText(nine)).toMatch(/^🔥 Crash loop: web crashed 9 times in 12 min \(prod\)\nLatest: exit 137 — OutOfMemoryError: Container killed due to memory usage\./);
    expect(replyToPlainText(nine)).toContain('Last 3 log lines of web:');
    expect(replyToPlainText(incidentParentNow(open, i))).toMatch(/^✅ Recovered: web crashed 7 times in 12 min \(prod\)\nRecovered; the last crash was exit 137 — OutOfMemoryError: Container killed due to memory usage\./);
  });

  it('say each exit code once, whatever the last crash was', () => {
    const base: Incident = { id: 'inc:prod:web:1', cluster: 'prod', service: 'web', openedAt: 0, firstCrashAt: 0, lastCrashAt: 29 * 60_000 + 42_000, crashes: 38, lastReason: 'exit 1', lastExitCode: 1, status: 'recovered' };
    expect(replyToPlainText(incidentRecovered(base))).toBe('✅ web recovered: 38 crashes in 30 min, last exit 1');
    const pull = { ...base, lastReason: 'CannotPullContainerError: pull image manifest has been retried 7 time(s): not found' };
    delete (pull as Partial<Incident>).lastExitCode;
    expect(replyToPlainText(incidentRecovered(pull))).toBe('✅ web recovered: 38 crashes in 30 min, last CannotPullContainerError');
    expect(replyToPlainText(incidentRecovered({ ...base, lastCrashAt: 3 * 3_600_000 }))).toBe('✅ web recovered: 38 crashes in 3h, last exit 1');
    const parent = incidentParentNow(incidentOpened({ ...base, status: 'open' }, evidence(1, 1)), { ...base, status: 'open' });
    expect(replyToPlainText(parent)).toContain('Latest: exit 1. Later crashes');
    expect(parent.summary).toBe('🔥 Crash loop: web crashed 38 times in 30 min (prod): last exit 1');
  });

  it('sum up a storm of 300 alerts in one message that fits Slack', () => {
    const r = foldSummary(Array.from({ length: 300 }, (_, i) => ({ service: `svc-${i % 40}`, summary: `💥 svc-${i % 40} crashed — exit 1 (prod)` })));
    const t = replyToPlainText(r);
    expect(t.split('\n')[0]).toBe('🌩️ 300 more alerts held back to keep this channel readable');
    expect(t).toContain('… and 290 more');
    expect(renderReply(r).blocks.length).toBeLessThanOrEqual(50);
  });
});
