/**
 * AWS throttling 30% of calls (every ECS and Logs operation, SDK retries off so the watcher sees
 * each one): no crash is missed, none is alerted twice, and each failed call is a logged warning
 * after which the poll goes on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AwsError } from '../../src/sandbox/protocol.ts';
import { crashedTaskIds, startRig, taskIdOf, type WatchRig } from './watcher-harness.ts';

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const SEC = 1_000;

describe('crash watcher under AWS throttling', () => {
  it('misses no crash and repeats none when 30% of calls are throttled', async () => {
    rig = await startRig({ maxAttempts: 1, watch: { rateLimit: { messages: 100 } } });
    const { state } = rig.sandbox;
    for (const [name, failure] of [
      ['payments', { kind: 'crash', runMs: 30 * SEC, oomEvery: 3 }],
      ['reports', { kind: 'image-pull' }],
      ['api', { kind: 'oom', runMs: 45 * SEC }],
    ] as const) {
      state.createService('prod', { name, taskDefinition: state.defineTaskDefinition({ family: name }), desiredCount: 2, logStyle: 'payments', failure });
    }
    state.createService('prod', { name: 'web', taskDefinition: state.defineTaskDefinition({ family: 'web' }), desiredCount: 3 });
    // A seeded 30% at random: the sandbox's own injector fails every n-th call, which would
    // line up with the fixed number of calls a quiet poll makes and always hit the same one.
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const faults = rig.sandbox.faults;
    const original = faults.decide.bind(faults);
    let calls = 0;
    let throttled = 0;
    faults.decide = (service, operation) => {
      calls++;
      if (random() >= 0.3) return original(service, operation);
      throttled++;
      return { latencyMs: 0, error: new AwsError('ThrottlingException', 'Rate exceeded') };
    };
    let pollsWithWarningsThatWentOn = 0;
    for (let i = 0; i < 12; i++) {
      const r = await rig.step(40 * SEC);
      if (r.warnings.length > 0 && (r.crashes > 0 || r.services !== null)) pollsWithWarningsThatWentOn++;
    }
    faults.decide = original;
    expect(throttled / calls).toBeGreaterThan(0.2);
    expect(throttled / calls).toBeLessThan(0.4);
    for (const name of ['payments', 'reports', 'api']) state.setFailureMode('prod', name, { kind: 'healthy' });
    for (let i = 0; i < 6; i++) await rig.step(20 * SEC);

    expect(rig.log.warnings.some((w) => /throttl/i.test(w))).toBe(true);
    expect(pollsWithWarningsThatWentOn).toBeGreaterThan(0);
    const alerted = rig.chat.received.map((m) => taskIdOf(m.text)).filter((x): x is string => x !== undefined);
    expect(alerted.filter((id, i) => alerted.indexOf(id) !== i)).toEqual([]);
    for (const svc of ['payments', 'reports', 'api']) {
      const crashed = crashedTaskIds(rig.sandbox, 'prod', svc);
      expect(crashed.length).toBeGreaterThan(2);
      for (const id of crashed) expect(alerted).toContain(id);
    }
    expect(alerted).toHaveLength(['payments', 'reports', 'api'].reduce((n, s) => n + crashedTaskIds(rig!.sandbox, 'prod', s).length, 0));
  }, 60_000);
});
