/**
 * The alert of an out-of-memory kill carries the memory before it: the service's MemoryUtilization
 * over the last 30 minutes as CloudWatch has it at alert time (from the sandbox, through the real
 * SDK), and says so when the task's own (Container Insights) or the metrics themselves are missing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRig, type WatchRig } from './watcher-harness.ts';

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function leakyService(r: WatchRig): Promise<void> {
  const s = r.sandbox.state;
  const td = s.defineTaskDefinition({ family: 'leaky', memory: '512' });
  s.createService('prod', { name: 'leaky', taskDefinition: td, desiredCount: 1, logStyle: 'payments', failure: { kind: 'crash', runMs: 40_000, oomEvery: 2, oomRunMs: 150_000 } });
  await r.step(1_000);
}

describe('OOM alerts carry the memory trend', () => {
  it('shows the service memory of the last 30 minutes, climbing to about 100%, and says the task’s own is not recorded', async () => {
    rig = await startRig({ sandbox: true });
    await leakyService(rig);
    for (let i = 0; i < 20; i++) await rig.step(60_000);
    const oom = rig.chat.received.map((m) => m.text).filter((t) => /OutOfMemory|OOM/.test(t) && t.includes('Service memory'));
    expect(oom.length).toBeGreaterThan(0);
    const last = oom[oom.length - 1]!;
    const line = /Service memory, last 30 min: ([▁▂▃▄▅▆▇█ ]+) max (\d+)%/.exec(last);
    expect(line, last).not.toBeNull();
    expect(Number(line![2])).toBeGreaterThanOrEqual(90);
    expect(last).toContain("This task's own memory is not recorded (Container Insights with enhanced observability is off).");
    // Crashes that are not OOM kills carry no memory line.
    const exits = rig.chat.received.map((m) => m.text).filter((t) => /exit 1\b/.test(t) && !/OutOfMemory/.test(t));
    for (const t of exits) expect(t).not.toContain('Service memory');
  }, 60_000);

  it('names the missing permission when GetMetricData is denied, and still alerts', async () => {
    rig = await startRig({ sandbox: true, maxAttempts: 1 });
    rig.sandbox.faults.set('cloudwatch:GetMetricData', { accessDenied: true });
    await leakyService(rig);
    for (let i = 0; i < 8; i++) await rig.step(60_000);
    const oom = rig.chat.received.map((m) => m.text).find((t) => t.includes('Memory before the kill unavailable'));
    expect(oom).toMatch(/Memory before the kill unavailable: the sandbox denied cloudwatch:GetMetricData .*permission/);
  }, 60_000);

  it("asks Container Insights for the crashed task by its id and its task definition's family, not the service name", async () => {
    rig = await startRig({ sandbox: true });
    const asked: Array<{ taskId?: string; taskFamily?: string; service: string }> = [];
    const real = rig.aws.metrics.serviceUtilization.bind(rig.aws.metrics);
    rig.aws.metrics.serviceUtilization = async (q) => {
      asked.push({ service: q.service, ...(q.taskId ? { taskId: q.taskId } : {}), ...(q.taskFamily ? { taskFamily: q.taskFamily } : {}) });
      return real(q);
    };
    const s = rig.sandbox.state;
    const td = s.defineTaskDefinition({ family: 'leaky-app', memory: '512' });
    s.createService('prod', { name: 'leaky', taskDefinition: td, desiredCount: 1, logStyle: 'payments', failure: { kind: 'oom', runMs: 60_000 } });
    for (let i = 0; i < 4; i++) await rig.step(60_000);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked[0]).toMatchObject({ service: 'leaky', taskFamily: 'leaky-app' });
    expect(asked[0]?.taskId).toMatch(/^[0-9a-f]{32}$/);
  }, 60_000);
});
