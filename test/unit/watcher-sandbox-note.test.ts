import { describe, expect, it } from 'vitest';
import { reply, replyToPlainText, type Reply } from '../../src/core/reply.ts';
import type { DeliveryTarget } from '../../src/ports/outbox.ts';
import { withSandboxNote } from '../../src/watcher/targets.ts';

function recorder(): { target: DeliveryTarget; sent: Reply[] } {
  const sent: Reply[] = [];
  return { sent, target: { platform: 'console', deliver: async (_c, r) => (sent.push(r), { messageRef: String(sent.length) }) } };
}

describe('alerts from the sandbox say so', () => {
  it('adds the note above the buttons of a top-level alert, once', async () => {
    const { target, sent } = recorder();
    const t = withSandboxNote(target);
    const alert = reply([{ kind: 'heading', text: 'payments crashed' }, { kind: 'actions', buttons: [{ label: 'Logs', action: 'run:/ecs logs payments' }] }], { thread: { key: 'i1', parent: true } });
    await t.deliver('terminal', alert, { idempotencyKey: 'a' });
    await t.deliver('terminal', sent[0]!, { idempotencyKey: 'b' });
    expect(sent[0]!.blocks.map((b) => b.kind)).toEqual(['heading', 'context', 'actions']);
    expect(replyToPlainText(sent[0]!)).toContain('sandbox data (not real AWS)');
    expect(replyToPlainText(sent[1]!).match(/sandbox data/g)).toHaveLength(1);
  });
  it('leaves one-line thread replies alone', async () => {
    const { target, sent } = recorder();
    await withSandboxNote(target).deliver('terminal', reply([{ kind: 'text', text: 'Crash #4' }], { thread: { key: 'i1' } }), { idempotencyKey: 'c' });
    expect(replyToPlainText(sent[0]!)).toBe('Crash #4');
  });
});
