/**
 * Every /ecs command through the real dispatcher and the real AWS SDK clients, against the
 * sandbox's demo world on a manual clock: paging, bad input, injected faults, confirmation,
 * its expiry, roles, and follow-ups.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ecs } from '../../commands/ecs.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS, type AwsPorts } from '../../src/aws/index.ts';
import type { Caller } from '../../src/core/command.ts';
import { Dispatcher, type DispatchResult } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { replyToPlainText, type Reply } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { MemoryAudit } from '../fakes/memory-audit.ts';


const alice: Caller = { platform: 'console', workspaceId: 'local', channelId: 'terminal', userId: 'alice', displayName: 'alice' };
const vic: Caller = { ...alice, userId: 'vic', displayName: 'vic' };
const text = replyToPlainText;

let sandbox: Sandbox;
let aws: AwsPorts;
let audit: MemoryAudit;
let d: Dispatcher;

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) }), seed: 7 });
  // Two attempts keep the throttling tests quick while still going through the SDK's retry path.
  aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 2 });
  audit = new MemoryAudit();
  const s = sandbox.state;

  // Paging: a cluster of 130 services, a repository of 1,005 images, and 12,000 log lines.
  s.createCluster('big');
  const td = s.defineTaskDefinition({ family: 'svc', logGroup: false });
  for (let i = 0; i < 130; i++) s.createService('big', { name: `svc-${String(i).padStart(3, '0')}`, taskDefinition: td, desiredCount: 0, logStyle: 'quiet' });
  s.createRepository('bulk');
  const now = s.clock.now();
  for (let i = 0; i < 1005; i++) s.putImage('bulk', { tags: [`b${i}`], pushedAt: now - (1005 - i) * 60_000, sizeInBytes: 1_000_000 + i });
  s.createRepository('worker-jobs');

  d = new Dispatcher({
    commands: [ecs],
    ports: { clock: sandbox.clock, audit, containers: aws.containers, images: aws.images, logs: aws.logs },
    settings: defaultSettings({
      clusters: [
        { name: 'demo', region: 'us-east-1' },
        { name: 'big', region: 'us-east-1', alias: 'load-test' },
      ],
      sandbox: true,
      userRoles: new Map([['console:alice', 'operator']]),
    }),
    log: silentLogger,
  });
}, 60_000);

afterAll(async () => {
  aws?.destroy();
  await sandbox?.stop();
});

afterEach(() => sandbox.faults.clear());

/** Runs a follow-up to its end while moving sandbox time; returns what it posted. */
async function follow(r: DispatchResult, stepMs = 1_000, maxSteps = 1_500): Promise<Reply[]> {
  expect(r.followUp, 'expected a follow-up').toBeDefined();
  const posted: Reply[] = [];
  let done = false;
  const p = r.followUp!(async (x) => {
    posted.push(x);
  }).then(() => (done = true));
  for (let i = 0; i < maxSteps && !done; i++) {
    // Real time for the HTTP round trips, then sandbox time for the scheduler and sleepers.
    await new Promise((res) => setTimeout(res, 3));
    sandbox.advance(stepMs);
  }
  await p;
  return posted;
}

function confirmButton(r: Reply): string {
  const b = r.blocks.flatMap((x) => (x.kind === 'actions' ? x.buttons : [])).find((x) => x.label === 'Confirm');
  expect(b, 'expected a Confirm button').toBeDefined();
  return b!.action;
}

function desiredOf(service: string, cluster = 'demo'): number {
  return sandbox.state.clusters.get(cluster)!.services.get(service)!.desiredCount;
}

describe('/ecs against the sandbox: reading', () => {
  it('lists the configured clusters with counts', async () => {
    const t = text((await d.run('/ecs clusters', alice)).reply);
    expect(t).toMatch(/demo \(default\) \| us-east-1 \| {2}\| ACTIVE \| 6 \|/);
    expect(t).toContain('big | us-east-1 | load-test | ACTIVE | 130');
    expect(t).toContain('sandbox data');
  });

  it('lists the demo services with counts, rollout, revision and image tag', async () => {
    const t = text((await d.run('/ecs services', alice)).reply);
    expect(t).toContain('Services in cluster demo (us-east-1) — 6');
    expect(t).toMatch(/web \| 2 \| 2 \| 0 \| completed \| web:2 \| 1\.4\.0/);
    expect(t).toMatch(/api \| 3 \| 3 \| 0 \| completed \| api:2 \| 2\.8\.1/);
    expect(t).toMatch(/reports \| 1 \| 0 \|/);
    expect(t).toContain('cluster demo · us-east-1 · sandbox data (not real AWS)');
  });

  it('pages through a cluster of 130 services (ListServices pages of 100, DescribeServices batches of 10)', async () => {
    const t = text((await d.run('/ecs services --cluster big', alice)).reply);
    expect(t).toContain('Services in cluster big [load-test] (us-east-1) — 130');
    expect(t).toContain('svc-000 | 0');
    expect(t).toContain('svc-129 | 0');
  });

  it('shows the status of a crash-looping service with exit codes and stop reasons', async () => {
    const t = text((await d.run('/ecs status payments', alice)).reply);
    expect(t).toContain('payments in cluster demo (us-east-1)');
    expect(t).toContain('Latest stopped tasks');
    expect(t).toMatch(/EssentialContainerExited: .*payments exit (1|137)/);
    expect(t).toContain('Latest events');
    expect(t).toContain('payments:3.2.0');
  });

  it('shows log lines of a service, oldest first, with time and short task id', async () => {
    const t = text((await d.run('/ecs logs web --lines 5', alice)).reply);
    expect(t).toContain('Logs of web in cluster demo (us-east-1) — since 15m ago');
    const lines = t.split('\n').filter((l) => /^\d\d:\d\d:\d\d [0-9a-f]{8} {2}/.test(l));
    expect(lines).toHaveLength(5);
    const times = lines.map((l) => l.slice(0, 8));
    expect([...times].sort()).toEqual(times);
    expect(t).toMatch(/showing the newest 5 of [\d,]+ lines/);
  });

  it('pages through more than 10,000 log events and keeps the newest', async () => {
    const s = sandbox.state;
    const web = s.clusters.get('demo')!.services.get('web')!;
    const taskIds = [...s.clusters.get('demo')!.tasks.values()].filter((t) => t.serviceName === 'web' && t.lastStatus === 'RUNNING').map((t) => t.arn.slice(t.arn.lastIndexOf('/') + 1));
    expect(taskIds.length).toBeGreaterThan(0);
    expect(web.name).toBe('web');
    const now = s.clock.now();
    const base = now - 10 * 60_000;
    for (const [k, id] of taskIds.slice(0, 2).entries()) {
      const stream = `ecs/web/${id}`;
      const events = Array.from({ length: 6_000 }, (_, i) => ({ timestamp: base + i * 50 + k, message: `bulk ${k}-${i} request served` }));
      s.putLogEvents('/ecs/web', stream, events);
    }
    const t = text((await d.run('/ecs logs web --filter bulk --lines 3', alice)).reply);
    const shown = t.split('\n').filter((l) => l.includes(' bulk '));
    expect(shown).toHaveLength(3);
    expect(shown.at(-1)).toContain(taskIds.length > 1 ? 'bulk 1-5999' : 'bulk 0-5999');
    expect(t).toMatch(new RegExp(`showing the newest 3 of ${taskIds.length > 1 ? '12,000' : '6,000'} lines`));
  });

  it('lists repositories with their newest image, and one repository with findings and users', async () => {
    const all = text((await d.run('/ecs images', alice)).reply);
    expect(all).toContain('web | 4 | 1.4.1, latest, git-c0ffee1 | 2d ago');
    expect(all).toContain('bulk | 1,005 | b1004');
    const web = text((await d.run('/ecs images web', alice)).reply);
    expect(web).toContain('Images of web in us-east-1 — 4, newest first');
    expect(web).toMatch(/1\.4\.0, git-9b3c711 \| [0-9a-f]{12} \| 12d ago \| [\d.]+ MB \| 1 critical, 1 high, 3 medium, 6 low \| web/);
    expect(web).toContain('(untagged)');
  });

  it('pages through a repository of more than 1,000 images', async () => {
    const t = text((await d.run('/ecs images bulk', alice)).reply);
    expect(t).toContain('Images of bulk in us-east-1 — 1,005, newest first');
    expect(t).toContain('b1004 |');
    expect(t).toContain('b0 |');
  });
});

describe('/ecs against the sandbox: bad input', () => {
  it.each([
    ['/ecs status wbe', "no service 'wbe' in cluster demo (us-east-1) — did you mean 'web'?"],
    ['/ecs services --cluster dmeo', "no cluster 'dmeo' is configured — did you mean 'demo'?"],
    ['/ecs images wbe', "no repository 'wbe' in ECR in us-east-1 — did you mean 'web'?"],
    ['/ecs logs web --container wbe', "no container 'wbe' in task definition web:2 of web — did you mean 'web'?"],
    ['/ecs logs web --task zzzz', "no task 'zzzz' in service web of cluster demo (us-east-1)"],
    ['/ecs scale web many', "count must be a whole number of at least 0, got 'many'"],
  ])('%s', async (cmd, message) => {
    const t = text((await d.run(cmd, alice)).reply);
    expect(t).toContain(message);
  });
});

describe('/ecs against the sandbox: changes', () => {
  it('scales web, replies at once, then follows up when it is steady', async () => {
    const r = await d.run('/ecs scale web 3', alice);
    expect(text(r.reply)).toContain('Scaling web 2 → 3 in cluster demo (us-east-1)');
    expect(desiredOf('web')).toBe(3);
    const posted = await follow(r);
    expect(posted).toHaveLength(1);
    expect(text(posted[0]!)).toMatch(/✅ web is steady: 3\/3 running \(after \d+s\)/);
  });

  it('says when the count is already the desired count', async () => {
    const t = text((await d.run('/ecs scale web 3', alice)).reply);
    expect(t).toContain('web already wants 3 tasks (3 running); nothing was changed.');
  });

  it('asks before scaling to 0, and does nothing when the confirmation expires', async () => {
    const r = await d.run('/ecs scale worker 0', alice);
    expect(text(r.reply)).toContain('Scale worker in cluster demo (us-east-1, sandbox) from 1 to 0? Every task of it stops.');
    const action = confirmButton(r.reply);
    sandbox.advance(121_000);
    const late = await d.press(action, alice);
    expect(text(late.reply)).toContain('expired');
    expect(desiredOf('worker')).toBe(1);
    expect(audit.entries.some((x) => x.command === '/ecs scale worker 0' && x.outcome === 'expired')).toBe(true);
  });

  it('asks before more than doubling, lets only the caller confirm, then scales', async () => {
    const r = await d.run('/ecs scale worker 3', alice);
    expect(text(r.reply)).toContain('from 1 to 3 tasks? That is more than double.');
    const action = confirmButton(r.reply);
    expect(text((await d.press(action, vic)).reply)).toContain('only alice');
    expect(desiredOf('worker')).toBe(1);
    const ok = await d.press(action, alice);
    expect(text(ok.reply)).toContain('Scaling worker 1 → 3');
    expect(desiredOf('worker')).toBe(3);
    expect(text((await follow(ok))[0]!)).toContain('worker is steady: 3/3 running');
  });

  it('restarts api with a forced deployment when confirmed, and follows it to steady', async () => {
    const r = await d.run('/ecs restart api', alice);
    expect(text(r.reply)).toContain('Restart api in cluster demo (us-east-1, sandbox)? A new deployment replaces its 3 running tasks.');
    const before = sandbox.state.clusters.get('demo')!.services.get('api')!.deployments[0]!.id;
    const ok = await d.press(confirmButton(r.reply), alice);
    expect(text(ok.reply)).toMatch(/Restarting api in cluster demo \(us-east-1\): deployment \S+ replaces 3 tasks/);
    const primary = sandbox.state.clusters.get('demo')!.services.get('api')!.deployments.find((x) => x.status === 'PRIMARY')!;
    expect(primary.id).not.toBe(before);
    const posted = await follow(ok);
    expect(text(posted.at(-1)!)).toMatch(/✅ api is steady: 3\/3 running/);
  }, 60_000);

  it('refuses a scale beyond the guardrail with the limit', async () => {
    const t = text((await d.run('/ecs scale web 80', alice)).reply);
    expect(t).toContain('web may be scaled from 0 to 50 tasks in cluster demo (us-east-1); 80 is above that limit. Nothing was changed.');
    expect(desiredOf('web')).toBe(3);
  });

  it('denies viewers the changing commands but lets them read', async () => {
    expect(text((await d.run('/ecs scale web 4', vic)).reply)).toContain('needs the operator role; you are a viewer');
    expect(text((await d.run('/ecs restart web', vic)).reply)).toContain('needs the operator role');
    expect(text((await d.run('/ecs status web', vic)).reply)).toContain('web in cluster demo');
    expect(desiredOf('web')).toBe(3);
  });
});

describe('/ecs against the sandbox: failures', () => {
  it('says which permission the sandbox denied, and leaves the service as it was', async () => {
    sandbox.faults.set('ecs:UpdateService', { accessDenied: true });
    const r = await d.run('/ecs scale web 4', alice);
    const t = text(r.reply);
    expect(t).toContain('the sandbox denied ecs:UpdateService on service web in cluster demo in us-east-1');
    expect(t).toContain('iam-policy.json');
    expect(r.followUp).toBeUndefined();
    expect(desiredOf('web')).toBe(3);
  });

  it('says the sandbox is throttling when throttling outlasts the retries, and changes nothing', async () => {
    sandbox.faults.set('ecs:DescribeServices', { throttle: 1 });
    const t = text((await d.run('/ecs scale web 4', alice)).reply);
    expect(t).toContain('the sandbox is throttling requests');
    expect(t).toContain('try again in a minute');
    expect(desiredOf('web')).toBe(3);
  }, 30_000);

  it('rides out throttling that the retries absorb', async () => {
    sandbox.faults.set('ecs:ListServices', { throttle: 0.5 });
    const t = text((await d.run('/ecs services', alice)).reply);
    expect(t).toContain('Services in cluster demo (us-east-1) — 6');
  }, 30_000);

  it('reads through empty log pages that carry a next token', async () => {
    const plain = text((await d.run('/ecs logs api --lines 4', alice)).reply);
    sandbox.faults.set('logs:FilterLogEvents', { emptyPage: 0.5 });
    const t = text((await d.run('/ecs logs api --lines 4', alice)).reply);
    const lines = (x: string): string[] => x.split('\n').filter((l) => /^\d\d:\d\d:\d\d [0-9a-f]{8} {2}/.test(l));
    expect(lines(t)).toHaveLength(4);
    expect(lines(t)).toEqual(lines(plain));
  });

  it('says when the sandbox fails on its side', async () => {
    sandbox.faults.set('logs:FilterLogEvents', { serverError: 1 });
    const t = text((await d.run('/ecs logs web', alice)).reply);
    expect(t).toContain('the sandbox failed logs:FilterLogEvents in us-east-1');
  }, 30_000);
});

describe('/ecs logs --follow against the sandbox', () => {
  it('posts new lines into a thread, slows down under throttling, and ends on /ecs unfollow', async () => {
    const r = await d.run('/ecs logs worker --lines 1 --follow 2m', alice);
    expect(text(r.reply)).toContain('Following for 2m in a thread; /ecs unfollow ends it.');
    const key = r.reply.thread?.key;
    expect(key).toMatch(/^logs:/);
    const posted: Reply[] = [];
    let done = false;
    const p = r.followUp!(async (x) => {
      posted.push(x);
    }).then(() => (done = true));
    const step = async (ms: number, realMs = 5): Promise<void> => {
      await new Promise((res) => setTimeout(res, realMs));
      sandbox.advance(ms);
    };
    for (let i = 0; i < 20 && posted.length === 0; i++) await step(1_000);
    expect(posted.length).toBeGreaterThan(0);
    expect(posted.every((x) => x.thread?.key === key && x.thread?.parent === false)).toBe(true);
    sandbox.faults.set('logs:FilterLogEvents', { throttle: 1 });
    // The SDK's own retries back off in real time before the command sees the throttling.
    for (let i = 0; i < 100 && !posted.some((x) => text(x).includes('throttling')); i++) await step(1_000, 50);
    expect(posted.map(text).join('\n')).toContain('The sandbox is throttling log reads; checking every');
    expect(done).toBe(false);
    sandbox.faults.clear();
    const stop = await d.run('/ecs unfollow', alice);
    expect(text(stop.reply)).toContain('Stopped following the logs of worker in cluster demo (us-east-1, sandbox).');
    for (let i = 0; i < 50 && !done; i++) await step(100);
    await p;
    expect(text(posted.at(-1)!)).toContain('Stopped following worker (stopped by alice');
  }, 60_000);
});
