/**
 * Free-text answers through a Slack modal, end to end over real Bolt and HTTP: `/quiz interview ecs`,
 * the Answer button opens a modal (views.open), the signed view_submission runs `/quiz answer <text>`
 * as the submitting user, and the scored feedback reaches that user in the channel. Also the empty-text
 * error the modal shows, a channel the bot is not in, and what the same button does in the terminal.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quiz } from '../../commands/quiz.ts';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import { ASK_BLOCK_ID, ASK_CALLBACK_ID, ASK_INPUT_ID } from '../../src/adapters/slack/render.ts';
import { defineSubcommand } from '../../src/core/command.ts';
import type { CommandDef } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { reply, textReply } from '../../src/core/reply.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SqliteAuditLog } from '../../src/db/audit-log.ts';
import { openDatabase } from '../../src/db/client.ts';
import type { OpenDatabase } from '../../src/db/client.ts';
import { SqliteQuizStore } from '../../src/db/quiz-store.ts';
import { SystemClock } from '../../src/ports/clock.ts';
import { loadPacks } from '../../src/quiz/pack.ts';
import type { OpenItem, PackCatalog } from '../../src/quiz/pack.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import type { OpenedView } from '../fakes/slack-api.ts';
import { blockActionBody, blockActionPayload, newTriggerId, postToApp, slashBody, viewSubmissionBody, viewSubmissionPayload } from '../fakes/slack-requests.ts';
import { runCli } from './cli.ts';

const SECRET = 'modal-signing-secret-0123456789';

type Btn = { action_id: string; value: string; text: { text: string } };

function buttonsOf(m: { blocks?: unknown }): Btn[] {
  return ((m.blocks ?? []) as Array<{ type: string; elements?: Btn[] }>).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

/** The visible text of a message's blocks, one string per line. */
function shown(m: { blocks?: unknown }): string {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (typeof x === 'object' && x !== null) {
      for (const [k, v] of Object.entries(x)) {
        if (k === 'text' && typeof v === 'string') out.push(v);
        else walk(v);
      }
    }
  };
  walk(m.blocks ?? []);
  return out.join('\n');
}

describe('Slack: answering an interview question in a modal', () => {
  let fake: FakeSlack;
  let database: OpenDatabase;
  let store: SqliteQuizStore;
  let packs: PackCatalog;
  let adapter: SlackAdapter;
  let url: string;

  beforeAll(async () => {
    fake = await FakeSlack.start({ notInChannels: ['C0SECRET'] });
    database = openDatabase(':memory:');
    store = new SqliteQuizStore(database.db);
    packs = loadPacks(join(import.meta.dirname, '..', '..', 'quizzes'));
    const dispatcher = new Dispatcher({
      commands: [quiz],
      ports: { clock: new SystemClock(), audit: new SqliteAuditLog(database.db), quiz: store, packs },
      settings: defaultSettings({}),
      log: silentLogger,
    });
    adapter = new SlackAdapter({ dispatcher, botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: fake.apiUrl });
    await adapter.start();
    url = `http://127.0.0.1:${adapter.port}/slack/events`;
  }, 30_000);

  afterAll(async () => {
    await adapter?.stop();
    database?.close();
    await fake?.close();
  });

  /** Runs `/quiz interview ecs` and returns the question the user saw (ephemeral, via response_url) and its item. */
  async function interview(channel: string, user: string): Promise<{ answer: Btn; item: OpenItem }> {
    const responseUrl = fake.newResponseUrl(channel);
    const res = await postToApp(url, slashBody({ command: '/quiz', text: 'interview ecs', user_id: user, channel_id: channel, response_url: responseUrl }), { secret: SECRET });
    expect(res.status).toBe(200);
    const shownReply = await fake.waitFor(() => fake.responses.find((r) => r.id === FakeSlack.responseId(responseUrl)));
    expect(shownReply.body.response_type).toBe('ephemeral');
    const attempt = (await store.openInterview({ platform: 'slack', workspaceId: 'T0TEAM', userId: user }))!;
    const item = packs.packs.get('ecs')!.items.find((i) => i.id === attempt.itemId) as OpenItem;
    expect(shown(shownReply.body)).toContain(item.prompt);
    // The typed way stays on the message, for anyone who prefers it.
    expect(shown(shownReply.body)).toContain('/quiz answer &lt;your answer&gt;');
    const answer = buttonsOf(shownReply.body).find((b) => b.text.text === 'Answer');
    expect(answer).toBeDefined();
    return { answer: answer!, item };
  }

  /** Presses a button on an ephemeral message and returns the modal it opened and the press's response_url id. */
  async function pressForModal(channel: string, user: string, btn: Btn): Promise<{ opened: OpenedView; pressResponse: string }> {
    const before = fake.views.length;
    const trigger = newTriggerId();
    const responseUrl = fake.newResponseUrl(channel);
    const res = await postToApp(url, blockActionBody({ user_id: user, channel_id: channel, action_id: btn.action_id, value: btn.value, text: btn.text.text, response_url: responseUrl, trigger_id: trigger }), { secret: SECRET });
    expect(res.status).toBe(200);
    const opened = await fake.waitFor(() => fake.views.length > before && fake.views[before]);
    expect(opened.triggerId).toBe(trigger);
    return { opened, pressResponse: FakeSlack.responseId(responseUrl) };
  }

  async function submit(user: string, opened: OpenedView, text: string | null): Promise<{ status: number; body: string; ms: number }> {
    return postToApp(url, viewSubmissionBody({ user_id: user, view_id: opened.id, view: opened.view, values: { [ASK_BLOCK_ID]: { [ASK_INPUT_ID]: text } } }), { secret: SECRET });
  }

  it('Answer opens a modal; the typed answer is scored and the feedback reaches only that user in the channel', async () => {
    const { answer, item } = await interview('C0STUDY', 'U0ANA');
    expect(answer.value.split('\n')[0]).toBe('ask:/quiz answer');

    const { opened, pressResponse } = await pressForModal('C0STUDY', 'U0ANA', answer);
    const view = opened.view as { type: string; callback_id: string; title: { text: string }; submit: { text: string }; private_metadata: string; blocks: Array<Record<string, unknown>> };
    expect(view.type).toBe('modal');
    expect(view.callback_id).toBe(ASK_CALLBACK_ID);
    expect(view.title.text).toBe('Answer');
    expect(view.submit.text).toBe('Send');
    expect(view.private_metadata.length).toBeLessThanOrEqual(3000);
    expect(JSON.parse(view.private_metadata)).toMatchObject({ c: '/quiz answer', ch: 'C0STUDY' });
    const input = view.blocks.find((b) => b.type === 'input') as { block_id: string; label: { text: string }; element: { type: string; multiline: boolean } };
    expect(input.block_id).toBe(ASK_BLOCK_ID);
    expect(input.label.text).toBe(item.prompt);
    expect(input.element).toMatchObject({ type: 'plain_text_input', multiline: true });
    // Opening the modal is the whole answer to the press: no "type this" hint is posted.
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.responses.filter((r) => r.id === pressResponse)).toHaveLength(0);

    // Apostrophes, quotes, a leading dash and a line break would trip a typed command line; here they arrive as written.
    const typed = "- Containers share the host's kernel, and the image packages the app with its dependencies.\nA VM runs a full \"guest OS\" on a hypervisor.";
    const before = fake.callsOf('chat.postEphemeral').length;
    const res = await submit('U0ANA', opened, typed);
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(res.ms).toBeLessThan(1000);

    const posted = await fake.waitFor(() => fake.callsOf('chat.postEphemeral')[before], 10_000);
    expect(posted.outcome).toBe('ok');
    expect(posted.params).toMatchObject({ channel: 'C0STUDY', user: 'U0ANA' });
    const feedback = shown(posted.params);
    expect(feedback).toMatch(/Score \d+% — (✅ passed|❌ not passed)/);
    expect(feedback).toMatch(/Key points \(weight; \d+ of \d+ credited\):/);
    expect(feedback).toContain("share the host's kernel");
    expect(feedback).toMatch(/❌ \(\d+\) /);
    expect(feedback).toContain('Model answer:');
    // The Flag button opens the same kind of form, for the reason, and runs /quiz flag --item <id>.
    expect(buttonsOf(posted.params).map((b) => b.value)).toEqual([
      'run:/quiz rate again',
      'run:/quiz rate hard',
      'run:/quiz rate good',
      'run:/quiz rate easy',
      'ask:/quiz flag --item ecs-iq-container-vs-vm\nWhat is wrong with this question?',
    ]);
    expect(fake.callsOf('chat.postMessage')).toHaveLength(0);

    const stored = await store.userAnswers({ platform: 'slack', workspaceId: 'T0TEAM', userId: 'U0ANA' });
    expect(stored.map((a) => a.text)).toEqual([typed]);
    const ran = (await new SqliteAuditLog(database.db).latest(10)).find((r) => r.command.startsWith('/quiz answer'));
    expect(ran).toMatchObject({ platform: 'slack', userId: 'U0ANA', channelId: 'C0STUDY', outcome: 'ok' });
  }, 30_000);

  it('an empty answer keeps the modal open with an error under the field, and nothing is recorded', async () => {
    const { answer } = await interview('C0STUDY', 'U0CAT');
    const { opened } = await pressForModal('C0STUDY', 'U0CAT', answer);
    const posts = fake.callsOf('chat.postEphemeral').length;
    for (const blank of ['  \n  ', null]) {
      const res = await submit('U0CAT', opened, blank);
      expect(res.status).toBe(200);
      const ack = JSON.parse(res.body) as { response_action: string; errors: Record<string, string> };
      expect(ack.response_action).toBe('errors');
      expect(Object.keys(ack.errors)).toEqual([ASK_BLOCK_ID]);
      expect(ack.errors[ASK_BLOCK_ID]).toContain('empty answer');
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.callsOf('chat.postEphemeral')).toHaveLength(posts);
    expect(await store.userAnswers({ platform: 'slack', workspaceId: 'T0TEAM', userId: 'U0CAT' })).toHaveLength(0);
    expect((await store.openInterview({ platform: 'slack', workspaceId: 'T0TEAM', userId: 'U0CAT' }))?.phase).toBe('answering');
  }, 30_000);

  it('in a channel the bot is not in, the feedback comes through the press’s response_url instead', async () => {
    const { answer } = await interview('C0SECRET', 'U0BOB');
    const { opened, pressResponse } = await pressForModal('C0SECRET', 'U0BOB', answer);
    const res = await submit('U0BOB', opened, 'Containers share the kernel of the host; a VM boots a full guest OS on a hypervisor.');
    expect(res.status).toBe(200);
    const refused = await fake.waitFor(() => fake.callsOf('chat.postEphemeral').find((c) => c.params.channel === 'C0SECRET'));
    expect(refused.outcome).toBe('not_in_channel');
    const viaUrl = await fake.waitFor(() => fake.responses.find((r) => r.id === pressResponse), 10_000);
    expect(viaUrl.outcome).toBe('ok');
    expect(viaUrl.body.response_type).toBe('ephemeral');
    expect(shown(viaUrl.body)).toMatch(/Score \d+% — (✅ passed|❌ not passed)/);
  }, 30_000);

  it('an interactive answer Slack refuses as too long (or with a code dockhand does not know) falls back to the response_url', async () => {
    for (const code of ['msg_blocks_too_long', 'some_future_refusal']) {
      const { answer } = await interview('C0GENERAL', 'U0DAN');
      const { opened, pressResponse } = await pressForModal('C0GENERAL', 'U0DAN', answer);
      fake.fail('chat.postEphemeral', { error: code });
      const res = await submit('U0DAN', opened, 'Containers share the host kernel; a VM boots its own guest OS.');
      expect(res.status).toBe(200);
      const viaUrl = await fake.waitFor(() => fake.responses.find((r) => r.id === pressResponse), 10_000);
      expect(viaUrl.outcome).toBe('ok');
      expect(shown(viaUrl.body)).toMatch(/Score \d+% — (✅ passed|❌ not passed)/);
      expect(shown(viaUrl.body)).not.toContain('could not answer');
    }
  }, 30_000);

  it('titles the modal with the button label as shown, decoding the &amp;, &lt; and &gt; Slack sends it with', async () => {
    const btn: Btn = { action_id: 'dockhand:0', value: 'ask:/quiz answer\nYour answer', text: { text: 'Q&A <ecs>' } };
    const { opened } = await pressForModal('C0STUDY', 'U0EVE', btn);
    expect((opened.view as { title: { text: string } }).title.text).toBe('Q&A <ecs>');
  }, 30_000);

  it('when the modal cannot open (the trigger expired), the press says what to type instead', async () => {
    const { answer } = await interview('C0STUDY', 'U0DAN');
    const opened = fake.views.length;
    fake.fail('views.open', { error: 'expired_trigger_id' });
    const responseUrl = fake.newResponseUrl('C0STUDY');
    const res = await postToApp(url, blockActionBody({ user_id: 'U0DAN', channel_id: 'C0STUDY', action_id: answer.action_id, value: answer.value, response_url: responseUrl }), { secret: SECRET });
    expect(res.status).toBe(200);
    const hint = await fake.waitFor(() => fake.responses.find((r) => r.id === FakeSlack.responseId(responseUrl)), 10_000);
    expect(hint.body.response_type).toBe('ephemeral');
    expect(shown(hint.body)).toContain('Type `/quiz answer &lt;your text&gt;` to send it.');
    expect(fake.views).toHaveLength(opened);
  }, 30_000);
});

describe('the terminal: the same Answer button', () => {
  it('typing its number says what to type, and typing that scores the answer', async () => {
    const r = await runCli(['/quiz interview ecs', '1', '/quiz answer Containers share the host kernel; a VM runs a full guest OS on a hypervisor.']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[1\] Answer/);
    expect(r.stdout).toContain('answer in your own words with /quiz answer <your answer>');
    const afterPress = r.stdout.split('\n> 1\n')[1] ?? '';
    expect(afterPress.split('\n> ')[0]).toContain('Type /quiz answer <your text> to send it.');
    expect(r.stdout).toMatch(/Score \d+% — (✅ passed|❌ not passed)/);
    expect(r.stdout).toContain('Model answer:');
  }, 60_000);
});

/** A command whose reply is for the whole channel, starts a thread, carries an ask: button and posts a follow-up. */
const notes: CommandDef = {
  name: 'note',
  description: 'Team notes',
  subcommands: [
    defineSubcommand({
      name: 'add',
      description: 'Adds a note',
      options: [{ name: 'text', type: 'string', description: 'The note', positional: true, required: true, rest: true }] as const,
      role: 'viewer',
      changes: false,
      example: '/note add the deploy is at 3',
      handler: (a, ctx) => {
        const key = `note:${Math.random().toString(36).slice(2)}`;
        return {
          reply: reply(
            [
              { kind: 'text', text: `Note from ${ctx.caller.displayName}: ${a.text}` },
              { kind: 'actions', buttons: [{ label: 'Add a note', action: 'ask:/note add', prompt: 'Your note' }] },
            ],
            { thread: { key, parent: true } },
          ),
          followUp: async (post) => {
            await post(textReply('Filed with the team notes.', { thread: { key } }));
          },
        };
      },
    }),
  ],
};

describe('Slack in Socket Mode: a modal answer visible to the channel, with its follow-up', () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  let database: OpenDatabase;

  beforeAll(async () => {
    fake = await FakeSlack.start();
    database = openDatabase(':memory:');
    const dispatcher = new Dispatcher({ commands: [notes], ports: { clock: new SystemClock(), audit: new SqliteAuditLog(database.db) }, settings: defaultSettings({}), log: silentLogger });
    adapter = new SlackAdapter({ dispatcher, botToken: 'xoxb-test', appToken: 'xapp-test', apiUrl: fake.apiUrl, socketPingTimeoutMs: 500 });
    await adapter.start();
  }, 30_000);

  afterAll(async () => {
    await adapter?.stop();
    database?.close();
    await fake?.close();
  });

  it('posts the reply in the channel saying who ran it (not what they typed), and threads the follow-up under it', async () => {
    const press = blockActionPayload({ user_id: 'U0ANA', channel_id: 'C0OPS', action_id: 'dockhand:0', value: 'ask:/note add\nYour note', text: 'Add a note', response_url: fake.newResponseUrl('C0OPS') });
    await fake.socketMode.sendEnvelope('interactive', press);
    const opened = await fake.waitFor(() => fake.views[0]);
    expect((opened.view as { title: { text: string } }).title.text).toBe('Add a note');

    const blank = await fake.socketMode.sendEnvelope('interactive', viewSubmissionPayload({ user_id: 'U0ANA', view_id: opened.id, view: opened.view, values: { [ASK_BLOCK_ID]: { [ASK_INPUT_ID]: ' ' } } }));
    expect(blank.payload).toMatchObject({ response_action: 'errors', errors: { [ASK_BLOCK_ID]: expect.stringContaining('empty answer') as string } });

    const typed = 'the deploy moves to 3pm -- ask "ops" if it\'s late';
    const ack = await fake.socketMode.sendEnvelope('interactive', viewSubmissionPayload({ user_id: 'U0ANA', view_id: opened.id, view: opened.view, values: { [ASK_BLOCK_ID]: { [ASK_INPUT_ID]: typed } } }));
    expect(ack.payload ?? {}).not.toHaveProperty('response_action');

    const parent = await fake.waitFor(() => fake.messages.find((m) => m.channel === 'C0OPS' && !m.threadTs), 10_000);
    expect(shown(parent)).toContain(`Note from u0ana: ${typed}`);
    expect(shown(parent)).toContain('<@U0ANA> ran `/note add …`');
    expect(buttonsOf(parent).map((b) => b.value)).toEqual(['ask:/note add\nYour note']);
    const followUp = await fake.waitFor(() => fake.messages.find((m) => m.threadTs === parent.ts), 10_000);
    expect(followUp.text).toBe('Filed with the team notes.');
    expect(fake.callsOf('chat.postEphemeral')).toHaveLength(0);
  }, 30_000);
});
