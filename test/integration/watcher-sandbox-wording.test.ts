/** An alert whose log lines could not be read names the sandbox, not AWS, when the sandbox answered. */
import { afterEach, describe, expect, it } from 'vitest';
import { startRig, type WatchRig } from './watcher-harness.ts';

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function crashWithLogsDenied(sandbox: boolean): Promise<string> {
  rig = await startRig({ sandbox });
  const { state } = rig.sandbox;
  const td = state.defineTaskDefinition({ family: 'api', port: 8080 });
  state.createService('prod', { name: 'api', taskDefinition: td, desiredCount: 1, logStyle: 'payments', failure: { kind: 'crash', runMs: 50_000, exitCode: 3 } });
  rig.sandbox.faults.set('logs:GetLogEvents', { accessDenied: true });
  await rig.step(30_000);
  await rig.step(30_000);
  expect(rig.chat.received).toHaveLength(1);
  return rig.chat.received[0]!.text;
}

describe('alert evidence notes', () => {
  it('say "the sandbox" when the sandbox denied the log read', async () => {
    const text = await crashWithLogsDenied(true);
    expect(text).toMatch(/Log lines could not be read \(the sandbox denied logs:GetLogEvents/);
  });
  it('say "AWS" on real AWS', async () => {
    const text = await crashWithLogsDenied(false);
    expect(text).toMatch(/Log lines could not be read \(AWS denied logs:GetLogEvents/);
  });
});
