/**
 * The demo world: cluster `demo` with healthy services (web, api, worker), a crash-looping
 * one (payments, with an occasional out-of-memory kill), one whose image cannot be
 * pulled (reports) and one whose tasks fail their container health checks (search), their
 * ECR repositories and log groups, and a quarter hour of history.
 */
import type { SandboxState } from './state.ts';
import type { FindingRecord } from './model.ts';
import { tick } from './scheduler.ts';

const DAY = 86_400_000;
/** How much sandbox history the demo is pre-run with, so events, stopped tasks and logs already exist. */
export const DEMO_HISTORY_MS = 15 * 60_000;

type Counts = Partial<Record<FindingRecord['severity'], number>>;

interface RepoPlan {
  name: string;
  images: { tags: string[]; daysAgo: number; mb: number; findings?: Counts }[];
}

const REPOS: RepoPlan[] = [
  {
    name: 'web',
    images: [
      { tags: [], daysAgo: 41, mb: 61, findings: { HIGH: 2, MEDIUM: 5, LOW: 9 } },
      { tags: ['1.3.2', 'git-4e1f0a2'], daysAgo: 27, mb: 62, findings: { HIGH: 1, MEDIUM: 4, LOW: 8 } },
      { tags: ['1.4.0', 'git-9b3c711'], daysAgo: 12, mb: 64, findings: { CRITICAL: 1, HIGH: 1, MEDIUM: 3, LOW: 6 } },
      { tags: ['1.4.1', 'latest', 'git-c0ffee1'], daysAgo: 2, mb: 64, findings: { MEDIUM: 2, LOW: 5, INFORMATIONAL: 3 } },
    ],
  },
  {
    name: 'api',
    images: [
      { tags: ['2.7.0'], daysAgo: 35, mb: 188, findings: { HIGH: 3, MEDIUM: 7 } },
      { tags: ['2.8.0', 'git-77aa210'], daysAgo: 9, mb: 191, findings: { HIGH: 1, MEDIUM: 6, LOW: 2 } },
      { tags: ['2.8.1', 'latest', 'git-5d2e9f4'], daysAgo: 1, mb: 192, findings: { MEDIUM: 4, LOW: 2 } },
    ],
  },
  {
    name: 'worker',
    images: [
      { tags: ['0.9.3'], daysAgo: 60, mb: 143, findings: { CRITICAL: 2, HIGH: 4 } },
      { tags: ['1.0.0', 'latest'], daysAgo: 6, mb: 139, findings: { LOW: 3 } },
    ],
  },
  {
    name: 'payments',
    images: [
      { tags: ['3.1.0'], daysAgo: 20, mb: 176, findings: { HIGH: 2, MEDIUM: 1 } },
      { tags: ['3.2.0', 'latest'], daysAgo: 0.2, mb: 181 },
    ],
  },
  {
    name: 'reports',
    images: [
      { tags: ['0.4.0'], daysAgo: 50, mb: 98, findings: { MEDIUM: 2 } },
      { tags: ['0.5.0', 'latest'], daysAgo: 15, mb: 99, findings: { MEDIUM: 1, LOW: 1 } },
    ],
  },
  {
    name: 'search',
    images: [{ tags: ['1.2.0', 'latest'], daysAgo: 4, mb: 212, findings: { LOW: 2 } }],
  },
];

/** Builds the demo scenario into an empty state and runs its history up to the clock's now. */
export function buildDemoScenario(state: SandboxState): void {
  const now = state.clock.now();
  const t0 = now - DEMO_HISTORY_MS;
  state.createCluster('demo');

  for (const plan of REPOS) {
    state.createRepository(plan.name, { createdAt: now - 90 * DAY });
    for (const img of plan.images) {
      state.putImage(plan.name, {
        tags: img.tags,
        pushedAt: Math.round(now - img.daysAgo * DAY),
        sizeInBytes: img.mb * 1_048_576 + state.rng.int(0, 1_000_000),
        ...(img.findings ? { findings: img.findings } : {}),
      });
    }
    state.createLogGroup(`/ecs/${plan.name}`, { retentionInDays: 30, createdAt: now - 90 * DAY });
  }

  const image = (repo: string, tag: string): string => `${state.registryHost}/${repo}:${tag}`;
  state.defineTaskDefinition({ family: 'web', image: image('web', '1.3.2'), port: 80 });
  const web = state.defineTaskDefinition({ family: 'web', image: image('web', '1.4.0'), port: 80, tags: { team: 'storefront', 'cost-center': 'cc-1042' } });
  state.defineTaskDefinition({ family: 'api', image: image('api', '2.8.0'), port: 8080, healthCheck: true, memory: '1024', cpu: '512' });
  const api = state.defineTaskDefinition({ family: 'api', image: image('api', '2.8.1'), port: 8080, healthCheck: true, memory: '1024', cpu: '512' });
  const worker = state.defineTaskDefinition({ family: 'worker', image: image('worker', '1.0.0'), memory: '1024' });
  const payments = state.defineTaskDefinition({ family: 'payments', image: image('payments', '3.2.0'), port: 8443, memory: '512' });
  const reports = state.defineTaskDefinition({ family: 'reports', image: image('reports', '0.6.0') });
  const search = state.defineTaskDefinition({ family: 'search', image: image('search', '1.2.0'), port: 9200, healthCheck: true, memory: '1024', cpu: '512' });

  const created = (days: number): number => now - days * DAY;
  // A failed rollout of these returns to the last completed deployment by itself.
  const breaker = { enable: true, rollback: true };
  const services = [
    state.createService('demo', { name: 'web', taskDefinition: web, circuitBreaker: breaker, desiredCount: 2, logStyle: 'web', createdAt: t0 }),
    state.createService('demo', { name: 'api', taskDefinition: api, circuitBreaker: breaker, desiredCount: 3, logStyle: 'api', createdAt: t0 }),
    state.createService('demo', { name: 'worker', taskDefinition: worker, circuitBreaker: breaker, desiredCount: 1, logStyle: 'worker', createdAt: t0 }),
    state.createService('demo', {
      name: 'payments',
      taskDefinition: payments,
      desiredCount: 1,
      logStyle: 'payments',
      failure: { kind: 'crash', runMs: 40_000, exitCode: 1, oomEvery: 3, oomRunMs: 150_000 },
      running: false,
      createdAt: t0,
    }),
    // reports runs tag 0.6.0, which was never pushed to ECR, so its pulls fail; `/ecs deploy reports 0.5.0` repairs it.
    state.createService('demo', { name: 'reports', taskDefinition: reports, desiredCount: 1, logStyle: 'worker', createdAt: t0 }),
    state.createService('demo', { name: 'search', taskDefinition: search, desiredCount: 2, logStyle: 'api', failure: { kind: 'health-check', runMs: 90_000 }, running: false, createdAt: t0 }),
  ];
  const ages = [64, 64, 30, 3, 1, 2];
  services.forEach((s, i) => (s.createdAt = created(ages[i] ?? 1)));

  for (let t = t0; t <= now; t += 1_000) tick(state, t);
}
