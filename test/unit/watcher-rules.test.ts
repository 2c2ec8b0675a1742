import { describe, expect, it } from 'vitest';
import type { ContainerInfo, TaskInfo } from '../../src/ports/container-service.ts';
import { classifyStop, crashesInWindow, hasRecovered, imageTag, isSettled, opensCrashLoop, rolloutBlocker, shouldAlert } from '../../src/watcher/rules.ts';
import { cronFor } from '../../src/watcher/watcher.ts';
import { destinationsFor, routesSchema, watchSchema, watcherSettings } from '../../src/watcher/config.ts';

function task(over: Partial<TaskInfo> & { containers?: ContainerInfo[] }): TaskInfo {
  return {
    arn: 'arn:aws:ecs:us-east-1:123456789012:task/demo/abc',
    id: 'abc',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/demo',
    taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:4',
    group: 'service:web',
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    startedAt: 1_000,
    stoppedAt: 61_000,
    containers: [{ name: 'web', image: 'x/web:1.4.0' }],
    ...over,
  };
}

const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';
const PULL = 'CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref x/reports:0.6.0: not found';

describe('crash rules', () => {
  const table: Array<[string, TaskInfo, string, boolean, number | undefined]> = [
    ['essential container exited non-zero', task({ stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', containers: [{ name: 'web', exitCode: 1 }] }), 'crash', true, 1],
    ['out of memory by exit 137', task({ stopCode: 'EssentialContainerExited', containers: [{ name: 'web', exitCode: 137 }] }), 'oom', true, 137],
    ['out of memory by reason', task({ stopCode: 'EssentialContainerExited', containers: [{ name: 'web', exitCode: 137, reason: OOM_REASON }] }), 'oom', true, 137],
    ['OOM reason without stop code', task({ containers: [{ name: 'web', reason: 'OutOfMemoryError: killed' }] }), 'oom', true, undefined],
    ['TaskFailedToStart', task({ stopCode: 'TaskFailedToStart', startedAt: undefined, stoppedReason: 'Task failed to start', containers: [{ name: 'r' }] }), 'failed-to-start', true, undefined],
    ['CannotPullContainerError', task({ stopCode: 'TaskFailedToStart', startedAt: undefined, stoppedReason: PULL, containers: [{ name: 'r', reason: PULL }] }), 'failed-to-start', true, undefined],
    ['ResourceInitializationError without stop code', task({ startedAt: undefined, stoppedReason: 'ResourceInitializationError: unable to pull secrets', containers: [{ name: 'r' }] }), 'failed-to-start', true, undefined],
    ['failed container health checks', task({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed container health checks', containers: [{ name: 'api', exitCode: 143, healthStatus: 'UNHEALTHY' }] }), 'health-check', true, 143],
    ['failed ELB health checks', task({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:...)', containers: [{ name: 'api', exitCode: 0 }] }), 'health-check', true, 0],
    ['scale-in is not a crash', task({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/123)', containers: [{ name: 'web', exitCode: 0 }] }), 'scale-in', false, undefined],
    ['deployment replacement is not a crash (even exit 137 after SIGTERM timeout)', task({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/9)', containers: [{ name: 'web', exitCode: 137 }] }), 'scale-in', false, undefined],
    ["a user's stop is not a crash", task({ stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user', containers: [{ name: 'web', exitCode: 143 }] }), 'user', false, undefined],
    ['Spot interruption', task({ stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.' }), 'spot', false, undefined],
    ['termination notice', task({ stopCode: 'TerminationNotice', stoppedReason: 'Task stopped due to a termination notice' }), 'spot', false, undefined],
    ['essential container exited 0', task({ stopCode: 'EssentialContainerExited', containers: [{ name: 'web', exitCode: 0 }] }), 'other', false, 0],
    ['non-essential sidecar exit does not make a crash', task({ stopCode: 'EssentialContainerExited', containers: [{ name: 'web', exitCode: 0 }, { name: 'sidecar', exitCode: 2 }] }), 'other', false, 0],
  ];

  it.each(table)('%s', (_name, t, kind, crash, exit) => {
    const v = classifyStop(t, new Set(['web', 'api', 'r']));
    expect(v.kind).toBe(kind);
    expect(v.crash).toBe(crash);
    expect(v.exitCode).toBe(exit);
  });

  it('says why in one line, with the exit code and the reason', () => {
    const v = classifyStop(task({ stopCode: 'EssentialContainerExited', containers: [{ name: 'web', exitCode: 137, reason: OOM_REASON }] }));
    expect(v.reason).toBe(`exit 137 — ${OOM_REASON}`);
    expect(v.container).toBe('web');
  });

  it('alerts crashes and Spot by default, not users or scale-in; config can change that', () => {
    const spot = classifyStop(task({ stopCode: 'SpotInterruption' }));
    const user = classifyStop(task({ stopCode: 'UserInitiated' }));
    const scale = classifyStop(task({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity' }));
    expect([shouldAlert(spot), shouldAlert(user), shouldAlert(scale)]).toEqual([true, false, false]);
    expect(shouldAlert(user, { spot: false, user: true, scaleIn: true })).toBe(true);
    expect(shouldAlert(spot, { spot: false, user: true, scaleIn: true })).toBe(false);
  });

  it('waits for exit codes before deciding about a task that is still stopping', () => {
    expect(isSettled(task({ lastStatus: 'DEACTIVATING', stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity' }))).toBe(false);
    expect(isSettled(task({ lastStatus: 'STOPPING', stopCode: 'EssentialContainerExited', containers: [{ name: 'web', exitCode: 1 }] }))).toBe(true);
    expect(isSettled(task({ lastStatus: 'DEPROVISIONING', stopCode: 'TaskFailedToStart' }))).toBe(true);
    expect(isSettled(task({ lastStatus: 'STOPPED' }))).toBe(true);
  });

  it('opens a crash loop at the third crash within ten minutes, not when they are spread out', () => {
    const min = 60_000;
    expect(opensCrashLoop([0, 4 * min], 9 * min, 3, 10 * min)).toBe(true);
    expect(opensCrashLoop([0, 4 * min], 11 * min, 3, 10 * min)).toBe(false);
    expect(opensCrashLoop([0], 1 * min, 3, 10 * min)).toBe(false);
    expect(crashesInWindow([0, 1, 2, 30 * min], 30 * min, 10 * min)).toBe(1);
  });

  it('recovers only when running = desired (or scaled to zero) and it has been quiet long enough', () => {
    const m = 60_000;
    expect(hasRecovered(2, 2, 0, 5 * m, 5 * m)).toBe(true);
    expect(hasRecovered(1, 2, 0, 10 * m, 5 * m)).toBe(false);
    expect(hasRecovered(2, 2, 0, 4 * m, 5 * m)).toBe(false);
    expect(hasRecovered(0, 0, 0, 10 * m, 5 * m)).toBe(true);
  });

  it('reads image tags', () => {
    expect(imageTag('123.dkr.ecr.us-east-1.amazonaws.com/web:1.4.0')).toBe('1.4.0');
    expect(imageTag('localhost:5000/web')).toBe('latest');
    expect(imageTag('web@sha256:abcdef0123456789abcdef')).toBe('sha256:abcdef012345');
  });
});

describe('watch settings and routes', () => {
  it('defaults to 30 s polls, never below 5 s, and alerts to the terminal without routes', () => {
    expect(watcherSettings(undefined, undefined).everyMs).toBe(30_000);
    expect(watcherSettings(undefined, undefined, '1s').everyMs).toBe(5_000);
    expect(watcherSettings({ every: '2m' }, undefined, '10s').everyMs).toBe(10_000);
    expect(destinationsFor(watcherSettings(undefined, undefined).routes, 'demo', 'web')).toEqual([{ platform: 'console', channelId: 'terminal' }]);
  });

  it('routes by cluster and service globs, each channel once, with mentions', () => {
    const routes = [
      { clusters: ['prod-*'], slack: 'C1', mention: { slack: 'S1' } },
      { services: ['pay*'], slack: ['C1', 'C2'], discord: '99' },
      { clusters: ['demo'], console: true },
    ];
    expect(destinationsFor(routes, 'prod-eu', 'payments')).toEqual([
      { platform: 'slack', channelId: 'C1', mention: 'S1' },
      { platform: 'slack', channelId: 'C2' },
      { platform: 'discord', channelId: '99' },
    ]);
    expect(destinationsFor(routes, 'demo', 'web')).toEqual([{ platform: 'console', channelId: 'terminal' }]);
  });

  it('validates the watch and routes config with messages that say what is allowed', () => {
    expect(watchSchema.safeParse({ every: '15s', crashLoop: { crashes: 3, within: '10m' }, recoverAfter: '5m', alertOn: { spotInterruption: false } }).success).toBe(true);
    const tooFast = watchSchema.safeParse({ every: '1s' });
    expect(tooFast.success).toBe(false);
    expect(tooFast.error?.issues[0]?.message).toBe('watch.every must be at least 5s');
    expect(watchSchema.safeParse({ evry: '30s' }).success).toBe(false);
    expect(routesSchema.safeParse([{ clusters: ['prod'], services: ['pay*'], slack: 'C0123', mention: { slack: 'S0456' } }]).success).toBe(true);
    const nowhere = routesSchema.safeParse([{ services: ['web'] }]);
    expect(nowhere.error?.issues[0]?.message).toBe('a route needs at least one of slack, discord or console');
  });

  it('turns intervals into cron patterns', () => {
    expect(cronFor(30_000)).toEqual({ pattern: '*/30 * * * * *', gateMs: 0 });
    expect(cronFor(5_000)).toEqual({ pattern: '*/5 * * * * *', gateMs: 0 });
    expect(cronFor(120_000)).toEqual({ pattern: '0 */2 * * * *', gateMs: 0 });
    expect(cronFor(45_000)).toEqual({ pattern: '* * * * * *', gateMs: 45_000 });
  });
});

describe('rollout blocker (follow-ups judge stopped tasks with the crash rules)', () => {
  const crash = (id: string, at: number, startedBy = 'ecs-svc/2'): TaskInfo =>
    task({ arn: `arn:t/${id}`, id, startedBy, stoppedAt: at, stopCode: 'EssentialContainerExited', containers: [{ name: 'web', exitCode: 1 }] });
  const pull = (id: string, at: number): TaskInfo =>
    task({ arn: `arn:t/${id}`, id, startedBy: 'ecs-svc/2', stoppedAt: at, startedAt: undefined, stopCode: 'TaskFailedToStart', stoppedReason: PULL, containers: [{ name: 'r', reason: PULL }] });
  const scaleIn = (id: string, at: number): TaskInfo =>
    task({ arn: `arn:t/${id}`, id, stoppedAt: at, stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/2)', containers: [{ name: 'web', exitCode: 0 }] });

  it('needs the crash-loop threshold of crashes since the change, newest named', () => {
    expect(rolloutBlocker([crash('a', 100), crash('b', 200)], { since: 50 })).toBeUndefined();
    expect(rolloutBlocker([crash('a', 100), crash('b', 300), crash('c', 200)], { since: 50 })).toEqual({ kind: 'crash', failures: 3, reason: 'exit 1', taskId: 'b' });
  });

  it('counts only failures after the change and of the followed deployment, never scale-in', () => {
    const stopped = [crash('old', 10), crash('a', 100), crash('b', 200, 'ecs-svc/1'), scaleIn('s', 250), crash('c', 300)];
    expect(rolloutBlocker(stopped, { since: 50, deploymentId: 'ecs-svc/2' })).toBeUndefined();
    expect(rolloutBlocker([...stopped, crash('d', 400)], { since: 50, deploymentId: 'ecs-svc/2' })?.failures).toBe(3);
  });

  it('gives up after two pulls of an image that is not in its registry, since retrying cannot help', () => {
    expect(rolloutBlocker([pull('a', 100)], { since: 50 })).toBeUndefined();
    expect(rolloutBlocker([pull('a', 100), pull('b', 200)], { since: 50 })).toMatchObject({ kind: 'failed-to-start', failures: 2, reason: PULL });
  });
});
