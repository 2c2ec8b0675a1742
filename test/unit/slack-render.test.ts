import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/core/reply.ts';
import { reply } from '../../src/core/reply.ts';
import { actionFromValue, renderReply, renderReplyParts, SLACK_LIMITS, splitText } from '../../src/adapters/slack/render.ts';
import { blockTextCount, WEB_API_BLOCK_TEXT_BUDGET } from '../../src/adapters/slack/block-text.ts';
import type { SlackMessage } from '../../src/adapters/slack/render.ts';
import { checkSlackMessage } from '../fakes/slack-limits.ts';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'slack');

/** Compares with the committed golden file; UPDATE_GOLDEN=1 rewrites it. */
function expectGolden(name: string, msg: SlackMessage): void {
  const file = join(goldenDir, `${name}.json`);
  const actual = `${JSON.stringify(msg, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(goldenDir, { recursive: true });
    writeFileSync(file, actual);
  }
  expect(existsSync(file), `golden file ${file} is missing; run with UPDATE_GOLDEN=1`).toBe(true);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

function accepted(msg: SlackMessage): void {
  expect(checkSlackMessage(msg)).toBeNull();
}

const scaleConfirm: Reply = reply(
  [
    { kind: 'heading', text: 'Scale web' },
    {
      kind: 'fields',
      fields: [
        { label: 'Cluster', value: 'prod' },
        { label: 'Desired', value: '2 → 5' },
      ],
    },
    { kind: 'text', text: 'Scale *web* in prod from 2 to 5 tasks?' },
    {
      kind: 'actions',
      buttons: [
        { label: 'Scale to 5', action: 'confirm:c-42', style: 'danger' },
        { label: 'Cancel', action: 'cancel:c-42' },
      ],
    },
    { kind: 'context', text: 'Asked by @ana · expires in 2 minutes' },
  ],
  { visibility: 'ephemeral', summary: 'Confirm: scale web to 5' },
);

describe('Slack Block Kit renderer', () => {
  it('renders a confirmation with a Slack confirm dialog on the changing button only', () => {
    const msg = renderReply(scaleConfirm);
    expectGolden('scale-confirm', msg);
    accepted(msg);
    const actions = msg.blocks.find((b) => b.type === 'actions');
    expect(actions?.type).toBe('actions');
    if (actions?.type !== 'actions') return;
    const [go, cancel] = actions.elements;
    expect(go?.type === 'button' && go.confirm?.text.text).toBe('Scale web in prod from 2 to 5 tasks?');
    expect(go?.type === 'button' && go.style).toBe('danger');
    expect(cancel?.type === 'button' && cancel.confirm).toBeUndefined();
    expect(msg.text).toBe('Confirm: scale web to 5');
  });

  it('gives back the exact action string of every button pressed', () => {
    const actions = ['run:/ecs scale web 5', 'confirm:c-42', 'run:/quiz answer q7 B --session "s 1"', 'cancel:x'];
    const msg = renderReply(reply([{ kind: 'actions', buttons: actions.map((a, i) => ({ label: `b${i}`, action: a })) }]));
    const els = msg.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
    expect(els.map((e) => (e.type === 'button' ? actionFromValue(e.action_id ?? '', e.value) : null))).toEqual(actions);
    expect(actionFromValue('someone-else', 'run:/ecs')).toBeNull();
  });

  it('renders a table as aligned monospace with right-aligned numbers', () => {
    const msg = renderReply(
      reply([
        { kind: 'heading', text: 'Services in prod' },
        {
          kind: 'table',
          columns: ['Service', 'Desired', 'Running', 'Status'],
          rows: [
            ['web', '5', '5', 'ACTIVE'],
            ['worker', '12', '9', 'ACTIVE'],
            ['cron', '0', '0', 'DRAINING'],
          ],
          align: ['left', 'right', 'right', 'left'],
        },
      ]),
    );
    expectGolden('service-table', msg);
    accepted(msg);
    const text = msg.blocks[1]?.type === 'section' ? msg.blocks[1].text?.text : '';
    expect(text).toContain('worker        12        9  ACTIVE');
  });

  it('splits a long table over sections, repeating the header in each', () => {
    const rows = Array.from({ length: 400 }, (_, i) => [`task-${String(i).padStart(4, '0')}`, 'RUNNING', `10.0.${i % 255}.${i % 7}`]);
    const msg = renderReply(reply([{ kind: 'table', columns: ['Task', 'Status', 'IP'], rows }]));
    accepted(msg);
    const sections = msg.blocks.filter((b) => b.type === 'section');
    expect(sections.length).toBeGreaterThan(1);
    for (const s of sections) {
      const t = s.type === 'section' ? (s.text?.text ?? '') : '';
      expect(t.startsWith('```\nTask')).toBe(true);
      expect(t.endsWith('\n```')).toBe(true);
    }
    const shown = sections.map((s) => (s.type === 'section' ? s.text?.text ?? '' : '')).join('\n');
    expect(shown).toContain('task-0000');
    expect(shown).toContain('task-0399');
  });

  it('puts at most 10 fields in a section', () => {
    const fields = Array.from({ length: 23 }, (_, i) => ({ label: `k${i}`, value: `v${i}` }));
    const msg = renderReply(reply([{ kind: 'fields', fields }]));
    expectGolden('many-fields', msg);
    accepted(msg);
    expect(msg.blocks.map((b) => (b.type === 'section' ? b.fields?.length : 0))).toEqual([10, 10, 3]);
  });

  it('cuts output beyond 50 blocks with a visible note and keeps the buttons', () => {
    const blocks: Reply['blocks'] = Array.from({ length: 80 }, (_, i) => ({ kind: 'text' as const, text: `line ${i}` }));
    blocks.push({ kind: 'actions', buttons: [{ label: 'More', action: 'run:/ecs logs web --page 2' }] });
    const msg = renderReply(reply(blocks));
    expectGolden('overflow-blocks', msg);
    accepted(msg);
    expect(msg.blocks).toHaveLength(50);
    const note = msg.blocks[48];
    expect(note?.type === 'context' && note.elements[0] && 'text' in note.elements[0] ? note.elements[0].text : '').toMatch(
      /Output cut to fit Slack: 32 more parts/,
    );
    expect(msg.blocks[49]?.type).toBe('actions');
  });

  it('keeps the whole message under Slack’s total size, cutting with a note', () => {
    const big = 'x'.repeat(2900);
    const msg = renderReply(reply(Array.from({ length: 30 }, () => ({ kind: 'text' as const, text: big }))));
    accepted(msg);
    const total = msg.blocks.reduce((n, b) => n + JSON.stringify(b).length, 0);
    expect(total).toBeLessThan(42000);
    expect(JSON.stringify(msg.blocks.at(-1))).toContain('Output cut to fit Slack');
  });

  it('continues a reply too long for one Web API message in parts, each within 50 blocks and the budget, buttons on the first', () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({ kind: 'text' as const, text: `row ${i}` }));
    const parts = renderReplyParts(reply([...rows, { kind: 'actions', buttons: [{ label: 'Refresh', action: 'run:/ecs services' }] }]), { budget: WEB_API_BLOCK_TEXT_BUDGET, continuation: 'thread' });
    expect(parts.length).toBe(3);
    for (const p of parts) {
      accepted(p);
      expect(blockTextCount(p.blocks)).toBeLessThanOrEqual(WEB_API_BLOCK_TEXT_BUDGET);
    }
    const all = parts.map((p) => JSON.stringify(p.blocks)).join('');
    for (let i = 0; i < 120; i++) expect(all).toContain(`"row ${i}"`);
    expect(parts[0]?.blocks.at(-1)?.type).toBe('actions');
    expect(JSON.stringify(parts[0]?.blocks)).toContain('Continued in 2 thread replies under this message.');
    expect(parts[2]?.text).toBe(`continued (3/3): ${parts[0]?.text}`);
    expect(parts.slice(1).some((p) => p.blocks.some((b) => b.type === 'actions'))).toBe(false);
  });

  it('cuts a block no Web API message could hold and still continues with what follows it', () => {
    const fields = Array.from({ length: 10 }, (_, i) => ({ label: `f${i}`, value: 'v'.repeat(1_990) }));
    const parts = renderReplyParts(reply([{ kind: 'text', text: 'before' }, { kind: 'fields', fields }, { kind: 'text', text: 'after' }]), { budget: WEB_API_BLOCK_TEXT_BUDGET, continuation: 'below' });
    for (const p of parts) expect(blockTextCount(p.blocks)).toBeLessThanOrEqual(WEB_API_BLOCK_TEXT_BUDGET);
    const all = JSON.stringify(parts);
    expect(all).toContain('before');
    expect(all).toContain('after');
    expect(all).toMatch(/Output cut to fit Slack: 1 more part \(\d+ characters\) not shown/);
  });

  it('renders a reply that fits one Web API message exactly as the one-message renderer does', () => {
    expect(renderReplyParts(scaleConfirm, { budget: WEB_API_BLOCK_TEXT_BUDGET, continuation: 'below' })).toEqual([renderReply(scaleConfirm, { budget: WEB_API_BLOCK_TEXT_BUDGET })]);
  });

  it('splits text over 3,000 characters into several sections at line breaks', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `2026-11-27T10:00:${String(i % 60).padStart(2, '0')}Z web-1 GET /health 200 ${i}`);
    const msg = renderReply(reply([{ kind: 'code', text: lines.join('\n') }]));
    accepted(msg);
    expect(msg.blocks.length).toBeGreaterThan(1);
    const all = msg.blocks.map((b) => (b.type === 'section' ? b.text?.text ?? '' : '')).join('\n');
    for (const l of [lines[0], lines[100], lines[199]]) expect(all).toContain(l);
    expect(splitText('a\nb', 3000)).toEqual(['a\nb']);
  });

  it('cuts button text to 75 characters and escapes mentions in user text', () => {
    const msg = renderReply(
      reply([
        { kind: 'text', text: 'Image <!channel> & tag <@U123>' },
        { kind: 'actions', buttons: [{ label: 'L'.repeat(120), action: 'run:/ecs images' }] },
        { kind: 'code', text: 'a ``` b' },
      ]),
    );
    expectGolden('escaping-and-cuts', msg);
    accepted(msg);
    const btn = msg.blocks[1]?.type === 'actions' ? msg.blocks[1].elements[0] : undefined;
    expect(btn?.type === 'button' ? btn.text.text.length : 0).toBe(SLACK_LIMITS.buttonText);
    expect(msg.blocks[0]?.type === 'section' ? msg.blocks[0].text?.text : '').toBe('Image &lt;!channel&gt; &amp; tag &lt;@U123&gt;');
  });

  it('drops a button whose action cannot fit, and says so', () => {
    const msg = renderReply(reply([{ kind: 'actions', buttons: [{ label: 'Huge', action: `run:${'y'.repeat(2100)}` }, { label: 'Ok', action: 'run:/help' }] }]));
    accepted(msg);
    expect(JSON.stringify(msg)).toContain('Buttons left out because their action is too long for Slack: Huge');
    expect(msg.blocks.at(-1)?.type).toBe('actions');
  });

  it('renders an empty reply as something Slack accepts', () => {
    const msg = renderReply(reply([], { summary: 'Done' }));
    accepted(msg);
    expect(msg.text).toBe('Done');
  });

  it('leaves out blocks with no text instead of sending ones Slack refuses', () => {
    const msg = renderReply(
      reply([
        { kind: 'heading', text: '' },
        { kind: 'text', text: '   ' },
        { kind: 'context', text: '' },
        { kind: 'text', text: 'Still here' },
        { kind: 'actions', buttons: [{ label: ' ', action: 'run:/help' }] },
      ]),
    );
    accepted(msg);
    expect(msg.blocks.map((b) => b.type)).toEqual(['section', 'actions']);
    expect(JSON.stringify(msg.blocks[1])).toContain('run:/help');
  });

  it('keeps a table with a very wide column inside the section limit', () => {
    // A long container reason widens its column, and with it the header and rule lines.
    const msg = renderReply(reply([{ kind: 'table', columns: ['Container', 'Exit', 'Reason'], rows: [['web', '1', `CannotStartContainerError: ${'x'.repeat(3_500)}`]] }]));
    accepted(msg);
    expect(JSON.stringify(msg.blocks)).toContain('Container  Exit  Reason');
    expect(JSON.stringify(msg.blocks)).toContain('web        1     CannotStartContainerError: xxx');
  });
});
