import { describe, expect, it } from 'vitest';
import { askModal, parseAskValue, readAskMetadata, renderReply, SLACK_LIMITS } from '../../src/adapters/slack/render.ts';
import { askCommandLine, reply } from '../../src/core/reply.ts';
import { parseCommandLine } from '../../src/core/parser.ts';
import { quiz } from '../../commands/quiz.ts';
import { checkSlackMessage } from '../fakes/slack-limits.ts';

type Btn = { value: string };

function buttons(prompt: string | undefined, action = 'ask:/quiz answer'): Btn[] {
  const msg = renderReply(reply([{ kind: 'actions', buttons: [{ label: 'Answer', action, ...(prompt === undefined ? {} : { prompt }) }] }]));
  expect(checkSlackMessage(msg)).toBeNull();
  return msg.blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as Btn[]) : []));
}

describe('Slack ask: buttons and their modal', () => {
  it('carries the command and the field label in the button, and reads them back', () => {
    const [b] = buttons('Why do containers start fast?');
    expect(parseAskValue(b!.value)).toEqual({ command: '/quiz answer', prompt: 'Why do containers start fast?' });
    expect(parseAskValue(buttons(undefined)[0]!.value)).toEqual({ command: '/quiz answer' });
    expect(parseAskValue('run:/quiz answer B')).toBeNull();
    expect(parseAskValue('ask:')).toBeNull();
  });

  it('cuts a long label so the button value stays within Slack’s 2,000 characters, keeping the command whole', () => {
    const [b] = buttons(`Explain ${'very '.repeat(600)}carefully`);
    expect(b!.value.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonValue);
    const ask = parseAskValue(b!.value)!;
    expect(ask.command).toBe('/quiz answer');
    expect(ask.prompt!.endsWith('…')).toBe(true);
  });

  it('builds a modal inside Slack’s limits: title ≤ 24, metadata ≤ 3,000, a multi-line field', () => {
    const view = askModal({ command: '/quiz answer', prompt: 'Q?' }, 'Answer this interview question now please', { command: '/quiz answer', channelId: 'C1', responseUrl: 'https://hooks.slack.com/actions/T/1/abc' })!;
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    expect(view.submit?.text).toBe('Send');
    expect(readAskMetadata(view.private_metadata!)).toEqual({ command: '/quiz answer', channelId: 'C1', responseUrl: 'https://hooks.slack.com/actions/T/1/abc' });
    const input = view.blocks.find((b) => b.type === 'input') as { label: { text: string }; element: { multiline: boolean; max_length: number } };
    expect(input.label.text).toBe('Q?');
    expect(input.element).toMatchObject({ multiline: true, max_length: 3000 });
  });

  it('drops the response_url before refusing a modal whose context is too long, and refuses only then', () => {
    const long = { command: `/quiz answer ${'x'.repeat(2900)}`, channelId: 'C1', responseUrl: `https://hooks.slack.com/${'y'.repeat(200)}` };
    const view = askModal({ command: long.command }, 'Answer', long)!;
    expect(view.private_metadata!.length).toBeLessThanOrEqual(3000);
    expect(readAskMetadata(view.private_metadata!)).toEqual({ command: long.command, channelId: 'C1' });
    expect(askModal({ command: 'x'.repeat(3100) }, 'Answer', { command: 'x'.repeat(3100), channelId: 'C1' })).toBeNull();
    expect(readAskMetadata('not json')).toBeNull();
    expect(readAskMetadata('{"c":"","ch":"C1"}')).toBeNull();
  });

  it('passes typed text to the command exactly, whatever quotes, dashes or lines it has', () => {
    for (const text of ["it's", 'say "hi"', '--solo', 'help', 'a\\b', 'line one\nline two', '“curly”']) {
      const parsed = parseCommandLine(askCommandLine('/quiz answer', text), [quiz]);
      expect('args' in parsed && parsed.args.answer).toBe(text);
    }
  });
});
