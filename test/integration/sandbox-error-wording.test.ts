/**
 * Cloud errors name whoever answered: with CoreSettings.sandbox they say "the sandbox", never
 * "AWS", and keep the action and the permission; a dispatcher set up for AWS keeps AWS's name.
 * Faults come from the sandbox's fault injection, through the real SDK clients.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

const audit: AuditLog = { begin: async () => 1, finish: async () => undefined, latest: async () => [] };
const alice: Caller = { platform: 'console', workspaceId: 'local', channelId: 'ops', userId: 'alice', displayName: 'alice' };

let sandbox: Sandbox;
let aws: AwsPorts;

function dispatcher(sandboxed: boolean): Dispatcher {
  return new Dispatcher({
    commands: [ecs],
    ports: { clock: sandbox.clock, audit, containers: aws.containers, images: aws.images, logs: aws.logs },
    settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: sandboxed, userRoles: new Map([['console:alice', 'operator']]) }),
    log: silentLogger,
  });
}

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) }), seed: 9 });
  aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
}, 60_000);

afterAll(async () => {
  aws?.destroy();
  await sandbox?.stop();
});

afterEach(() => sandbox.faults.clear());

describe('cloud errors when the sandbox answered', () => {
  it('say the sandbox denied the action, with the permission', async () => {
    sandbox.faults.set('ecs:UpdateService', { accessDenied: true });
    const t = text((await dispatcher(true).run('/ecs scale web 4', alice)).reply);
    expect(t).toContain('the sandbox denied ecs:UpdateService on service web in cluster demo in us-east-1');
    expect(t).toContain("lacks the ecs:UpdateService permission");
    expect(t).not.toMatch(/\bAWS denied\b/);
  });

  it('say the sandbox is throttling requests', async () => {
    sandbox.faults.set('ecs:ListServices', { throttle: 1 });
    const t = text((await dispatcher(true).run('/ecs services', alice)).reply);
    expect(t).toContain('the sandbox is throttling requests (ecs:ListServices in us-east-1)');
    expect(t).not.toContain('AWS is throttling');
  });

  it('name the sandbox where a missing permission blanks the image column', async () => {
    sandbox.faults.set('ecs:DescribeTaskDefinition', { accessDenied: true });
    const t = text((await dispatcher(true).run('/ecs services', alice)).reply);
    expect(t).toContain('Images unknown: the sandbox denied ecs:DescribeTaskDefinition');
  });

  it('still say AWS when the settings say real AWS', async () => {
    sandbox.faults.set('ecs:UpdateService', { accessDenied: true });
    const t = text((await dispatcher(false).run('/ecs scale web 4', alice)).reply);
    expect(t).toContain('AWS denied ecs:UpdateService on service web in cluster demo in us-east-1');
  });
});
