/**
 * A second `/ecs logs <svc> --follow` in the same channel replaces the first instead of posting
 * every line twice; through the real dispatcher and SDK clients against the sandbox on a manual clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeFollows } from '../../commands/ecs-logs.ts';
import { ecs } from '../../commands/ecs.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS, type AwsPorts } from '../../src/aws/index.ts';
import type { Caller } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { replyToPlainText as text, type Reply } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import type { AuditLog } from '../../src/ports/audit-log.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';

const audit: AuditLog = { begin: async () => 1, finish: async () => undefined, latest: async () => [] };
const alice: Caller = { platform: 'console', workspaceId: 'local', channelId: 'ops', userId: 'alice', displayName: 'alice' };
const bob: Caller = { ...alice, userId: 'bob', displayName: 'bob' };

let sandbox: Sandbox;
let aws: AwsPorts;
let d: Dispatcher;

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) }), seed: 3 });
  aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 2 });
  d = new Dispatcher({
    commands: [ecs],
    ports: { clock: sandbox.clock, audit, containers: aws.containers, images: aws.images, logs: aws.logs },
    settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: true }),
    log: silentLogger,
  });
}, 60_000);

afterAll(async () => {
  aws?.destroy();
  await sandbox?.stop();
});

const step = async (ms: number): Promise<void> => {
  await new Promise((res) => setTimeout(res, 5));
  sandbox.advance(ms);
};

/** The log lines (time, task, text) a set of posts carries. */
function logLines(posts: readonly Reply[]): string[] {
  return posts.flatMap((p) => text(p).split('\n')).filter((l) => /^\d\d:\d\d:\d\d [0-9a-f]{8} {2}/.test(l));
}

describe('/ecs logs --follow twice in one channel', () => {
  it('stops the first follow with a note and posts each new line once', async () => {
    const first = await d.run('/ecs logs worker --lines 1 --follow 5m', alice);
    const one: Reply[] = [];
    let oneDone = false;
    const p1 = first.followUp!(async (x) => void one.push(x)).then(() => (oneDone = true));
    for (let i = 0; i < 20 && logLines(one).length === 0; i++) await step(1_000);
    expect(logLines(one).length).toBeGreaterThan(0);

    const second = await d.run('/ecs logs worker --lines 1 --follow 5m', bob);
    expect(text(second.reply)).toContain('Replaces the follow of worker started by alice.');
    const two: Reply[] = [];
    let twoDone = false;
    const p2 = second.followUp!(async (x) => void two.push(x)).then(() => (twoDone = true));
    for (let i = 0; i < 50 && !oneDone; i++) await step(100);
    await p1;
    expect(text(one.at(-1)!)).toContain('Stopped following worker (replaced by a newer --follow;');
    expect(activeFollows(alice)).toBe(1);

    const before = logLines(one).length;
    for (let i = 0; i < 60; i++) await step(1_000);
    expect(logLines(one).length).toBe(before);
    expect(logLines(two).length).toBeGreaterThan(0);
    const all = [...logLines(one), ...logLines(two)];
    expect(new Set(all).size).toBe(all.length);

    await d.run('/ecs unfollow worker', alice);
    for (let i = 0; i < 50 && !twoDone; i++) await step(100);
    await p2;
    expect(activeFollows(alice)).toBe(0);
  }, 60_000);
});
