/**
 * /ecs commands through the real dispatcher against in-memory ports: what a user sees for
 * each command, bad input, guardrails, confirmation, follow-ups and message limits.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ecs } from '../../commands/ecs.ts';
import { activeFollows } from '../../commands/ecs-logs.ts';
import type { Caller } from '../../src/core/command.ts';
import { Dispatcher, type DispatchResult } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { replyToPlainText, type Reply } from '../../src/core/reply.ts';
import { defaultSettings, type CoreSettings, type Guardrail } from '../../src/core/settings.ts';
import type { Clock } from '../../src/ports/clock.ts';
import {
  CloudError,
  type ClusterSummary,
  type ClusterTarget,
  type ContainerService,
  type Described,
  type ServiceSummary,
  type ServiceUpdate,
  type TaskDefinitionInfo,
  type TaskInfo,
  type TaskQuery,
} from '../../src/ports/container-service.ts';
import type { ImageInfo, ImageRegistry, RepositoryInfo, ScanSummary } from '../../src/ports/image-registry.ts';
import type { LogFilter, LogLine, LogReadOptions, LogReadResult, LogSource } from '../../src/ports/log-source.ts';
import { MemoryAudit } from '../fakes/memory-audit.ts';

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

class FakeClock implements Clock {
  t = T0;
  private waiters: Array<{ at: number; resolve: () => void }> = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(signal?.reason);
      };
      const w = {
        at: this.t + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.waiters.push(w);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
  advance(ms: number): void {
    this.t += ms;
    for (const w of [...this.waiters]) {
      if (w.at <= this.t) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve();
      }
    }
  }
}


const arnOf = (kind: string, path: string): string => `arn:aws:ecs:${REGION}:${ACCOUNT}:${kind}/${path}`;

function service(name: string, desired: number, opts: Partial<ServiceSummary> = {}): ServiceSummary {
  return {
    name,
    arn: arnOf('service', `demo/${name}`),
    clusterArn: arnOf('cluster', 'demo'),
    status: 'ACTIVE',
    desiredCount: desired,
    runningCount: desired,
    pendingCount: 0,
    taskDefinition: arnOf('task-definition', `${name}:7`),
    deployments: [
      {
        id: `ecs-svc/${name}1`,
        status: 'PRIMARY',
        taskDefinition: arnOf('task-definition', `${name}:7`),
        desiredCount: desired,
        runningCount: desired,
        pendingCount: 0,
        failedTasks: 0,
        rolloutState: 'COMPLETED',
        createdAt: T0 - 3_600_000,
      },
    ],
    events: Array.from({ length: 8 }, (_, i) => ({ id: `e${i}`, createdAt: T0 - i * 60_000, message: `(service ${name}) event ${i}` })),
    ...opts,
  };
}

/** An in-memory ECS that records calls; a service's running count catches up after `lag` describes. */
class FakeEcs implements ContainerService {
  services = new Map<string, ServiceSummary>();
  tasks: TaskInfo[] = [];
  calls: string[] = [];
  lag = 1;
  private pendingCatchUp = new Map<string, number>();
  failUpdate: CloudError | undefined;
  failDescribe: CloudError | undefined;

  async listClusters(): Promise<ClusterSummary[]> {
    return [];
  }
  async describeClusters(_region: string, names: readonly string[]): Promise<Described<ClusterSummary>> {
    this.calls.push('DescribeClusters');
    return {
      items: names.filter((n) => n === 'demo').map((n) => ({ name: n, arn: arnOf('cluster', n), status: 'ACTIVE', activeServicesCount: this.services.size, runningTasksCount: 5, pendingTasksCount: 0 })),
      failures: names.filter((n) => n !== 'demo').map((n) => ({ arn: arnOf('cluster', n), reason: 'MISSING' })),
    };
  }
  async listServices(t: ClusterTarget): Promise<string[]> {
    this.calls.push('ListServices');
    if (t.cluster !== 'demo') throw new CloudError('cluster-not-found', 'ecs:ListServices', `No cluster '${t.cluster}' in ${t.region}.`);
    return [...this.services.values()].map((s) => s.arn);
  }
  async describeServices(_t: ClusterTarget, names: readonly string[]): Promise<Described<ServiceSummary>> {
    this.calls.push('DescribeServices');
    if (this.failDescribe) throw this.failDescribe;
    const items: ServiceSummary[] = [];
    const failures = [];
    for (const n of names) {
      const key = n.slice(n.lastIndexOf('/') + 1);
      const s = this.services.get(key);
      if (!s) {
        failures.push({ arn: arnOf('service', `demo/${key}`), reason: 'MISSING' });
        continue;
      }
      const left = this.pendingCatchUp.get(key);
      if (left !== undefined) {
        if (left <= 0) {
          s.runningCount = s.desiredCount;
          s.pendingCount = 0;
          s.deployments = s.deployments.filter((d) => d.status === 'PRIMARY').map((d) => ({ ...d, runningCount: s.desiredCount, rolloutState: 'COMPLETED' }));
          this.pendingCatchUp.delete(key);
        } else this.pendingCatchUp.set(key, left - 1);
      }
      items.push(structuredClone(s));
    }
    return { items, failures };
  }
  async updateService(t: ClusterTarget, name: string, u: ServiceUpdate): Promise<ServiceSummary> {
    this.calls.push(`UpdateService ${name} ${JSON.stringify(u)}`);
    if (this.failUpdate) throw this.failUpdate;
    const s = this.services.get(name);
    if (!s) throw new CloudError('service-not-found', 'ecs:UpdateService', `No service ${name} in ${t.cluster}`);
    if (u.desiredCount !== undefined) {
      s.desiredCount = u.desiredCount;
      s.pendingCount = Math.max(0, u.desiredCount - s.runningCount);
    }
    if (u.forceNewDeployment) {
      const old = s.deployments[0]!;
      s.deployments = [
        { ...old, id: `ecs-svc/${name}${s.deployments.length + 1}new`, status: 'PRIMARY', runningCount: 0, rolloutState: 'IN_PROGRESS', createdAt: T0 },
        { ...old, status: 'ACTIVE' },
      ];
    }
    this.pendingCatchUp.set(name, this.lag);
    return structuredClone(s);
  }
  async listTasks(_t: ClusterTarget, q: TaskQuery = {}): Promise<string[]> {
    this.calls.push('ListTasks');
    const want = q.desiredStatus ?? 'RUNNING';
    return this.tasks.filter((t) => (!q.serviceName || t.group === `service:${q.serviceName}`) && t.desiredStatus === want).map((t) => t.arn);
  }
  async describeTasks(_t: ClusterTarget, arns: readonly string[]): Promise<Described<TaskInfo>> {
    this.calls.push('DescribeTasks');
    return { items: this.tasks.filter((t) => arns.includes(t.arn)), failures: [] };
  }
  async describeTaskDefinition(_region: string, td: string): Promise<TaskDefinitionInfo> {
    const family = td.slice(td.lastIndexOf('/') + 1).split(':')[0]!;
    return {
      arn: td,
      family,
      revision: 7,
      containers: [
        { name: 'app', image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${family}:v1.4.2`, essential: true, logs: { group: `/ecs/${family}`, region: REGION, streamPrefix: family } },
        { name: 'sidecar', image: 'public.ecr.aws/envoy:1.30', essential: false },
      ],
    };
  }
  async stopTask(): Promise<TaskInfo> {
    throw new Error('not used');
  }
  // Deploys are tested against the sandbox and moto (test/integration/ecs-deploy.test.ts).
  async registerImageRevision(): Promise<TaskDefinitionInfo> {
    throw new Error('not used');
  }
  async deregisterTaskDefinition(): Promise<void> {
    throw new Error('not used');
  }
  async listTaskDefinitions(): Promise<string[]> {
    throw new Error('not used');
  }
}

function task(id: string, svc: string, stopped?: { code: string; reason: string; exit?: number; why?: string; at: number }): TaskInfo {
  return {
    arn: arnOf('task', `demo/${id}`),
    id,
    clusterArn: arnOf('cluster', 'demo'),
    taskDefinition: arnOf('task-definition', `${svc}:7`),
    group: `service:${svc}`,
    lastStatus: stopped ? 'STOPPED' : 'RUNNING',
    desiredStatus: stopped ? 'STOPPED' : 'RUNNING',
    ...(stopped ? { stopCode: stopped.code, stoppedReason: stopped.reason, stoppedAt: stopped.at } : {}),
    containers: [
      {
        name: 'app',
        image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${svc}:v1.4.2`,
        imageDigest: 'sha256:abcdef0123456789abcdef',
        ...(stopped?.exit !== undefined ? { exitCode: stopped.exit } : {}),
        ...(stopped?.why ? { reason: stopped.why } : {}),
      },
    ],
  };
}

class FakeLogs implements LogSource {
  lines: LogLine[] = [];
  throttleNext = 0;
  async filterEvents(f: LogFilter, o: LogReadOptions): Promise<LogReadResult> {
    if (this.throttleNext > 0) {
      this.throttleNext--;
      throw new CloudError('throttled', 'logs:FilterLogEvents', 'AWS is throttling requests (logs:FilterLogEvents in us-east-1); try again in a minute.');
    }
    if (!f.group.startsWith('/ecs/')) throw new CloudError('log-group-not-found', 'logs:FilterLogEvents', 'no group');
    const hits = this.lines
      .filter((l) => l.stream.startsWith(f.group.slice(5)))
      .filter((l) => (!f.streamNames || f.streamNames.includes(l.stream)) && (!f.streamNamePrefix || l.stream.startsWith(f.streamNamePrefix)))
      .filter((l) => (f.startTime === undefined || l.timestamp >= f.startTime) && (!f.filterPattern || l.message.includes(f.filterPattern.replace(/"/g, ''))))
      .sort((a, b) => a.timestamp - b.timestamp);
    const events = o.keep === 'first' ? hits.slice(0, o.limit) : hits.slice(-o.limit);
    return { events, matched: hits.length, incomplete: false };
  }
  async streamTail(): Promise<LogLine[]> {
    return [];
  }
}

class FakeImages implements ImageRegistry {
  repos: RepositoryInfo[] = ['web', 'api', 'worker'].map((n) => ({ name: n, arn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${n}`, uri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${n}` }));
  images = new Map<string, ImageInfo[]>();
  async listRepositories(): Promise<RepositoryInfo[]> {
    return this.repos;
  }
  async listImages(_r: string, repo: string): Promise<ImageInfo[]> {
    if (!this.repos.some((r) => r.name === repo)) throw new CloudError('repository-not-found', 'ecr:DescribeImages', `No repository '${repo}'`);
    return this.images.get(repo) ?? [];
  }
  async scanFindings(): Promise<ScanSummary | null> {
    return null;
  }
}

const me: Caller = { platform: 'console', workspaceId: 'local', channelId: 'terminal', userId: 'alice', displayName: 'alice' };
const viewer: Caller = { ...me, userId: 'vic', displayName: 'vic' };

interface World {
  clock: FakeClock;
  ecsPort: FakeEcs;
  logs: FakeLogs;
  images: FakeImages;
  audit: MemoryAudit;
  d: Dispatcher;
  text(r: Reply): string;
}

function world(settings: Partial<CoreSettings> = {}): World {
  const clock = new FakeClock();
  const ecsPort = new FakeEcs();
  ecsPort.services.set('web', service('web', 2));
  ecsPort.services.set('api', service('api', 3));
  ecsPort.services.set('worker', service('worker', 1));
  ecsPort.tasks.push(task('aaaa1111bbbb2222', 'web'), task('cccc3333dddd4444', 'web'));
  ecsPort.tasks.push(task('dead0000beef1111', 'web', { code: 'EssentialContainerExited', reason: 'Essential container in task exited', exit: 137, why: 'OutOfMemoryError: Container killed due to memory usage', at: T0 - 120_000 }));
  const logs = new FakeLogs();
  for (let i = 0; i < 200; i++) {
    const id = i % 2 ? 'aaaa1111bbbb2222' : 'cccc3333dddd4444';
    logs.lines.push({ timestamp: T0 - (200 - i) * 1000, message: `GET /health ${i}${i % 40 === 0 ? ' ERROR db timeout' : ''}`, stream: `web/app/${id}`, eventId: `ev${i}` });
  }
  const images = new FakeImages();
  images.images.set('web', [
    { repository: 'web', digest: 'sha256:1111aaaa2222bbbb3333', tags: ['v1.4.2', 'latest'], pushedAt: T0 - 2 * 86_400_000, sizeBytes: 84_000_000, scan: { status: 'COMPLETE', counts: { CRITICAL: 1, HIGH: 4 } } },
    { repository: 'web', digest: 'sha256:9999ffff8888eeee7777', tags: ['v1.4.1'], pushedAt: T0 - 9 * 86_400_000, sizeBytes: 83_500_000, scan: { status: 'COMPLETE', counts: {} } },
    { repository: 'web', digest: 'sha256:5555', tags: [], pushedAt: T0 - 20 * 86_400_000, sizeBytes: 80_000_000 },
  ]);
  const audit = new MemoryAudit();
  const d = new Dispatcher({
    commands: [ecs],
    ports: { clock, audit, containers: ecsPort, logs, images },
    settings: defaultSettings({ clusters: [{ name: 'demo', region: REGION }], userRoles: new Map([['console:alice', 'operator']]), ...settings }),
    log: silentLogger,
  });
  return { clock, ecsPort, logs, images, audit, d, text: replyToPlainText };
}

/** Runs a follow-up to its end, stepping the fake clock while it sleeps; returns what it posted. */
async function runFollowUp(w: World, r: DispatchResult, stepMs = 1_000, maxSteps = 2_000): Promise<Reply[]> {
  const posted: Reply[] = [];
  expect(r.followUp, 'expected a follow-up').toBeDefined();
  let done = false;
  const p = r.followUp!(async (x) => {
    posted.push(x);
  }).then(() => {
    done = true;
  });
  for (let i = 0; i < maxSteps && !done; i++) {
    await new Promise((res) => setImmediate(res));
    w.clock.advance(stepMs);
  }
  await p;
  return posted;
}

const updates = (w: World): string[] => w.ecsPort.calls.filter((c) => c.startsWith('UpdateService'));

describe('/ecs services and status', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  it('lists services with counts, rollout, revision and image tag, naming cluster, region and the sandbox', async () => {
    const r = await w.d.run('/ecs services', me);
    const t = w.text(r.reply);
    expect(t).toContain('Services in cluster demo (us-east-1) — 3');
    expect(t).toMatch(/web \| 2 \| 2 \| 0 \| completed \| web:7 \| v1\.4\.2/);
    expect(t).toContain('api | 3 | 3 | 0');
    expect(t).toContain('sandbox data');
    expect(t.indexOf('api |')).toBeLessThan(t.indexOf('web |'));
  });

  it('shows a service: deployments, the last 5 events, tasks by status, stop reasons and the image', async () => {
    const t = w.text((await w.d.run('/ecs status web', me)).reply);
    expect(t).toContain('web in cluster demo (us-east-1)');
    expect(t).toContain('PRIMARY | web:7 | 2 | 2 | 0 | 0 | COMPLETED');
    expect(t).toContain('event 4');
    expect(t).not.toContain('event 5');
    expect(t).toContain('Tasks running: 2');
    expect(t).toContain('Tasks stopped: 1');
    expect(t).toContain('dead0000 · 2m ago · EssentialContainerExited');
    expect(t).toContain('app exit 137 (OutOfMemoryError');
    expect(t).toContain('web:v1.4.2 (abcdef012345)');
  });

  it('suggests the closest service for a typo and calls nothing that changes', async () => {
    const r = await w.d.run('/ecs status wbe', me);
    expect(w.text(r.reply)).toContain("no service 'wbe' in cluster demo (us-east-1) — did you mean 'web'?");
    const s = await w.d.run('/ecs scale wbe 3', me);
    expect(w.text(s.reply)).toContain("did you mean 'web'?");
    expect(updates(w)).toEqual([]);
  });

  it('quotes a 10,000-character service or cluster name back clipped', async () => {
    const long = 'w'.repeat(10_000);
    const a = w.text((await w.d.run(`/ecs status ${long}`, me)).reply);
    expect(a).toMatch(/no service 'w{59}…' in cluster demo \(us-east-1\)/);
    expect(a.length).toBeLessThan(400);
    const b = w.text((await w.d.run(`/ecs status web --cluster ${long}`, me)).reply);
    expect(b).toMatch(/no cluster 'w{59}…' is configured/);
    expect(b.length).toBeLessThan(400);
  });

  it('suggests the cluster ECS has when a configured one does not exist there, and changes nothing', async () => {
    const typo = world({ clusters: [{ name: 'dmeo', region: REGION }] });
    typo.ecsPort.listClusters = async () => [{ name: 'demo', arn: arnOf('cluster', 'demo'), status: 'ACTIVE', activeServicesCount: 3, runningTasksCount: 5, pendingTasksCount: 0 }];
    typo.ecsPort.failDescribe = new CloudError('cluster-not-found', 'ecs:DescribeServices', "No cluster 'dmeo' in us-east-1.");
    for (const line of ['/ecs services', '/ecs status web', '/ecs scale web 3', '/ecs restart web']) {
      const t = typo.text((await typo.d.run(line, me)).reply);
      expect(t, line).toContain("the sandbox in us-east-1 has no cluster 'dmeo' — did you mean 'demo'?");
      expect(t, line).toContain('It has: demo. The cluster names come from DOCKHAND_CLUSTERS or clusters in dockhand.yaml.');
    }
    expect(updates(typo)).toEqual([]);
  });

  it('says why images are missing when dockhand may not read task definitions', async () => {
    const denied = new CloudError('access-denied', 'ecs:DescribeTaskDefinition', "AWS denied ecs:DescribeTaskDefinition in us-east-1: dockhand's IAM role lacks the ecs:DescribeTaskDefinition permission.");
    w.ecsPort.describeTaskDefinition = async () => {
      throw denied;
    };
    w.ecsPort.tasks = [];
    const services = w.text((await w.d.run('/ecs services', me)).reply);
    expect(services).toContain("Images unknown: AWS denied ecs:DescribeTaskDefinition in us-east-1: dockhand's IAM role lacks the ecs:DescribeTaskDefinition permission.");
    expect(w.text((await w.d.run('/ecs status web', me)).reply)).toContain('Image: unknown: AWS denied ecs:DescribeTaskDefinition');
    expect(w.text((await w.d.run('/ecs images web', me)).reply)).toContain('Which services run these images is unknown: AWS denied');
  });

  it('suggests the closest configured cluster', async () => {
    const w2 = world({ clusters: [{ name: 'demo', region: REGION }, { name: 'prod', region: 'eu-west-1', alias: 'live' }] });
    const t = w2.text((await w2.d.run('/ecs services --cluster prd', me)).reply);
    expect(t).toContain("no cluster 'prd' is configured — did you mean 'prod'?");
    expect(t).toContain('prod (eu-west-1)');
  });

  it('lists configured clusters with counts, and ones ECS does not know', async () => {
    const w2 = world({ clusters: [{ name: 'demo', region: REGION }, { name: 'ghost', region: REGION }] });
    const t = w2.text((await w2.d.run('/ecs clusters', me)).reply);
    expect(t).toContain('demo (default) | us-east-1 |  | ACTIVE | 3 | 5 | 0');
    expect(t).toContain('ghost | us-east-1 |  | NOT FOUND');
  });

  it('cuts a long services table to the platform limit and says how many were left out', async () => {
    for (let i = 0; i < 120; i++) w.ecsPort.services.set(`svc-${String(i).padStart(3, '0')}`, service(`svc-${String(i).padStart(3, '0')}`, 1));
    const discord: Caller = { ...me, platform: 'discord' };
    const t = w.text((await w.d.run('/ecs services', discord)).reply);
    expect(t).toContain('— 123');
    expect(t).toMatch(/… \d+ more services not shown \(message limit\)/);
    const table = t.split('\n').filter((l) => / \| \d+ \| \d+ \| \d+ \| /.test(l));
    expect(table.join('\n').length).toBeLessThan(2_000);
  });
});

describe('/ecs scale and restart', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  it('scales at once, then posts a follow-up when the service is steady', async () => {
    const r = await w.d.run('/ecs scale web 3', me);
    expect(w.text(r.reply)).toContain('Scaling web 2 → 3 in cluster demo (us-east-1)');
    expect(updates(w)).toEqual(['UpdateService web {"desiredCount":3}']);
    const posted = await runFollowUp(w, r);
    expect(posted).toHaveLength(1);
    expect(w.text(posted[0]!)).toMatch(/✅ web is steady: 3\/3 running \(after \d+s\)/);
    expect(w.text(posted[0]!)).toContain('cluster demo · us-east-1');
  });

  it('says so when the count is already the desired count and changes nothing', async () => {
    const t = w.text((await w.d.run('/ecs scale web 2', me)).reply);
    expect(t).toContain('web already wants 2 tasks (2 running); nothing was changed.');
    expect(updates(w)).toEqual([]);
  });

  it('refuses a count beyond the guardrail with the limit and never calls UpdateService', async () => {
    const t = w.text((await w.d.run('/ecs scale web 51', me)).reply);
    expect(t).toContain('web may be scaled from 0 to 50 tasks');
    expect(t).toContain('51 is above that limit');
    const w2 = world({ guardrails: new Map<string, Guardrail>([['web', { min: 2, max: 4 }]]) });
    const t2 = w2.text((await w2.d.run('/ecs scale web 1', me)).reply);
    expect(t2).toContain('from 2 to 4 tasks');
    expect(t2).toContain('1 is below');
    expect(updates(w)).toEqual([]);
    expect(updates(w2)).toEqual([]);
  });

  it('asks before scaling to 0 or to more than double, and runs only when confirmed', async () => {
    const r = await w.d.run('/ecs scale web 0', me);
    expect(w.text(r.reply)).toContain('Scale web in cluster demo (us-east-1, sandbox) from 2 to 0? Every task of it stops.');
    expect(updates(w)).toEqual([]);
    const big = await w.d.run('/ecs scale web 5', me);
    expect(w.text(big.reply)).toContain('That is more than double');
    const actions = big.reply.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : []));
    const confirm = actions.find((b) => b.label === 'Confirm')!;
    const denied = await w.d.press(confirm.action, viewer);
    expect(w.text(denied.reply)).toContain('only alice');
    expect(updates(w)).toEqual([]);
    const ok = await w.d.press(confirm.action, me);
    expect(w.text(ok.reply)).toContain('Scaling web 2 → 5');
    expect(updates(w)).toEqual(['UpdateService web {"desiredCount":5}']);
    await runFollowUp(w, ok);
  });

  it('asks before starting a service scaled to 0, in words that fit (not "more than double")', async () => {
    w.ecsPort.services.set('idle', service('idle', 0));
    const t = w.text((await w.d.run('/ecs scale idle 1', me)).reply);
    expect(t).toContain('Start idle in cluster demo (us-east-1, sandbox) with 1 task? It runs no tasks now.');
    expect(t).not.toContain('more than double');
    expect(updates(w)).toEqual([]);
  });

  it('lets a confirmation expire without changing anything', async () => {
    const r = await w.d.run('/ecs restart web', me);
    expect(w.text(r.reply)).toContain('Restart web in cluster demo (us-east-1, sandbox)? A new deployment replaces its 2 running tasks.');
    const confirm = r.reply.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : [])).find((b) => b.label === 'Confirm')!;
    w.clock.advance(121_000);
    const late = await w.d.press(confirm.action, me);
    expect(w.text(late.reply)).toContain('expired');
    expect(w.text(late.reply)).toContain('It asked: Restart web in cluster demo (us-east-1, sandbox)?');
    expect(updates(w)).toEqual([]);
    expect(w.audit.entries[0]?.outcome).toBe('expired');
  });

  it('restarts with a forced deployment when confirmed and follows it until steady', async () => {
    w.ecsPort.lag = 3;
    const r = await w.d.run('/ecs restart web', me);
    const confirm = r.reply.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : [])).find((b) => b.label === 'Confirm')!;
    const ok = await w.d.press(confirm.action, me);
    expect(w.text(ok.reply)).toMatch(/Restarting web in cluster demo \(us-east-1\): deployment web\d+new replaces 2 tasks/);
    expect(updates(w)).toEqual(['UpdateService web {"forceNewDeployment":true}']);
    const posted = await runFollowUp(w, ok);
    expect(w.text(posted.at(-1)!)).toContain('✅ web is steady: 2/2 running');
  });

  it('reports the counts reached and the latest events when the service does not settle in time', async () => {
    w.ecsPort.lag = 1_000_000;
    const r = await w.d.run('/ecs scale web 4', me);
    const posted = await runFollowUp(w, r, 5_000);
    const t = w.text(posted.at(-1)!);
    expect(t).toContain('web is not steady after 5m: 2/4 running, 2 pending. Latest events:');
    expect(t).toContain('(service web) event 0');
  });

  it('stops following a scale at once when a later scale changes the count, instead of waiting for a timeout', async () => {
    w.ecsPort.lag = 1_000_000;
    const first = await w.d.run('/ecs scale web 4', me);
    const second = await w.d.run('/ecs scale web 3', me);
    expect(w.text(second.reply)).toContain('Scaling web 4 → 3');
    const started = w.clock.now();
    const posted = await runFollowUp(w, first);
    expect(posted).toHaveLength(1);
    expect(w.text(posted[0]!)).toContain('Stopped following the scale of web to 4: its desired count was changed to 3 since');
    expect(w.text(posted[0]!)).toContain('cluster demo · us-east-1');
    expect(w.clock.now() - started).toBeLessThan(60_000);
  });

  it('follows a restart to steady even when the service is scaled during it', async () => {
    w.ecsPort.lag = 3;
    const r = await w.d.run('/ecs restart web', me);
    const confirm = r.reply.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : [])).find((b) => b.label === 'Confirm')!;
    const ok = await w.d.press(confirm.action, me);
    await w.d.run('/ecs scale web 3', me);
    const started = w.clock.now();
    const posted = await runFollowUp(w, ok);
    expect(w.text(posted.at(-1)!)).toContain('✅ web is steady: 3/3 running');
    expect(w.clock.now() - started).toBeLessThan(60_000);
  });

  it('keeps following through throttling instead of giving up', async () => {
    const r = await w.d.run('/ecs scale web 3', me);
    let throttles = 3;
    const real = w.ecsPort.describeServices.bind(w.ecsPort);
    w.ecsPort.describeServices = async (t, names) => {
      if (throttles-- > 0) throw new CloudError('throttled', 'ecs:DescribeServices', 'AWS is throttling requests; try again in a minute.');
      return real(t, names);
    };
    const posted = await runFollowUp(w, r);
    expect(posted).toHaveLength(1);
    expect(w.text(posted[0]!)).toContain('✅ web is steady: 3/3 running');
    // Looks at 5s, then backs off 10s, 20s and 40s, then is steady one normal look later.
    expect(w.text(posted[0]!)).toContain('after 1m20s');
  });

  it('denies viewers, who may still read', async () => {
    const t = w.text((await w.d.run('/ecs scale web 3', viewer)).reply);
    expect(t).toContain('needs the operator role; you are a viewer');
    expect(w.text((await w.d.run('/ecs services', viewer)).reply)).toContain('Services in cluster demo');
    expect(updates(w)).toEqual([]);
  });

  it('turns AccessDenied into which permission is missing, with nothing left half done', async () => {
    w.ecsPort.failUpdate = new CloudError('access-denied', 'ecs:UpdateService', "AWS denied ecs:UpdateService on service web in cluster demo in us-east-1: dockhand's IAM role lacks the ecs:UpdateService permission.");
    const r = await w.d.run('/ecs scale web 3', me);
    expect(w.text(r.reply)).toContain('AWS denied ecs:UpdateService on service web in cluster demo');
    expect(r.followUp).toBeUndefined();
    expect(w.ecsPort.services.get('web')!.desiredCount).toBe(2);
  });
});

describe('/ecs logs', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  it('shows the newest lines oldest first, each with its time and short task id', async () => {
    const t = w.text((await w.d.run('/ecs logs web --lines 5', me)).reply);
    expect(t).toContain('Logs of web in cluster demo (us-east-1) — since 15m ago');
    const lines = t.split('\n').filter((l) => /^\d\d:\d\d:\d\d /.test(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^11:59:55 aaaa1111 {2}GET \/health 195$/);
    expect(lines[1]).toMatch(/^11:59:56 cccc3333 {2}GET \/health 196$/);
    expect(lines[4]).toMatch(/^11:59:59 aaaa1111 {2}GET \/health 199$/);
    expect(t).toContain('showing the newest 5 of 200 lines');
  });

  it('filters by text and by task, with did-you-mean for unknown tasks and containers', async () => {
    const t = w.text((await w.d.run('/ecs logs web --filter "db timeout"', me)).reply);
    expect(t.split('\n').filter((l) => l.includes('ERROR db timeout'))).toHaveLength(5);
    const one = w.text((await w.d.run('/ecs logs web --task aaaa --lines 3', me)).reply);
    expect(one.split('\n').filter((l) => /^\d\d:/.test(l)).every((l) => l.includes('aaaa1111'))).toBe(true);
    expect(w.text((await w.d.run('/ecs logs web --task aaab', me)).reply)).toContain("no task 'aaab' in service web");
    expect(w.text((await w.d.run('/ecs logs web --container ap', me)).reply)).toContain("no container 'ap' in task definition web:7 of web — did you mean 'app'?");
    expect(w.text((await w.d.run('/ecs logs web --container sidecar', me)).reply)).toContain('does not send its logs to CloudWatch Logs');
  });

  it('drops ANSI colours and shows other control characters as � in log lines, so they cannot drive a terminal', async () => {
    w.logs.lines.push({ timestamp: T0 - 500, message: '\u001b[31mERROR\u001b[0m bell\u0007 title\u001b]0;pwned\u0007 clear\u001b[2J done', stream: 'web/app/aaaa1111bbbb2222', eventId: 'ansi' });
    const t = w.text((await w.d.run('/ecs logs web --lines 1', me)).reply);
    expect(t).toContain('ERROR bell� title clear done');
    expect([...t].some((c) => c.charCodeAt(0) < 32 && c !== '\n')).toBe(false);
  });

  it('refuses a --filter longer than CloudWatch Logs accepts before calling it', async () => {
    let calls = 0;
    const real = w.logs.filterEvents.bind(w.logs);
    w.logs.filterEvents = async (f, o) => {
      calls++;
      return real(f, o);
    };
    const t = w.text((await w.d.run(`/ecs logs web --filter "${'x'.repeat(1_001)}"`, me)).reply);
    expect(t).toMatch(/--filter must be at most 1000 characters, got 1001: 'x{59}…'/);
    expect(calls).toBe(0);
  });

  it('cuts output over the platform limit, keeping the newest lines and saying how many were left out', async () => {
    const discord: Caller = { ...me, platform: 'discord' };
    const t = w.text((await w.d.run('/ecs logs web --lines 200', discord)).reply);
    const m = /… (\d+) earlier lines left out to fit the message limit; narrow with --since, --filter, --task or fewer --lines/.exec(t);
    expect(m).not.toBeNull();
    const shown = t.split('\n').filter((l) => /^\d\d:\d\d:\d\d /.test(l));
    expect(shown.length + Number(m![1])).toBe(200);
    expect(shown.at(-1)).toContain('GET /health 199');
  });

  it('follows new lines into a thread, slows down when throttled, and stops on /ecs unfollow', async () => {
    const r = await w.d.run('/ecs logs web --lines 2 --follow 5m', me);
    expect(r.reply.thread?.parent).toBe(true);
    expect(w.text(r.reply)).toContain('Following for 5m in a thread; /ecs unfollow ends it.');
    const posted: Reply[] = [];
    let done = false;
    const p = r.followUp!(async (x) => {
      posted.push(x);
    }).then(() => (done = true));
    const tick = async (ms: number): Promise<void> => {
      await new Promise((res) => setImmediate(res));
      w.clock.advance(ms);
      await new Promise((res) => setImmediate(res));
    };
    w.logs.lines.push({ timestamp: T0 + 2_000, message: 'new line A', stream: 'web/app/aaaa1111bbbb2222', eventId: 'n1' });
    await tick(5_000);
    await tick(0);
    expect(posted.map((x) => w.text(x)).join('\n')).toContain('new line A');
    expect(posted.every((x) => x.thread?.key === r.reply.thread?.key && x.thread?.parent === false)).toBe(true);
    w.logs.throttleNext = 1;
    await tick(5_000);
    await tick(0);
    expect(posted.map((x) => w.text(x)).join('\n')).toContain('The sandbox is throttling log reads; checking every 10s for now.');
    w.logs.lines.push({ timestamp: T0 + 20_000, message: 'new line B', stream: 'web/app/cccc3333dddd4444', eventId: 'n2' });
    await tick(10_000);
    await tick(0);
    expect(posted.map((x) => w.text(x)).join('\n')).toContain('new line B');
    expect(posted.map((x) => w.text(x)).join('\n').match(/new line A/g)).toHaveLength(1);
    const stop = await w.d.run('/ecs unfollow', me);
    expect(w.text(stop.reply)).toContain('Stopped following the logs of web in cluster demo (us-east-1, sandbox).');
    await p;
    expect(done).toBe(true);
    expect(w.text(posted.at(-1)!)).toContain('Stopped following web (stopped by alice');
    expect(w.text(posted.at(-1)!)).toContain('cluster demo · us-east-1 · sandbox data (not real AWS)');
  });
});

describe('/ecs unfollow and the old /ecs logs stop', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });
  const tick = async (): Promise<void> => {
    await new Promise((res) => setImmediate(res));
  };

  it('stops only the named service, says what runs when the name matches none, and help shows it', async () => {
    const web = await w.d.run('/ecs logs web --lines 1 --follow 5m', me);
    const api = await w.d.run('/ecs logs api --lines 1 --follow 5m', me);
    const pWeb = web.followUp!(async () => undefined);
    const pApi = api.followUp!(async () => undefined);
    await tick();
    expect(w.text((await w.d.run('/ecs unfollow wbe', me)).reply)).toContain('No follow of wbe is running in this channel; following: web, api.');
    expect(w.text((await w.d.run('/ecs unfollow web', me)).reply)).toContain('Stopped following the logs of web in cluster demo');
    await pWeb;
    expect(activeFollows(me)).toBe(1);
    expect(w.text((await w.d.run('/ecs unfollow', me)).reply)).toContain('Stopped following the logs of api');
    await pApi;
    expect(activeFollows(me)).toBe(0);
    expect(w.text((await w.d.run('/ecs help unfollow', me)).reply)).toContain('/ecs unfollow [service]');
  });

  it('keeps /ecs logs stop working, naming the new command', async () => {
    const web = await w.d.run('/ecs logs web --lines 1 --follow 5m', me);
    const p = web.followUp!(async () => undefined);
    await tick();
    const t = w.text((await w.d.run('/ecs logs stop', me)).reply);
    expect(t).toContain('Stopped following the logs of web');
    expect(t).toContain('`/ecs logs stop` is now `/ecs unfollow [service]`.');
    await p;
  });

  it('shows the logs of a service that is really called stop', async () => {
    w.ecsPort.services.set('stop', service('stop', 1));
    const t = w.text((await w.d.run('/ecs logs stop', me)).reply);
    expect(t).toContain('Logs of stop in cluster demo');
    expect(t).not.toContain('unfollow');
  });
});

describe('/ecs images', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  it('lists repositories with their newest image', async () => {
    const t = w.text((await w.d.run('/ecs images', me)).reply);
    expect(t).toContain('Repositories in us-east-1 — 3');
    expect(t).toContain('web | 3 | v1.4.2, latest | 2d ago | 84.0 MB | 1 critical, 4 high');
    expect(t).toContain('api | 0 | —');
    expect(t).toContain('cluster demo · us-east-1');
  });

  it('lists a repository’s images with tags, short digest, age, size, findings and the services running them', async () => {
    const t = w.text((await w.d.run('/ecs images web', me)).reply);
    expect(t).toContain('Images of web in us-east-1 — 3, newest first');
    expect(t).toContain('v1.4.2, latest | 1111aaaa2222 | 2d ago | 84.0 MB | 1 critical, 4 high | web');
    expect(t).toContain('v1.4.1 | 9999ffff8888 | 9d ago | 83.5 MB | none | —');
    expect(t).toContain('(untagged) | 5555 | 20d ago | 80.0 MB | not scanned');
  });

  it('reads many repositories a few at a time, in name order', async () => {
    w.images.repos = Array.from({ length: 30 }, (_, i) => ({ name: `r${String(i).padStart(2, '0')}`, arn: `arn:r${i}`, uri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/r${i}` }));
    let inFlight = 0;
    let most = 0;
    w.images.listImages = async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return [];
    };
    const t = w.text((await w.d.run('/ecs images', me)).reply);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(5);
    const names = t.split('\n').filter((l) => /^r\d\d /.test(l)).map((l) => l.slice(0, 3));
    expect(names).toEqual(Array.from({ length: 30 }, (_, i) => `r${String(i).padStart(2, '0')}`));
  });

  it('warns when a service runs a tag the repository does not have', async () => {
    const t = w.text((await w.d.run('/ecs images api', me)).reply);
    expect(t).toContain('⚠️ api runs api:v1.4.2, which is not in this repository; new tasks cannot pull it.');
    expect(w.text((await w.d.run('/ecs images web', me)).reply)).not.toContain('not in this repository');
  });

  it('suggests the closest repository for a typo', async () => {
    expect(w.text((await w.d.run('/ecs images wbe', me)).reply)).toContain("no repository 'wbe' in ECR in us-east-1 — did you mean 'web'?");
  });
});
