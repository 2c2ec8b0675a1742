/**
 * With DOCKHAND_SANDBOX_SPEED above 1 the sandbox's clock runs ahead of the real one. Log windows
 * and ages must be measured on the clock AWS stamps times with (Ports.awsClock), while
 * confirmations and follow-ups keep real time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecs } from '../../commands/ecs.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS, type AwsPorts } from '../../src/aws/index.ts';
import type { Caller } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { replyToPlainText } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import type { AuditLog } from '../../src/ports/audit-log.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { FakeClock } from '../fakes/fake-clock.ts';

const audit: AuditLog = { begin: async () => 1, finish: async () => undefined, latest: async () => [] };
const me: Caller = { platform: 'console', workspaceId: 'local', channelId: 'terminal', userId: 'me', displayName: 'me' };
const START = Date.UTC(2026, 10, 27, 9);

let sandbox: Sandbox;
let aws: AwsPorts;
const wall = new FakeClock(START);

function dispatcher(withAwsClock: boolean): Dispatcher {
  return new Dispatcher({
    commands: [ecs],
    ports: { clock: wall, ...(withAwsClock ? { awsClock: sandbox.clock } : {}), audit, containers: aws.containers, images: aws.images, logs: aws.logs },
    settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: true }),
    log: silentLogger,
  });
}

/** The HH:MM:SS times of the log lines in a reply. */
function lineTimes(t: string): number[] {
  return [...t.matchAll(/^\s*(\d\d):(\d\d):(\d\d) /gm)].map((m) => Date.UTC(2026, 10, 27, Number(m[1]), Number(m[2]), Number(m[3])));
}

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: START }), seed: 3 });
  aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
  // The sandbox has run two hours ahead of the wall clock, as at a high DOCKHAND_SANDBOX_SPEED.
  sandbox.advance(2 * 60 * 60_000);
}, 60_000);

afterAll(async () => {
  aws?.destroy();
  await sandbox?.stop();
});

describe('the AWS clock', () => {
  it('measures --since on the sandbox clock: only lines of the last 5 sandbox minutes', async () => {
    const t = replyToPlainText((await dispatcher(true).run('/ecs logs web --since 5m --lines 500', me)).reply);
    const times = lineTimes(t);
    expect(times.length).toBeGreaterThan(0);
    const sandboxNow = sandbox.clock.now();
    for (const at of times) expect(at).toBeGreaterThanOrEqual(sandboxNow - 5 * 60_000 - 1000);
  });

  it('without it the same window reaches past 5 minutes (what the awsClock port prevents)', async () => {
    const t = replyToPlainText((await dispatcher(false).run('/ecs logs web --since 5m --lines 500', me)).reply);
    const oldest = Math.min(...lineTimes(t));
    expect(oldest).toBeLessThan(sandbox.clock.now() - 5 * 60_000 - 1000);
  });
});
