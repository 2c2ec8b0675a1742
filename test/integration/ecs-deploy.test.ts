/**
 * `/ecs deploy` end to end: the real dispatcher, the real SDK clients against the sandbox's demo
 * world on a manual clock, and SQLite with the real migrations for deploy records and the audit log.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ecs } from '../../commands/ecs.ts';
import { recoverInterruptedDeploys } from '../../commands/ecs-deploy.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS, type AwsPorts } from '../../src/aws/index.ts';
import type { Caller } from '../../src/core/command.ts';
import { Dispatcher, type DispatchResult } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { replyToPlainText, type Reply } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SqliteAuditLog } from '../../src/db/audit-log.ts';
import { openDatabase, type OpenDatabase } from '../../src/db/client.ts';
import { SqliteDeployStore } from '../../src/db/deploy-store.ts';
import { openStores } from '../../src/db/open.ts';
import type { Stores } from '../../src/ports/stores.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ports } from '../../src/ports/index.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { taskDefinitionShape } from '../../src/sandbox/ecs-shapes.ts';
import type { TaskDefinitionRecord } from '../../src/sandbox/model.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';

const alice: Caller = { platform: 'console', workspaceId: 'local', channelId: 'terminal', userId: 'alice', displayName: 'alice' };
const ada: Caller = { ...alice, userId: 'ada', displayName: 'ada' };
const text = replyToPlainText;

let sandbox: Sandbox;
let aws: AwsPorts;
let db: OpenDatabase;
let store: SqliteDeployStore;
let audit: SqliteAuditLog;
let ports: Ports;
let d: Dispatcher;

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 11, 6, 9) }), seed: 11 });
  aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 2 });
  db = openDatabase(':memory:');
  store = new SqliteDeployStore(db.db);
  audit = new SqliteAuditLog(db.db);
  ports = { clock: sandbox.clock, audit, containers: aws.containers, images: aws.images, logs: aws.logs, deploys: store };
  d = new Dispatcher({
    commands: [ecs],
    ports,
    settings: defaultSettings({
      clusters: [{ name: 'demo', region: 'us-east-1' }],
      sandbox: true,
      userRoles: new Map([
        ['console:alice', 'operator'],
        ['console:ada', 'admin'],
      ]),
    }),
    log: silentLogger,
  });
}, 60_000);

afterAll(async () => {
  aws?.destroy();
  await sandbox?.stop();
  db?.close();
});

afterEach(() => sandbox.faults.clear());

/** Runs a follow-up to its end while moving sandbox time; returns what it posted. */
async function follow(r: DispatchResult, stepMs = 1_000, maxSteps = 2_000): Promise<Reply[]> {
  expect(r.followUp, 'expected a follow-up').toBeDefined();
  const posted: Reply[] = [];
  let done = false;
  const p = r.followUp!(async (x) => {
    posted.push(x);
  }).then(() => (done = true));
  for (let i = 0; i < maxSteps && !done; i++) {
    await new Promise((res) => setTimeout(res, 3));
    sandbox.advance(stepMs);
  }
  await p;
  return posted;
}

/** What the caller was told privately when a confirmed command did not complete. */
async function reason(r: DispatchResult): Promise<string> {
  expect(text(r.reply)).toContain('did not complete; nothing more was done.');
  const posted: Reply[] = [];
  await r.followUp?.(async (x) => {
    posted.push(x);
  });
  expect(posted[0]?.visibility).toBe('ephemeral');
  return posted.map(text).join('\n');
}

function button(r: Reply, label: string): string {
  const b = r.blocks.flatMap((x) => (x.kind === 'actions' ? x.buttons : [])).find((x) => x.label === label);
  expect(b, `expected a ${label} button in:\n${text(r)}`).toBeDefined();
  return b!.action;
}

function revisions(family: string): TaskDefinitionRecord[] {
  return sandbox.state.taskDefinitions.get(family) ?? [];
}

function serviceTd(name: string): string {
  return sandbox.state.clusters.get('demo')!.services.get(name)!.taskDefinitionArn;
}

/** A revision as DescribeTaskDefinition shows it, without what differs between revisions, to compare every other field. */
function withoutImage(td: TaskDefinitionRecord): unknown {
  const shape = structuredClone(taskDefinitionShape(td)) as Record<string, unknown> & { containerDefinitions: { image?: string }[] };
  for (const c of shape.containerDefinitions) delete c.image;
  for (const k of ['taskDefinitionArn', 'revision', 'registeredAt']) delete shape[k];
  return { ...shape, tags: td.tags };
}

describe('follow-ups on a service whose tasks cannot start', () => {
  it('says up front that reports is failing, and ends the scale follow-up early with the failure and the events', async () => {
    const r = await d.run('/ecs scale reports 2', alice);
    const first = text(r.reply);
    expect(first).toContain('Scaling reports 1 → 2');
    expect(first).toMatch(/⚠️ reports is failing: \d+ tasks failed to start in the last 10 minutes \(latest [0-9a-f]{8}: CannotPullContainerError: .*reports:0\.6\.0.*not found\)/);
    const startedAt = sandbox.clock.now();
    const posted = await follow(r);
    expect(posted).toHaveLength(1);
    const t = text(posted[0]!);
    expect(t).toMatch(/❌ The scale of reports to 2 cannot progress: \d+ tasks failed to start since it started/);
    expect(t).toContain('CannotPullContainerError');
    expect(t).toContain('(service reports) has started');
    expect(t).toContain('/ecs images reports lists the tags that exist');
    // Ended on the evidence, long before the 5-minute timeout.
    expect(sandbox.clock.now() - startedAt).toBeLessThan(2 * 60_000);
    const back = await d.run('/ecs scale reports 1', alice);
    await follow(back).catch(() => undefined);
  }, 60_000);
});

describe('/ecs deploy', () => {
  it('repairs reports (running a tag ECR does not have) with 0.5.0: confirm, a new revision with only the image changed, steady, Undo', async () => {
    const before = revisions('reports').length;
    const asked = await d.run('/ecs deploy reports 0.5.0', alice);
    const q = text(asked.reply);
    expect(q).toContain('Deploy reports 0.5.0 to reports in cluster demo (us-east-1, sandbox)?');
    expect(q).toMatch(/Container reports: 0\.6\.0 → 0\.5\.0 \([0-9a-f]{12}\)/);
    expect(q).toContain('Current revision reports:1');
    expect(q).toContain('Scan of reports 0.5.0: 1 MEDIUM, 1 LOW.');
    // Nothing is registered before Confirm, so a cancelled or expired request leaves nothing behind.
    expect(revisions('reports')).toHaveLength(before);

    const done = await d.press(button(asked.reply, 'Confirm'), alice);
    expect(text(done.reply)).toContain('Deploying reports 0.5.0 to reports in cluster demo (us-east-1): reports:1 → reports:2');
    const created = revisions('reports');
    expect(created).toHaveLength(before + 1);
    const next = created[created.length - 1]!;
    expect((next.body['containerDefinitions'] as { image: string }[])[0]!.image).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/reports:0.5.0');
    expect(withoutImage(next)).toEqual(withoutImage(created[0]!));
    expect(serviceTd('reports')).toBe(next.arn);

    const posted = await follow(done);
    const last = posted[posted.length - 1]!;
    expect(text(last)).toMatch(/✅ reports is steady: 1\/1 running/);
    expect(button(last, 'Undo')).toMatch(/^run:\/ecs undo u[0-9a-f]{16}$/);
    const [rec] = await store.forService('demo', 'reports', 1);
    expect(rec).toMatchObject({ kind: 'deploy', status: 'updated', toTaskDefinition: next.arn, fromTaskDefinition: created[0]!.arn, forced: false, userName: 'alice' });
    const row = (await audit.forService('demo', 'reports', 5)).find((e) => e.command === '/ecs deploy reports 0.5.0');
    expect(row?.outcome).toBe('ok');
  }, 60_000);

  it('keeps the revision tags (read with include TAGS) and references the image by the digest when given one', async () => {
    const web = sandbox.state.repositories.get('web')!;
    const img141 = [...web.images.values()].find((i) => i.tags.includes('1.4.1'))!;
    const asked = await d.run(`/ecs deploy web ${img141.digest}`, alice);
    expect(text(asked.reply)).toContain('Scan of web ' + img141.digest.slice(7, 19) + ': 2 MEDIUM, 5 LOW, 3 INFORMATIONAL.');
    const done = await d.press(button(asked.reply, 'Confirm'), alice);
    expect(text(done.reply)).toContain('web:2 → web:3');
    const next = revisions('web')[2]!;
    expect(next.tags).toEqual([
      { key: 'team', value: 'storefront' },
      { key: 'cost-center', value: 'cc-1042' },
    ]);
    expect((next.body['containerDefinitions'] as { image: string }[])[0]!.image).toBe(`123456789012.dkr.ecr.us-east-1.amazonaws.com/web@${img141.digest}`);
    expect(withoutImage(next)).toEqual(withoutImage(revisions('web')[1]!));
    const posted = await follow(done);
    expect(text(posted[posted.length - 1]!)).toContain('✅ web is steady: 2/2 running');

    // Deploying the digest that already runs says so and changes nothing.
    const again = await d.run('/ecs deploy web 1.4.1', alice);
    expect(text(again.reply)).toMatch(/web already runs web 1\.4\.1 \([0-9a-f]{12}\) in container web; nothing was changed\./);
    expect(revisions('web')).toHaveLength(3);
  }, 60_000);

  it('deploys a re-pushed tag: same tag, new digest', async () => {
    const s = sandbox.state;
    s.putImage('web', { tags: ['1.4.1'], findings: { LOW: 1 } });
    const asked = await d.run('/ecs deploy web 1.4.1', alice);
    expect(text(asked.reply)).toContain('Deploy web 1.4.1 to web');
    const done = await d.press(button(asked.reply, 'Confirm'), alice);
    expect(text(done.reply)).toContain('web:3 → web:4');
    await follow(done);
  }, 60_000);

  it('refuses an unknown tag with the closest tags, newest first, and changes nothing', async () => {
    const r = await d.run('/ecs deploy web 1.4.2', alice);
    expect(text(r.reply)).toContain('no tag 1.4.2 in web — closest: 1.4.1, 1.4.0, 1.3.2');
    const bad = await d.run('/ecs deploy web "1.4 beta"', alice);
    expect(text(bad.reply)).toContain("image must be a tag such as 1.4.1 or a digest sha256:<64 hex digits>, got '1.4 beta'");
    const other = await d.run('/ecs deploy web api:2.8.1', alice);
    expect(text(other.reply)).toContain('the image must come from web, the repository the container already runs; got api');
    const svc = await d.run('/ecs deploy wbe 1.4.1', alice);
    expect(text(svc.reply)).toContain("no service 'wbe' in cluster demo (us-east-1) — did you mean 'web'?");
    const container = await d.run('/ecs deploy web 1.4.1 --container sidecar', alice);
    expect(text(container.reply)).toContain("no container 'sidecar' in task definition web:4");
  });

  it('blocks an image with CRITICAL findings for everyone, lets an admin --force it, and records it as forced', async () => {
    const blocked = await d.run('/ecs deploy worker 0.9.3', alice);
    expect(text(blocked.reply)).toMatch(/worker 0\.9\.3 has 2 CRITICAL findings \(CVE-\d{4}-\d+, CVE-\d{4}-\d+\); deploys of images with CRITICAL findings are refused\. Nothing was changed\./);
    expect(text(blocked.reply)).toContain('an admin may add --force');
    const operatorForce = await d.run('/ecs deploy worker 0.9.3 --force', alice);
    expect(text(operatorForce.reply)).toContain('--force (deploying past the scan gate) needs the admin role');
    const before = revisions('worker').length;
    const asked = await d.run('/ecs deploy worker 0.9.3 --force', ada);
    expect(text(asked.reply)).toContain('🚨 FORCED past the scan gate: 2 CRITICAL');
    const done = await d.press(button(asked.reply, 'Confirm'), ada);
    expect(text(done.reply)).toContain('forced past the scan gate');
    expect(revisions('worker')).toHaveLength(before + 1);
    const [rec] = await store.forService('demo', 'worker', 1);
    expect(rec).toMatchObject({ forced: true, userName: 'ada', status: 'updated' });
    expect((await audit.forService('demo', 'worker', 1))[0]?.command).toBe('/ecs deploy worker 0.9.3 --force');
    await follow(done);
  }, 60_000);

  it('undoes a deploy from its Undo button, confirmed, back to the revision before', async () => {
    const from = serviceTd('worker');
    const asked = await d.run('/ecs deploy worker 1.0.0', alice);
    expect(text(asked.reply)).toContain('Deploy worker 1.0.0 to worker');
    const done = await d.press(button(asked.reply, 'Confirm'), alice);
    const posted = await follow(done);
    const undo = button(posted[posted.length - 1]!, 'Undo');
    const deployed = serviceTd('worker');
    const q = await d.press(undo, alice);
    expect(text(q.reply)).toContain(`Undo the deploy of 1.0.0 to worker (${from.split('/').pop()} → ${deployed.split('/').pop()}) in cluster demo (us-east-1, sandbox): ${deployed.split('/').pop()} → ${from.split('/').pop()}?`);
    const undone = await d.press(button(q.reply, 'Confirm'), alice);
    expect(text(undone.reply)).toContain('Undoing the deploy of 1.0.0 to worker');
    expect(serviceTd('worker')).toBe(from);
    const after = await follow(undone);
    expect(text(after[after.length - 1]!)).toContain('✅ worker is steady');
    // One use only.
    expect(text((await d.press(undo, alice)).reply)).toContain('was already used; nothing was changed');
  }, 60_000);

  it('refuses an Undo when someone changed the service since, and changes nothing', async () => {
    const scaled = await d.run('/ecs scale web 3', alice);
    const posted = await follow(scaled);
    const undo = button(posted[posted.length - 1]!, 'Undo');
    await follow(await d.run('/ecs scale web 4', alice));
    const r = await d.press(undo, alice);
    expect(text(r.reply)).toContain('web was changed since the scale of web 2 → 3: its desired count is now 4 (the scale set 3). Undo does nothing.');
    expect(sandbox.state.clusters.get('demo')!.services.get('web')!.desiredCount).toBe(4);
    await follow(await d.run('/ecs scale web 2', alice));
  }, 60_000);

  it('leaves nothing half done when UpdateService is denied: the service keeps its revision, the new one is deregistered', async () => {
    const from = serviceTd('api');
    const asked = await d.run('/ecs deploy api 2.8.0', alice);
    sandbox.faults.set('UpdateService', { accessDenied: true });
    const r = await d.press(button(asked.reply, 'Confirm'), alice);
    const t = await reason(r);
    expect(t).toContain("the sandbox denied ecs:UpdateService on service api in cluster demo in us-east-1: dockhand's IAM role lacks the ecs:UpdateService permission");
    expect(t).toContain('api still runs api:2; the unused revision api:3 was deregistered.');
    expect(serviceTd('api')).toBe(from);
    expect(revisions('api')[2]?.status).toBe('INACTIVE');
    const [rec] = await store.forService('demo', 'api', 1);
    expect(rec?.status).toBe('failed');
  });

  it('names iam:PassRole when registering is denied for the task roles, and registers nothing', async () => {
    const before = revisions('api').length;
    const asked = await d.run('/ecs deploy api 2.8.0', alice);
    sandbox.faults.set('RegisterTaskDefinition', { accessDenied: true, deniedAction: 'iam:PassRole' });
    const r = await d.press(button(asked.reply, 'Confirm'), alice);
    expect(await reason(r)).toContain("dockhand's IAM role lacks the iam:PassRole permission");
    expect(revisions('api')).toHaveLength(before);
  });

  it('reports a rollout the circuit breaker failed, and that ECS rolled back by itself', async () => {
    const s = sandbox.state;
    const from = serviceTd('api');
    s.setFailureMode('demo', 'api', { kind: 'crash', runMs: 3_000 });
    const asked = await d.run('/ecs deploy api 2.8.0', alice);
    const done = await d.press(button(asked.reply, 'Confirm'), alice);
    const posted = await follow(done);
    s.setFailureMode('demo', 'api', { kind: 'healthy' });
    const t = text(posted[posted.length - 1]!);
    expect(t).toContain('❌ The deploy of 2.8.0 to api failed: ECS deployment circuit breaker: tasks failed to start.');
    expect(t).toContain(`ECS rolled back by itself to ${from.slice(from.lastIndexOf('/') + 1)}`);
    expect(t).toContain('deployment failed');
  }, 60_000);
});

describe('interrupted deploys', () => {
  it('finds a deploy killed between RegisterTaskDefinition and UpdateService at the next start, deregisters its orphan revision and audits it', async () => {
    const from = serviceTd('payments');
    const orphan = await aws.containers.registerImageRevision('us-east-1', from, { payments: '123456789012.dkr.ecr.us-east-1.amazonaws.com/payments:3.1.0' });
    const id = await store.create({
      kind: 'deploy', cluster: 'demo', region: 'us-east-1', service: 'payments', container: 'payments', fromTaskDefinition: from, toTaskDefinition: null,
      registered: false, fromImage: null, toImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/payments:3.1.0', digest: null, forced: false,
      status: 'registering', detail: null, platform: 'console', userId: 'alice', userName: 'alice', createdAt: sandbox.clock.now(),
    });
    expect(await recoverInterruptedDeploys(ports, silentLogger)).toBe(1);
    expect(sandbox.state.taskDefinition(orphan.arn).status).toBe('INACTIVE');
    expect(serviceTd('payments')).toBe(from);
    const [rec] = await store.forService('demo', 'payments', 1);
    expect(rec).toMatchObject({ id, status: 'abandoned', toTaskDefinition: orphan.arn });
    const row = (await audit.forService('demo', 'payments', 1))[0];
    expect(row?.detail).toContain(`deregistered the orphan revision payments:2`);
    expect(row?.command).toContain('recover interrupted deploy');
    // Settled once: a second start finds nothing.
    expect(await recoverInterruptedDeploys(ports, silentLogger)).toBe(0);
  });
});

describe('/ecs rollback and /ecs history', () => {
  it("rolls back to what ran before dockhand's latest deploy, followed, with Undo", async () => {
    const before = serviceTd('web');
    const asked = await d.run('/ecs rollback web', alice);
    const q = text(asked.reply);
    expect(q).toMatch(/^❓ Roll back web in cluster demo \(us-east-1, sandbox\): web:4 \(web 1\.4\.1\) → web:3 \(web [0-9a-f]{12}\), what ran before alice's deploy \d+[smh] ago\?/);
    const done = await d.press(button(asked.reply, 'Confirm'), alice);
    expect(text(done.reply)).toContain('Rolling back web in cluster demo (us-east-1): web:4 → web:3');
    expect(serviceTd('web')).not.toBe(before);
    const posted = await follow(done);
    const last = posted[posted.length - 1]!;
    expect(text(last)).toContain('✅ web is steady');
    expect(button(last, 'Undo')).toMatch(/^run:\/ecs undo /);
    const [rec] = await store.forService('demo', 'web', 1);
    expect(rec).toMatchObject({ kind: 'rollback', status: 'updated', fromTaskDefinition: before });
  }, 60_000);

  it('warns, without blocking, when the revision to go back to has CRITICAL findings; refuses unknown and inactive revisions', async () => {
    const asked = await d.run('/ecs rollback web --to 2', alice);
    const q = text(asked.reply);
    expect(q).toContain('→ web:2 (web 1.4.0), revision 2, as asked?');
    expect(q).toMatch(/⚠️ web 1\.4\.0 has 1 CRITICAL finding \(CVE-\d{4}-\d+\); a rollback goes ahead anyway \(it is the emergency path\)\./);
    expect(button(asked.reply, 'Confirm')).toMatch(/^confirm:/);
    await d.press(button(asked.reply, 'Cancel'), alice);
    expect(text((await d.run('/ecs rollback web --to 9', alice)).reply)).toMatch(/no revision '9' in task definition family web/);
    expect(text((await d.run('/ecs rollback api --to 3', alice)).reply)).toContain('api:3 is deregistered (INACTIVE); ECS does not deploy inactive revisions. Nothing was changed.');
  });

  it("falls back to the family's previous ACTIVE revision when the latest deployment was not dockhand's", async () => {
    // api's last dockhand deploy failed and ECS rolled it back by itself, so dockhand's record does not describe what runs.
    const q = text((await d.run('/ecs rollback api', alice)).reply);
    expect(q).toContain('api:2 (api 2.8.1) → api:1 (api 2.8.0), the previous ACTIVE revision of api?');
  });

  it("lists dockhand's changes with who and outcome, the revisions and the deployments, newest first", async () => {
    const t = text((await d.run('/ecs history web 20', alice)).reply);
    expect(t).toContain('History of web in cluster demo (us-east-1, sandbox)');
    expect(t).toMatch(/\/ecs rollback web \| alice \(console\) \| ok/);
    expect(t).toMatch(/\/ecs deploy web 1\.4\.1 \| alice \(console\) \| ok/);
    expect(t).toMatch(/\/ecs rollback web --to 2 \| alice \(console\) \| cancelled/);
    expect(t).toMatch(/revision web:3 registered: web [0-9a-f]{12} \| ECS \| ACTIVE, running/);
    expect(t).toMatch(/revision web:2 registered: web 1\.4\.0 \| ECS \| ACTIVE/);
    expect(t).toMatch(/deployment ecs-svc\/\d+ \(PRIMARY\) of web:3/);
    // Newest first: the rollback comes before the deploy it undid.
    expect(t.indexOf('/ecs rollback web |')).toBeLessThan(t.indexOf('/ecs deploy web 1.4.1 |'));
    expect(text((await d.run('/ecs history wbe', alice)).reply)).toContain("no service 'wbe' in cluster demo (us-east-1) — did you mean 'web'?");
  });
});

describe('two-person approval on a cluster that asks for it', () => {
  const ana: Caller = { platform: 'slack', workspaceId: 'T1', channelId: 'C1', userId: 'U0ANA', displayName: 'ana' };
  const bob: Caller = { ...ana, userId: 'U0BOB', displayName: 'bob' };
  const vic: Caller = { ...ana, userId: 'U0VIC', displayName: 'vic' };
  const term: Caller = { platform: 'console', workspaceId: 'local', channelId: 'terminal', userId: 'root', displayName: 'root' };
  let two: Dispatcher;

  beforeAll(() => {
    two = new Dispatcher({
      commands: [ecs],
      ports,
      settings: defaultSettings({
        clusters: [{ name: 'demo', region: 'us-east-1', approval: 'second-operator' }],
        sandbox: true,
        operatorsMayConfirm: false,
        userRoles: new Map([
          ['slack:U0ANA', 'operator'],
          ['slack:U0BOB', 'operator'],
          ['console:root', 'admin'],
        ]),
      }),
      log: silentLogger,
    });
  });

  it('asks even for a scale that runs at once elsewhere, refuses the requester, a viewer and the terminal, and runs on a second operator', async () => {
    const desired = (): number => sandbox.state.clusters.get('demo')!.services.get('web')!.desiredCount;
    const before = desired();
    const asked = await two.run(`/ecs scale web ${before + 1}`, ana);
    const q = text(asked.reply);
    expect(q).toContain(`Run \`/ecs scale web ${before + 1}\` in cluster demo?`);
    expect(q).toMatch(/Needs a second person: ana asked at \d\d:\d\d UTC; another operator or admin must confirm \(cluster demo requires two people\)\. Expires at \d\d:\d\d UTC \(in 30m\)/);
    const confirm = button(asked.reply, 'Confirm');

    expect(text((await two.press(confirm, ana)).reply)).toContain('needs someone else: cluster demo requires another operator or admin to confirm what you asked for');
    expect(text((await two.press(confirm, vic)).reply)).toContain('only ana, who ran');
    expect(text((await two.press(confirm, term)).reply)).toContain("the terminal cannot approve `/ecs scale web");
    expect(desired()).toBe(before);

    const done = await two.press(confirm, bob);
    expect(text(done.reply)).toContain(`Scaling web ${before} → ${before + 1}`);
    expect(desired()).toBe(before + 1);
    const row = (await audit.latest(20)).find((e) => e.command === `/ecs scale web ${before + 1}` && e.outcome === 'ok');
    expect(row?.detail).toBe('approved by slack:U0BOB, requested by slack:U0ANA');
    expect((await audit.latest(20)).filter((e) => e.outcome === 'denied' && e.command.startsWith('confirm /ecs scale web')).length).toBeGreaterThanOrEqual(3);
    await follow(done);
    await follow(await d.run(`/ecs scale web ${before}`, alice));
  }, 60_000);

  it("asks a second person for the Undo of an approved change: not the one who pressed Undo, not the terminal; another operator's Confirm undoes it", async () => {
    const desired = (): number => sandbox.state.clusters.get('demo')!.services.get('web')!.desiredCount;
    const before = desired();
    const scaled = await two.press(button((await two.run(`/ecs scale web ${before + 1}`, ana)).reply, 'Confirm'), bob);
    const steady = await follow(scaled);
    const undo = button(steady[steady.length - 1]!, 'Undo');

    // bob approved the scale; now bob asks for its Undo, so ana (or another operator) must confirm.
    const asked = await two.press(undo, bob);
    const q = text(asked.reply);
    expect(q).toContain(`Undo the scale of web ${before} → ${before + 1} in cluster demo (us-east-1, sandbox): desired count ${before + 1} → ${before}?`);
    expect(q).toMatch(/Needs a second person: bob asked at \d\d:\d\d UTC; another operator or admin must confirm \(cluster demo requires two people\)\. Expires at \d\d:\d\d UTC \(in 30m\)/);
    const confirm = button(asked.reply, 'Confirm');
    expect(text((await two.press(confirm, bob)).reply)).toContain('needs someone else: cluster demo requires another operator or admin to confirm what you asked for');
    expect(text((await two.press(confirm, term)).reply)).toContain('the terminal cannot approve `/ecs undo');
    expect(text((await two.press(confirm, vic)).reply)).toContain('only bob, who ran');
    expect(desired()).toBe(before + 1);

    const undone = await two.press(confirm, ana);
    expect(text(undone.reply)).toContain(`Undoing the scale of web ${before} → ${before + 1}: scaling web ${before + 1} → ${before}`);
    expect(desired()).toBe(before);
    const row = (await audit.latest(30)).find((e) => e.command.startsWith('/ecs undo ') && e.outcome === 'ok');
    expect(row?.detail).toBe('approved by slack:U0ANA, requested by slack:U0BOB');
    await follow(undone);
  }, 60_000);

  it("asks a second person for the alert's Roll back button too, and rolls back on another operator's Confirm", async () => {
    const from = serviceTd('web');
    // The failed deployment's alert carries this button (src/watcher/alerts.ts).
    const asked = await two.press('run:/ecs rollback web --cluster demo', ana);
    const q = text(asked.reply);
    expect(q).toMatch(/^❓ Roll back web in cluster demo \(us-east-1, sandbox\): web:\d+ \(web [^)]+\) → web:\d+ \(web [^)]+\)/);
    expect(q).toContain('Needs a second person: ana asked at');
    const confirm = button(asked.reply, 'Confirm');
    expect(text((await two.press(confirm, ana)).reply)).toContain('needs someone else');
    expect(text((await two.press(confirm, term)).reply)).toContain('the terminal cannot approve `/ecs rollback web --cluster demo`');
    expect(serviceTd('web')).toBe(from);

    const done = await two.press(confirm, bob);
    expect(text(done.reply)).toContain('Rolling back web in cluster demo (us-east-1)');
    expect(serviceTd('web')).not.toBe(from);
    const row = (await audit.latest(30)).find((e) => e.command === '/ecs rollback web --cluster demo' && e.outcome === 'ok');
    expect(row?.detail).toBe('approved by slack:U0BOB, requested by slack:U0ANA');
    const posted = await follow(done);
    const last = posted[posted.length - 1]!;
    expect(text(last)).toContain('✅ web is steady');

    // Its Undo goes back to the revision before, again only with a second person's Confirm.
    const undoAsked = await two.press(button(last, 'Undo'), ana);
    expect(text(undoAsked.reply)).toContain('Needs a second person: ana asked at');
    const undone = await two.press(button(undoAsked.reply, 'Confirm'), bob);
    expect(text(undone.reply)).toContain('Undoing the rollback of web');
    expect(serviceTd('web')).toBe(from);
    await follow(undone);
  }, 60_000);

  it('keeps an approval request and an Undo across a restart: the second operator confirms on the next process, and its Undo works on the one after', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dockhand-approval-')), 'dockhand.db');
    // One "process": its own stores on the same SQLite file, and a dispatcher on them, as main.ts wires it.
    const start = async (): Promise<{ stores: Stores; d: Dispatcher }> => {
      const stores = await openStores({ DOCKHAND_DB: file });
      const d = new Dispatcher({
        commands: [ecs],
        ports: { ...ports, audit: stores.audit, deploys: stores.deploys },
        confirmations: stores.coordination.confirmations,
        settings: defaultSettings({
          clusters: [{ name: 'demo', region: 'us-east-1', approval: 'second-operator' }],
          sandbox: true,
          userRoles: new Map([
            ['slack:U0ANA', 'operator'],
            ['slack:U0BOB', 'operator'],
          ]),
        }),
        log: silentLogger,
      });
      return { stores, d };
    };
    const desired = (): number => sandbox.state.clusters.get('demo')!.services.get('web')!.desiredCount;
    const before = desired();

    const first = await start();
    const confirm = button((await first.d.run(`/ecs scale web ${before + 1}`, ana)).reply, 'Confirm');
    await first.stores.close();

    const second = await start();
    const done = await second.d.press(confirm, bob);
    expect(text(done.reply)).toContain(`Scaling web ${before} → ${before + 1}`);
    expect(desired()).toBe(before + 1);
    const steady = await follow(done);
    const undo = button(steady[steady.length - 1]!, 'Undo');
    await second.stores.close();

    const third = await start();
    try {
      const asked = await third.d.press(undo, ana);
      expect(text(asked.reply)).toContain(`Undo the scale of web ${before} → ${before + 1}`);
      expect(text(asked.reply)).toContain('Needs a second person: ana asked at');
      const undone = await third.d.press(button(asked.reply, 'Confirm'), bob);
      expect(desired()).toBe(before);
      await follow(undone);
      const rows = await third.stores.audit.latest(10);
      expect(rows.find((e) => e.command === `/ecs scale web ${before + 1}`)?.detail).toBe('approved by slack:U0BOB, requested by slack:U0ANA');
    } finally {
      await third.stores.close();
    }
  }, 60_000);

  it('asks for the cluster the Undo acts on, not the first one configured, when /ecs undo is typed without --cluster; history lists the undo', async () => {
    // staging (first, no approval) is not where the change was: the token says demo, which needs two people.
    const mixed = new Dispatcher({
      commands: [ecs],
      ports,
      settings: defaultSettings({
        clusters: [{ name: 'staging', region: 'us-east-1' }, { name: 'demo', region: 'us-east-1', approval: 'second-operator' }],
        sandbox: true,
        userRoles: new Map([
          ['slack:U0ANA', 'operator'],
          ['slack:U0BOB', 'operator'],
        ]),
      }),
      log: silentLogger,
    });
    const desired = (): number => sandbox.state.clusters.get('demo')!.services.get('web')!.desiredCount;
    const before = desired();
    const scaled = await mixed.press(button((await mixed.run(`/ecs scale web ${before + 1} --cluster demo`, ana)).reply, 'Confirm'), bob);
    const steady = await follow(scaled);
    const token = /run:\/ecs undo (u[0-9a-f]+)/.exec(button(steady[steady.length - 1]!, 'Undo'))![1]!;

    const asked = await mixed.run(`/ecs undo ${token}`, ana);
    expect(text(asked.reply)).toContain('Needs a second person: ana asked at');
    expect(text((await mixed.press(button(asked.reply, 'Confirm'), ana)).reply)).toContain('needs someone else: cluster demo requires another operator or admin');
    expect(desired()).toBe(before + 1);
    const undone = await mixed.press(button(asked.reply, 'Confirm'), bob);
    expect(desired()).toBe(before);
    await follow(undone);
    // The undo is one of web's changes in /ecs history, with who asked and who approved.
    const history = text((await d.run('/ecs history web 30', alice)).reply);
    expect(history).toMatch(new RegExp(`/ecs undo ${token} \\| ana \\(slack\\) \\| ok`));
  }, 60_000);
});

describe('which container a deploy changes', () => {
  beforeAll(() => {
    const s = sandbox.state;
    const ecr = (repo: string, tag: string): string => `${s.registryHost}/${repo}:${tag}`;
    const now = s.clock.now();
    for (const [repo, tags] of [['duo', ['1.0', '1.1']], ['proxy', ['2.0', '2.1']]] as const) {
      s.createRepository(repo);
      tags.forEach((tag, i) => s.putImage(repo, { tags: [tag], pushedAt: now - (tags.length - i) * 60_000 }));
    }
    const duo = s.registerTaskDefinition({
      family: 'duo',
      containerDefinitions: [
        { name: 'app', image: ecr('duo', '1.0'), essential: true, memory: 256 },
        { name: 'proxy', image: ecr('proxy', '2.0'), essential: false, memory: 64 },
        { name: 'metrics', image: 'prom/statsd-exporter:v0.26.0', essential: false, memory: 32 },
      ],
    });
    s.createService('demo', { name: 'duo', taskDefinition: duo, desiredCount: 1 });
    const hub = s.registerTaskDefinition({ family: 'hub', containerDefinitions: [{ name: 'web', image: 'nginx:1.27', essential: true, memory: 128 }] });
    s.createService('demo', { name: 'hub', taskDefinition: hub, desiredCount: 1 });
    const solo = s.registerTaskDefinition({
      family: 'solo',
      containerDefinitions: [
        { name: 'app', image: ecr('duo', '1.0'), essential: true, memory: 256 },
        { name: 'sidecar', image: 'public.ecr.aws/docker/library/busybox:1.36', essential: false, memory: 16 },
      ],
    });
    s.createService('demo', { name: 'solo', taskDefinition: solo, desiredCount: 1 });
  });

  it('asks for --container when several containers run ECR images, with an example, and registers nothing', async () => {
    const before = revisions('duo').length;
    const r = await d.run('/ecs deploy duo 1.1', alice);
    expect(r.outcome).toBe('invalid');
    expect(text(r.reply)).toContain('duo:1 has 2 containers with ECR images (app, proxy); say which with --container');
    expect(text(r.reply)).toContain('/ecs deploy duo <tag> --container app');
    expect(revisions('duo').length).toBe(before);
  });

  it('with --container, changes only that container: the question names it, and the new revision keeps the others', async () => {
    const ask = await d.run('/ecs deploy duo 2.1 --container proxy', alice);
    expect(text(ask.reply)).toMatch(/Container proxy: 2\.0 \([0-9a-f]{12}\) → 2\.1 \([0-9a-f]{12}\)/);
    const done = await d.press(button(ask.reply, 'Confirm'), alice);
    expect(text(done.reply)).toContain('Deploying proxy 2.1 to duo in cluster demo (us-east-1): duo:1 → duo:2');
    await follow(done);
    const next = revisions('duo').at(-1)!;
    const images = (next.body['containerDefinitions'] as Array<{ name: string; image: string }>).map((c) => `${c.name}=${c.image.split('/').at(-1)}`);
    expect(images).toEqual(['app=duo:1.0', 'proxy=proxy:2.1', 'metrics=statsd-exporter:v0.26.0']);
    expect(serviceTd('duo')).toBe(next.arn);
  });

  it('names the containers there are when --container names none of them', async () => {
    const r = await d.run('/ecs deploy duo 1.1 --container ap', alice);
    expect(r.outcome).toBe('invalid');
    expect(text(r.reply)).toMatch(/container 'ap'[\s\S]*app/);
  });

  it('refuses an image outside the cluster’s ECR registry as not supported yet, and changes nothing', async () => {
    const before = serviceTd('hub');
    const r = await d.run('/ecs deploy hub 1.28', alice);
    expect(r.outcome).toBe('invalid');
    expect(text(r.reply)).toContain("container web runs nginx:1.27, which is not in the ECR registry of this cluster's account and region");
    expect(text(r.reply)).toContain('not supported yet');
    expect(serviceTd('hub')).toBe(before);
  });

  it('throttled past its retries at UpdateService: says AWS is throttling, keeps the service on its revision and deregisters the new one', async () => {
    const before = serviceTd('solo');
    const ask = await d.run('/ecs deploy solo 1.1', alice);
    sandbox.faults.set('UpdateService', { throttle: 1 });
    const done = await d.press(button(ask.reply, 'Confirm'), alice);
    const why = await reason(done);
    expect(why).toMatch(/throttl/i);
    expect(why).toContain('solo still runs solo:1; the unused revision solo:2 was deregistered.');
    expect(serviceTd('solo')).toBe(before);
    expect(revisions('solo').map((r) => r.status)).toEqual(['ACTIVE', 'INACTIVE']);
  });

  it('needs no --container when exactly one container runs an ECR image', async () => {
    const ask = await d.run('/ecs deploy solo 1.1', alice);
    expect(text(ask.reply)).toMatch(/Container app: 1\.0 \([0-9a-f]{12}\) → 1\.1 \([0-9a-f]{12}\)/);
  });
});
