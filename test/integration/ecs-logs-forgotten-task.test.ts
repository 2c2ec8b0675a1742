/**
 * A crash alert's Logs button still shows the crashed task's lines after ECS forgot the task
 * (about an hour after it stopped): against the sandbox on a manual clock, through the dispatcher.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecs } from '../../commands/ecs.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS, type AwsPorts } from '../../src/aws/index.ts';
import type { Caller } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { replyToPlainText as text } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import type { AuditLog } from '../../src/ports/audit-log.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { alertButtons } from '../../src/watcher/alerts.ts';

const audit: AuditLog = { begin: async () => 1, finish: async () => undefined, latest: async () => [] };
const alice: Caller = { platform: 'console', workspaceId: 'local', channelId: 'ops', userId: 'alice', displayName: 'alice' };

let sandbox: Sandbox;
let aws: AwsPorts;
let d: Dispatcher;

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) }), seed: 5 });
  aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 2 });
  d = new Dispatcher({
    commands: [ecs],
    ports: { clock: sandbox.clock, audit, containers: aws.containers, images: aws.images, logs: aws.logs, awsClock: sandbox.clock },
    settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: true }),
    log: silentLogger,
  });
}, 60_000);

afterAll(async () => {
  aws?.destroy();
  await sandbox?.stop();
});

function logsButton(taskId: string): string {
  return alertButtons('demo', 'payments', taskId).find((b) => b.label === 'Logs')!.action;
}

function crashedPaymentsTask(): { id: string; arn: string } {
  const tasks = [...sandbox.state.clusters.get('demo')!.tasks.values()].filter((t) => t.serviceName === 'payments' && t.lastStatus === 'STOPPED');
  expect(tasks.length, 'expected a crashed payments task').toBeGreaterThan(0);
  return tasks[0]!;
}

const lineRe = /^\d\d:\d\d:\d\d ([0-9a-f]{8}) {2}/;

describe('/ecs logs --task for a task ECS no longer lists', () => {
  it('reads the crashed task’s stream directly once ECS forgot it, and says so', async () => {
    sandbox.advance(3 * 60_000);
    const crashed = crashedPaymentsTask();
    const fresh = text((await d.press(logsButton(crashed.id), alice)).reply);
    const freshLines = fresh.split('\n').filter((l) => lineRe.test(l));
    expect(freshLines.length).toBeGreaterThan(0);
    expect(freshLines.every((l) => l.match(lineRe)![1] === crashed.id.slice(0, 8))).toBe(true);

    for (let i = 0; i < 90; i++) sandbox.advance(60_000);
    const listed = [...sandbox.state.clusters.get('demo')!.tasks.keys()];
    expect(listed.some((k) => k.includes(crashed.id))).toBe(false);

    const late = text((await d.press(logsButton(crashed.id), alice)).reply);
    expect(late).toContain(`ECS no longer lists task ${crashed.id}`);
    const lateLines = late.split('\n').filter((l) => lineRe.test(l));
    expect(lateLines.length).toBeGreaterThan(0);
    expect(lateLines.every((l) => l.match(lineRe)![1] === crashed.id.slice(0, 8))).toBe(true);
    expect(lateLines.at(-1)).toBe(freshLines.at(-1));

    // A task ARN works as well as its id.
    const byArn = text((await d.run(`/ecs logs payments --task ${crashed.arn} --lines 3`, alice)).reply);
    expect(byArn.split('\n').filter((l) => lineRe.test(l))).toHaveLength(3);
  }, 60_000);

  it('says so when no stream of that task exists', async () => {
    const ghost = 'f'.repeat(32);
    const t = text((await d.press(logsButton(ghost), alice)).reply);
    expect(t).toContain(`No log lines found for task ${ghost}: no such stream, or it is empty`);
    expect(t).toContain(`ecs/payments/${ghost}`);
  }, 30_000);

  it('still refuses a short id ECS does not know', async () => {
    const t = text((await d.run('/ecs logs payments --task 0000abcd', alice)).reply);
    expect(t).toMatch(/task/i);
    expect(t).not.toContain('ECS no longer lists');
  });
});
