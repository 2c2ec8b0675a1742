/**
 * Reliability of commands under AWS faults injected in a standalone sandbox that a real dockhand process talks
 * to through AWS_ENDPOINT_URL: throttling, server errors and latency on every operation, and
 * AccessDenied on UpdateService or RegisterTaskDefinition. Commands succeed or fail with a clear
 * message and are never half done (the sandbox's state is checked against what dockhand said). The
 * watcher's side is in watcher-faults.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { expectNoLeaks, session } from './session.ts';

describe('AWS faults injected in the sandbox', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: 'demo', seed: 5, clock: new SandboxClock({ speed: 20 }) });
  }, 60_000);

  afterAll(async () => {
    await sandbox?.stop();
  });

  const service = (name: string) => sandbox.state.service(sandbox.state.cluster('demo'), name);
  const revisionsOf = (family: string) => (sandbox.state.taskDefinitions.get(family) ?? []).map((td) => `${td.revision}:${td.status}`);

  it('AccessDenied on UpdateService: a scale and a deploy each say what was refused, and leave the service as it was (the unused revision deregistered)', async () => {
    sandbox.faults.set('UpdateService', { accessDenied: true });
    const web = service('web');
    const desired = web.desiredCount;
    const reportsTd = service('reports').taskDefinitionArn;
    const before = revisionsOf('reports');
    const s = session(sandbox.endpoint);
    try {
      s.send('/ecs scale web 4');
      await s.until(/ecs:UpdateService/, 60_000, 'the refusal of the scale');
      s.send('/ecs deploy reports 0.5.0');
      await s.until(/\[\d+\] Confirm/, 60_000, 'the deploy confirmation');
      const n = /\[(\d+)\] Confirm/.exec(s.out.stdout)![1]!;
      s.send(n);
      await s.until(/deregistered/, 60_000, 'the deploy failure note');
    } finally {
      sandbox.faults.clear();
      await s.end();
    }
    const out = s.out.stdout;
    expectNoLeaks(out + s.out.stderr);
    expect(out).toMatch(/not allowed|AccessDenied|denied/i);
    expect(service('web').desiredCount).toBe(desired);
    expect(service('reports').taskDefinitionArn).toBe(reportsTd);
    // The revision registered for the deploy is deregistered again: nothing half done is left ACTIVE.
    const after = revisionsOf('reports');
    expect(after.length).toBe(before.length + 1);
    expect(after.at(-1)).toMatch(/:INACTIVE$/);
    expect(after.slice(0, -1)).toEqual(before);
  }, 150_000);

  it('AccessDenied on RegisterTaskDefinition: a deploy says what was refused and registers nothing', async () => {
    sandbox.faults.set('RegisterTaskDefinition', { accessDenied: true });
    const before = revisionsOf('reports');
    const reportsTd = service('reports').taskDefinitionArn;
    const s = session(sandbox.endpoint);
    try {
      s.send('/ecs deploy reports 0.5.0');
      await s.until(/\[\d+\] Confirm/, 60_000, 'the deploy confirmation');
      s.send(/\[(\d+)\] Confirm/.exec(s.out.stdout)![1]!);
      await s.until(/RegisterTaskDefinition/, 60_000, 'the refusal');
    } finally {
      sandbox.faults.clear();
      await s.end();
    }
    expectNoLeaks(s.out.stdout + s.out.stderr);
    expect(revisionsOf('reports')).toEqual(before);
    expect(service('reports').taskDefinitionArn).toBe(reportsTd);
  }, 150_000);

  it('30% throttling, 10% server errors and 2 s latency: commands end ok or with a clear message, and a scale that said it started did happen', async () => {
    sandbox.faults.set('*', { throttle: 0.3, serverError: 0.1, latencyMs: 2_000 });
    const desired = service('api').desiredCount;
    const s = session(sandbox.endpoint, { DOCKHAND_WATCH_EVERY: '1m' });
    try {
      for (const line of ['/ecs services', '/ecs logs web --since 5m --lines 5', `/ecs scale api ${desired + 1}`]) {
        s.send(line);
      }
      // The answer is the first line after the command that is not a crash alert of the watcher (those are
      // indented follow-ups, `  ↳ Crash #…`, and may land between the command and its answer). Each skipped line
      // has one way to match (first character, then the rest), so a long run of alerts cannot make it backtrack.
      await s.until(/> \/ecs scale api[^\n]*\n(?:[ \t↳][^\n]*\n|\n)*[^\s↳]/, 200_000, 'the answer to the scale');
      // The follow-up to steady polls DescribeServices for a while: it runs with throttling and errors, without the added latency.
      sandbox.faults.set('*', { throttle: 0.3, serverError: 0.1 });
      await s.until(/is steady|not steady|follow-up ended|could not follow/i, 200_000, 'the end of the scale');
    } finally {
      sandbox.faults.clear();
    }
    const code = await s.end();
    expectNoLeaks(s.out.stdout + s.out.stderr);
    const answers = s.out.stdout.split(/^> /m).slice(1);
    expect(answers.length).toBe(3);
    for (const a of answers) expect(a.split('\n').slice(1).join('\n').trim().length, a).toBeGreaterThan(0);
    const scale = answers[2]!;
    if (/Scaling api \d+ → \d+/.test(scale)) expect(service('api').desiredCount).toBe(desired + 1);
    else expect(service('api').desiredCount).toBe(desired);
    expect([0, 1]).toContain(code);
  }, 420_000);
});
