/**
 * The crash watcher against the sandbox on a stepped clock, through the real SDK clients and
 * SQLite with the real migrations: what a channel sees for each kind of stop, crash loops,
 * recoveries, failed deployments, services below their desired count, and mutes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { requestStop } from '../../src/sandbox/lifecycle.ts';
import { createAlerts } from '../../src/watcher/index.ts';
import { CrashWatcher } from '../../src/watcher/watcher.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { crashedTaskIds, startRig, taskIdOf, type WatchRig } from './watcher-harness.ts';

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const SEC = 1_000;
const MIN = 60_000;

function texts(r: WatchRig): string[] {
  return r.chat.received.map((m) => m.text);
}

describe('crash watcher', () => {
  it('alerts a crash within one poll, with the evidence and the buttons', async () => {
    rig = await startRig();
    const { state } = rig.sandbox;
    const td = state.defineTaskDefinition({ family: 'api', port: 8080 });
    state.createService('prod', { name: 'api', taskDefinition: td, desiredCount: 1, logStyle: 'payments', failure: { kind: 'crash', runMs: 50 * SEC, exitCode: 3 } });
    await rig.step(30 * SEC);
    expect(rig.chat.received).toHaveLength(0);
    const report = await rig.step(30 * SEC);
    expect(report.crashes).toBe(1);
    expect(rig.chat.received).toHaveLength(1);
    const m = rig.chat.received[0]!;
    const crashed = crashedTaskIds(rig.sandbox, 'prod', 'api');
    expect(crashed).toHaveLength(1);
    expect(m.channelId).toBe('C1');
    expect(m.text).toContain('api crashed — exit 3 (prod)');
    expect(m.text).toContain(`Task: ${crashed[0]}`);
    expect(m.text).toContain('Task definition: api:1');
    expect(m.text).toContain('Image tag: latest');
    expect(m.text).toContain('Stop code: EssentialContainerExited');
    expect(m.text).toContain('Essential container in task exited');
    expect(m.text).toMatch(/api \| 3 \|/);
    expect(m.text).toMatch(/ran \d+s\)/);
    expect(m.text).toContain('FATAL could not connect to database');
    expect(m.text).toMatch(/Last (1\d|20) log lines of api:/);
    const buttons = m.reply.blocks.find((b) => b.kind === 'actions');
    expect(buttons?.kind === 'actions' && buttons.buttons.map((b) => b.action)).toEqual([
      `run:/ecs logs api --cluster prod --task ${crashed[0]} --since 1h`,
      'run:/ecs status api --cluster prod',
      'run:/ecs mute api 1h --cluster prod',
    ]);
    // Nothing changed: the next poll describes nothing and posts nothing.
    const quiet = await rig.step(5 * SEC);
    expect(quiet.described).toBe(0);
    expect(rig.chat.received).toHaveLength(1);
  });

  it('applies every crash rule and leaves scale-in and users\' stops alone', async () => {
    rig = await startRig({ watch: { crashLoop: { crashes: 50 } } });
    const { state } = rig.sandbox;
    const svc = (name: string, failure: Parameters<typeof state.createService>[1]['failure'], healthCheck = false, desiredCount = 1) =>
      state.createService('prod', { name, taskDefinition: state.defineTaskDefinition({ family: name, port: 8080, healthCheck }), desiredCount, logStyle: 'payments', ...(failure ? { failure } : {}) });
    svc('crashy', { kind: 'crash', runMs: 40 * SEC, exitCode: 1 });
    svc('hungry', { kind: 'oom', runMs: 40 * SEC });
    svc('unpullable', { kind: 'image-pull' });
    svc('sick', { kind: 'health-check', runMs: 40 * SEC }, true);
    svc('steady', undefined, false, 3);
    await rig.step(10 * SEC);
    // A user's stop and a scale-in of the healthy service.
    const steadyTasks = [...state.clusters.get('prod')!.tasks.values()].filter((t) => t.serviceName === 'steady');
    await rig.aws.containers.stopTask({ cluster: 'prod', region: 'us-east-1' }, steadyTasks[0]!.arn, 'debugging');
    await rig.aws.containers.updateService({ cluster: 'prod', region: 'us-east-1' }, 'steady', { desiredCount: 1 });
    // ECS reclaims a Spot task of another service (the sandbox has no API for it, so the test plays ECS).
    svc('spotty', undefined, false, 1);
    const spotTask = [...state.clusters.get('prod')!.tasks.values()].find((t) => t.serviceName === 'spotty')!;
    requestStop(spotTask, rig.sandbox.clock.now(), 'SpotInterruption', 'Your Spot Task was interrupted.');
    await rig.step(40 * SEC);
    await rig.step(20 * SEC);
    const all = texts(rig).join('\n---\n');
    const first = (svcName: string) => texts(rig!).find((t) => t.startsWith(`💥 ${svcName}`) || t.includes(` ${svcName} `));
    expect(first('crashy')).toContain('crashy crashed — exit 1');
    expect(first('hungry')).toContain('hungry was killed for memory (OOM) — exit 137');
    expect(first('hungry')).toContain('OutOfMemoryError: Container killed due to memory usage');
    expect(first('hungry')).toContain('JavaScript heap out of memory');
    expect(first('unpullable')).toContain('unpullable failed to start');
    expect(first('unpullable')).toContain('CannotPullContainerError');
    expect(first('unpullable')).toContain('Stop code: TaskFailedToStart');
    expect(first('sick')).toContain('sick failed its health checks');
    expect(first('sick')).toContain('Task failed container health checks');
    expect(first('spotty')).toContain('spotty was interrupted (Spot)');
    expect(first('spotty')).toContain('Your Spot Task was interrupted.');
    expect(all).not.toContain('steady');
    // The user's stop and the scale-in were decided (handled) and not posted.
    const stoppedSteady = steadyTasks.filter((t) => t.desiredStatus === 'STOPPED').length;
    expect(stoppedSteady).toBe(3 - 1);
  });

  it('turns a crash loop into exactly one incident, updates it in its thread, and notes one recovery', async () => {
    rig = await startRig();
    const { state } = rig.sandbox;
    const td = state.defineTaskDefinition({ family: 'payments', port: 8443 });
    state.createService('prod', { name: 'payments', taskDefinition: td, desiredCount: 1, logStyle: 'payments', failure: { kind: 'crash', runMs: 40 * SEC, exitCode: 1, oomEvery: 3 } });
    for (let i = 0; i < 20; i++) await rig.step(30 * SEC);
    const opened = rig.chat.received.filter((m) => m.text.startsWith('🔥 Crash loop: payments'));
    expect(opened).toHaveLength(1);
    expect(opened[0]!.text).toContain('crashed 3 times in');
    expect(opened[0]!.reply.thread).toEqual({ key: expect.stringMatching(/^inc:prod:payments:/), parent: true });
    // Two stand-alone alerts came before the incident; every later crash is a reply in its thread.
    const before = rig.chat.received.slice(0, rig.chat.received.indexOf(opened[0]!));
    expect(before).toHaveLength(2);
    const updates = rig.chat.received.slice(rig.chat.received.indexOf(opened[0]!) + 1);
    expect(updates.length).toBeGreaterThan(3);
    for (const u of updates) {
      expect(u.opts.threadOf).toBe(opened[0]!.ref);
      expect(u.text).toMatch(/^Crash #\d+ of payments after \d+s: exit (1|137)/);
    }
    expect(updates.some((u) => u.text.includes('exit 137 — OutOfMemoryError'))).toBe(true);
    // Every crash is in the channel exactly once.
    const alerted = rig.chat.received.map((m) => taskIdOf(m.text));
    const crashed = crashedTaskIds(rig.sandbox, 'prod', 'payments');
    expect(new Set(alerted).size).toBe(alerted.length);
    expect([...alerted].sort()).toEqual([...crashed].sort());

    // The fix ships: new tasks stay up; five quiet minutes later the incident recovers, once.
    state.setFailureMode('prod', 'payments', { kind: 'healthy' });
    for (let i = 0; i < 24; i++) await rig.step(30 * SEC);
    const recovered = rig.chat.received.filter((m) => m.text.includes('recovered'));
    expect(recovered).toHaveLength(1);
    const n = (await rig.store.crashesSince('prod', 'payments', 0)).length;
    expect(recovered[0]!.text).toMatch(new RegExp(`^✅ payments recovered: ${n} crashes in \\d+ min, last (exit 1|exit 137 OutOfMemoryError)$`));
    expect(recovered[0]!.opts.threadOf).toBe(opened[0]!.ref);
    expect(await rig.store.openIncidents()).toHaveLength(0);
  });

  it('reports a failed deployment once and a service stuck below its desired count', async () => {
    rig = await startRig({ watch: { crashLoop: { crashes: 50 }, underDesiredFor: '3m' } });
    const { state } = rig.sandbox;
    const td = state.defineTaskDefinition({ family: 'reports' });
    state.createService('prod', { name: 'reports', taskDefinition: td, desiredCount: 2, failure: { kind: 'image-pull' }, circuitBreaker: { enable: true, rollback: false } });
    for (let i = 0; i < 16; i++) await rig.step(30 * SEC);
    const all = texts(rig);
    expect(all.filter((t) => t.startsWith('❌ Deployment of reports failed'))).toHaveLength(1);
    expect(all.find((t) => t.startsWith('❌'))).toContain('circuit breaker');
    const under = all.filter((t) => t.startsWith('📉 reports has run 0 of 2 tasks for'));
    expect(under).toHaveLength(1);
    // Back at desired: a note in the same thread.
    state.setFailureMode('prod', 'reports', { kind: 'healthy' });
    for (let i = 0; i < 4; i++) await rig.step(30 * SEC);
    const back = rig.chat.received.filter((m) => m.text.startsWith('✅ reports is back at 2 running tasks'));
    expect(back).toHaveLength(1);
    expect(back[0]!.opts.threadOf).toBe(rig.chat.received.find((m) => m.text.startsWith('📉'))!.ref);
  });

  it('records muted crashes without posting them, and posts again after unmute', async () => {
    rig = await startRig({ watch: { crashLoop: { crashes: 50 } } });
    const { state } = rig.sandbox;
    const td = state.defineTaskDefinition({ family: 'api' });
    state.createService('prod', { name: 'api', taskDefinition: td, desiredCount: 1, failure: { kind: 'crash', runMs: 20 * SEC } });
    const now = rig.sandbox.clock.now();
    await rig.store.mute({ cluster: 'prod', service: 'api', until: now + 60 * MIN, by: 'console:alice', at: now });
    for (let i = 0; i < 6; i++) await rig.step(30 * SEC);
    expect(rig.chat.received).toHaveLength(0);
    expect((await rig.store.crashesSince('prod', 'api', 0)).length).toBeGreaterThanOrEqual(3);
    await rig.store.unmute('prod', 'api');
    for (let i = 0; i < 2; i++) await rig.step(30 * SEC);
    expect(rig.chat.received.length).toBeGreaterThan(0);
    expect(rig.chat.received[0]!.text).toContain('api crashed');
  });

  it('stop() waits for the poll in flight, so shutting the sandbox down next cuts no call off', async () => {
    rig = await startRig();
    const { state } = rig.sandbox;
    state.createService('prod', { name: 'api', taskDefinition: state.defineTaskDefinition({ family: 'api' }), desiredCount: 1, logStyle: 'payments', failure: { kind: 'crash', runMs: 20 * SEC } });
    rig.sandbox.advance(30 * SEC);
    // A slow ECS: the first call of the poll answers only after stop() was asked for.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const containers = Object.create(rig.aws.containers) as typeof rig.aws.containers;
    containers.listServices = async (t) => {
      await gate;
      return rig!.aws.containers.listServices(t);
    };
    const watcher = new CrashWatcher({ containers, logs: rig.aws.logs, store: rig.store, outbox: rig.outbox, clock: rig.sandbox.clock, log: rig.log, settings: rig.settings, clusters: [{ cluster: 'prod', region: 'us-east-1' }] });
    watcher.start();
    let stopped = false;
    const stopping = watcher.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    // The poll ran to its end before stop() returned: the crash is in the outbox, nothing failed.
    expect((await rig.outbox.stats()).pending).toBeGreaterThan(0);
    expect(rig.log.warnings).toEqual([]);
  });

  it('keeps a mute for its real duration when the sandbox runs faster than real time', async () => {
    rig = await startRig({ watch: { crashLoop: { crashes: 50 } } });
    const { state } = rig.sandbox;
    state.createService('prod', { name: 'api', taskDefinition: state.defineTaskDefinition({ family: 'api' }), desiredCount: 1, failure: { kind: 'crash', runMs: 20 * SEC } });
    // The bot's own clock, in which /ecs mute stamps the deadline; the sandbox races ahead of it.
    const wall = new FakeClock(rig.sandbox.clock.now());
    const alerts = createAlerts({ containers: rig.aws.containers, logs: rig.aws.logs, store: rig.store, outbox: rig.outbox, clock: rig.sandbox.clock, deliveryClock: wall, log: rig.log, settings: rig.settings, clusters: [{ cluster: 'prod', region: 'us-east-1' }], targets: [rig.chat] });
    await rig.store.mute({ cluster: 'prod', service: 'api', until: wall.now() + 60 * MIN, by: 'console:alice', at: wall.now() });
    // Two sandbox hours go by in what is three real minutes at 40x.
    for (let i = 0; i < 8; i++) {
      rig.sandbox.advance(15 * MIN);
      await wall.advance(22_500);
      await alerts.watcher.poll({ cluster: 'prod', region: 'us-east-1' });
    }
    expect((await rig.store.crashesSince('prod', 'api', 0)).length).toBeGreaterThan(3);
    expect((await rig.outbox.stats()).pending).toBe(0);
    await alerts.stop();
  });
});
