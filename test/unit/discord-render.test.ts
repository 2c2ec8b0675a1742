/**
 * The Discord renderer against golden files, and against the limits the Discord stand-in enforces
 * (the same rules Discord documents): every message it produces is one Discord accepts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { actionOfCustomId, askModal, customIdFor, escapeMarkdown, renderReply, type Rendered } from '../../src/adapters/discord/render.ts';
import { reply, type Reply } from '../../src/core/reply.ts';
import { checkMessage, pingsOf } from '../fakes/discord-limits.ts';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'discord');

/** Compares with the committed golden file; UPDATE_GOLDEN=1 rewrites it. */
function expectGolden(name: string, r: Rendered): void {
  const file = join(goldenDir, `${name}.json`);
  const actual = `${JSON.stringify({ messages: r.messages, longActions: [...r.longActions] }, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(goldenDir, { recursive: true });
    writeFileSync(file, actual);
  }
  expect(existsSync(file), `golden file ${file} is missing; run with UPDATE_GOLDEN=1`).toBe(true);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

function accepted(r: Rendered): void {
  for (const m of r.messages) expect(checkMessage(m as unknown as Record<string, unknown>)).toBeNull();
}

const scaleConfirm: Reply = reply([
  { kind: 'text', text: '❓ Scale web in cluster demo (us-east-1, sandbox) from 2 to 5 tasks? That is more than double.' },
  { kind: 'context', text: 'Only ana can confirm. Expires in 2m; then nothing happens.' },
  {
    kind: 'actions',
    buttons: [
      { label: 'Confirm', action: 'confirm:cABCDEF', style: 'danger' },
      { label: 'Cancel', action: 'cancel:cABCDEF' },
    ],
  },
]);

const services: Reply = reply(
  [
    { kind: 'heading', text: 'Services in cluster demo (us-east-1) — 3' },
    { kind: 'table', columns: ['Service', 'Desired', 'Running', 'Rollout', 'Image'], rows: [['web', '2', '2', 'COMPLETED', 'web:v1.4.2'], ['api_v2*', '3', '1', 'IN_PROGRESS', 'api:latest'], ['worker', '1', '1', 'COMPLETED', 'worker:9f3e']], align: ['left', 'right', 'right'] },
    { kind: 'fields', fields: [{ label: 'Cluster', value: 'demo' }, { label: 'Region', value: 'us-east-1' }] },
    { kind: 'context', text: 'cluster demo · us-east-1 · sandbox data (not real AWS)' },
  ],
  { summary: '3 services' },
);

const quizQuestion: Reply = reply([
  { kind: 'heading', text: 'Question 1 of 10 — ecs' },
  { kind: 'text', text: 'Which network mode gives each task its own ENI?' },
  { kind: 'text', text: 'A) bridge\nB) host\nC) awsvpc\nD) none' },
  { kind: 'actions', buttons: ['A', 'B', 'C', 'D'].map((l) => ({ label: l, action: `run:/quiz answer ${l}`, style: 'primary' as const })) },
]);

describe('Discord renderer', () => {
  it('renders a confirmation with Danger/Secondary buttons whose custom_ids carry the action (golden)', () => {
    const r = renderReply(scaleConfirm);
    expectGolden('scale-confirm', r);
    accepted(r);
    expect(r.messages[0]!.components[0]!.components.map((b) => [b.label, b.style, actionOfCustomId(b.custom_id)])).toEqual([
      ['Confirm', 4, 'confirm:cABCDEF'],
      ['Cancel', 2, 'cancel:cABCDEF'],
    ]);
  });

  it('renders a table as an aligned monospace block and escapes markdown in names (golden)', () => {
    const r = renderReply(services);
    expectGolden('services', r);
    accepted(r);
    const d = r.messages[0]!.embeds[0]!;
    expect(d.title).toBe('Services in cluster demo (us-east-1) — 3');
    expect(d.description).toContain('```\nService  Desired  Running');
    expect(d.description).toContain('api_v2*');
  });

  it('renders quiz answers as A–D buttons in one row, ephemeral replies with flag 64 (golden)', () => {
    const r = renderReply(quizQuestion);
    expectGolden('quiz-question', r);
    accepted(r);
    expect(r.messages[0]!.components[0]!.components.map((b) => b.label)).toEqual(['A', 'B', 'C', 'D']);
    expect(renderReply({ ...quizQuestion, visibility: 'ephemeral' }).messages[0]!.flags).toBe(64);
  });

  it('escapes * _ ~ | > # and masked links outside code spans, and keeps `code` as it is', () => {
    expect(escapeMarkdown('web_*prod*~x~|y| [a](http://b) `/ecs scale *web*`')).toBe('web\\_\\*prod\\*\\~x\\~\\|y\\| \\[a\\](http://b) `/ecs scale *web*`');
    expect(escapeMarkdown('> quoted\n# heading\n-# small')).toBe('\\> quoted\n\\# heading\n\\-# small');
  });

  it('keeps three backticks in a log line from ending its code block', () => {
    const r = renderReply(reply([{ kind: 'code', text: 'line one\nevil ``` line\nlast' }]));
    const d = r.messages[0]!.embeds[0]!.description!;
    expect(d.match(/```/g)).toHaveLength(2);
    expect(d).toContain('evil `\u200b`` line');
  });

  it('lets only the intended role ping: mentions in text never notify', () => {
    const role = '112233445566778899';
    const r = renderReply(reply([{ kind: 'text', text: 'hello @everyone <@&998877665544332211> <@123456789012345678>' }]), { mentionRole: role });
    const m = r.messages[0]!;
    expect(m.content).toBe(`<@&${role}>`);
    expect(pingsOf(m as unknown as Record<string, unknown>)).toEqual([`role:${role}`]);
    expect(pingsOf(renderReply(reply([{ kind: 'text', text: '@everyone' }])).messages[0]! as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('continues long output in further messages within 6,000 characters each, and cuts with a note past the last', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `12:00:${String(i % 60).padStart(2, '0')} web GET /health ${i} ${'x'.repeat(40)}`);
    const r = renderReply(reply([{ kind: 'heading', text: 'Logs of web' }, { kind: 'code', text: lines.join('\n') }]));
    accepted(r);
    expect(r.messages.length).toBeGreaterThan(1);
    expect(r.messages.length).toBeLessThanOrEqual(5);
    const shown = r.messages.flatMap((m) => m.embeds.map((e) => e.description ?? '')).join('\n');
    expect(shown).toContain('GET /health 0 ');
    const one = renderReply(reply([{ kind: 'code', text: lines.join('\n') }]), { maxMessages: 1 });
    accepted(one);
    expect(one.messages).toHaveLength(1);
    const note = /… (\d+) more lines left out to fit Discord's message limits/.exec(JSON.stringify(one.messages[0]));
    expect(note).not.toBeNull();
    const kept = (JSON.stringify(one.messages[0]).match(/GET \/health/g) ?? []).length;
    expect(kept + Number(note![1])).toBe(400);
  });

  it('puts at most 25 buttons in 5 rows, unique custom_ids of at most 100 characters, labels cut to 80', () => {
    const buttons = Array.from({ length: 27 }, (_, i) => ({ label: `${'L'.repeat(90)}${i}`, action: `run:/ecs logs web --task ${String(i).padStart(32, 'a')} --since 1h --filter "${'e'.repeat(30)}"` }));
    buttons.push({ label: 'same', action: 'run:/ecs services' }, { label: 'same again', action: 'run:/ecs services' });
    const r = renderReply(reply([{ kind: 'actions', buttons: [buttons[27]!, buttons[28]!, ...buttons.slice(0, 27)] }]));
    accepted(r);
    const all = r.messages.at(-1)!.components.flatMap((row) => row.components);
    expect(all).toHaveLength(25);
    expect(new Set(all.map((b) => b.custom_id)).size).toBe(25);
    expect(all.every((b) => b.custom_id.length <= 100 && b.label.length <= 80)).toBe(true);
    // Long actions travel by hash, remembered by the adapter.
    const hashed = all.find((b) => b.custom_id.startsWith('dh#'))!;
    expect(r.longActions.get(hashed.custom_id)).toContain('run:/ecs logs web --task');
    expect(JSON.stringify(r.messages.at(-1))).toContain('4 more buttons left out');
    expect(customIdFor('run:/ecs services')).toBe('dh:run:/ecs services');
  });

  it('shows fields side by side as embed fields, at most 25, the rest as lines', () => {
    const fields = Array.from({ length: 30 }, (_, i) => ({ label: `k${i}`, value: `v_${i}` }));
    const r = renderReply(reply([{ kind: 'heading', text: 'Many' }, { kind: 'fields', fields }]));
    accepted(r);
    const embeds = r.messages[0]!.embeds;
    expect(embeds[0]!.fields).toHaveLength(25);
    expect(embeds[0]!.fields![0]).toEqual({ name: 'k0', value: 'v\\_0', inline: true });
    expect(embeds[1]!.description).toContain('**k29:** v\\_29');
  });

  it('builds the answer modal with a paragraph input, title and label within 45 characters', () => {
    const m = askModal('/quiz answer', 'Answer the interview question about capacity providers', undefined)!;
    expect(m.custom_id).toBe('dhm:/quiz answer');
    expect(m.title.length).toBeLessThanOrEqual(45);
    expect(JSON.stringify(m.components)).toContain('"style":2');
    expect(askModal(`/quiz answer ${'x'.repeat(120)}`, 'A', undefined)).toBeNull();
  });
});

describe('pictures (image blocks)', () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  const withChart = reply([
    { kind: 'text', text: 'CPU 12% avg' },
    { kind: 'image', png, alt: 'CPU and memory of *payments* over 1h', title: 'payments_metrics', filename: 'payments metrics.png' },
  ]);

  it('attached: uploaded with the last message and shown in an embed of its own, the alt text as its description', () => {
    const r = renderReply(withChart, { images: 'attached' });
    const last = r.messages.at(-1)!;
    expect(last.files).toEqual([{ name: 'payments_metrics.png', data: png, description: 'CPU and memory of *payments* over 1h' }]);
    expect(last.embeds.at(-1)).toEqual({ title: 'payments\\_metrics', image: { url: 'attachment://payments_metrics.png' } });
    expect(JSON.stringify(r.messages.map((m) => m.embeds))).not.toContain('CPU and memory of');
    for (const m of r.messages) expect(checkMessage(m as unknown as Record<string, unknown>)).toBeNull();
  });

  it('left out (alerts, posted as JSON): the title and alt text stand in for the picture', () => {
    const r = renderReply(withChart);
    expect(r.messages.every((m) => !m.files)).toBe(true);
    expect(JSON.stringify(r.messages)).toContain('CPU and memory of \\\\*payments\\\\* over 1h');
  });
});
