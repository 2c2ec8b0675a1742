/**
 * The real commands through Discord: the real discord.js client in the real adapter, connected over
 * a WebSocket gateway and REST to the local Discord stand-in, with the sandbox behind /ecs and the
 * real quiz packs behind /quiz. Commands are registered first with the real registration code, so
 * every interaction carries only options Discord would carry.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../commands/audit.ts';
import { ecs } from '../../commands/ecs.ts';
import { quiz } from '../../commands/quiz.ts';
import { DiscordAdapter } from '../../src/adapters/discord/discord-adapter.ts';
import { callerOf } from '../../src/adapters/discord/identity.ts';
import { renderReply } from '../../src/adapters/discord/render.ts';
import { registerCommands } from '../../src/adapters/discord/register-cli.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS } from '../../src/aws/index.ts';
import type { AwsPorts } from '../../src/aws/index.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { reply } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SqliteAuditLog } from '../../src/db/audit-log.ts';
import { openDatabase } from '../../src/db/client.ts';
import type { OpenDatabase } from '../../src/db/client.ts';
import { SqliteDeployStore } from '../../src/db/deploy-store.ts';
import { SqliteQuizStore } from '../../src/db/quiz-store.ts';
import { loadPacks } from '../../src/quiz/pack.ts';
import type { McqItem, PackCatalog } from '../../src/quiz/pack.ts';
import { SystemClock } from '../../src/ports/clock.ts';
import { startSandbox } from '../../src/sandbox/server.ts';
import type { Sandbox } from '../../src/sandbox/server.ts';
import { FakeDiscord, snowflake, type FakeInteraction, type FakeMessage, type FakeUser } from '../fakes/discord-api.ts';

const text = FakeDiscord.text;
const ana: FakeUser = { id: snowflake(), username: 'ana' };
const bob: FakeUser = { id: snowflake(), username: 'bob' };
const OPS_ROLE = snowflake();
const cleo: FakeUser = { id: snowflake(), username: 'cleo', roles: [OPS_ROLE] };

describe('Discord scenarios with the real commands', () => {
  let fake: FakeDiscord;
  let sandbox: Sandbox;
  let aws: AwsPorts;
  let database: OpenDatabase;
  let store: SqliteQuizStore;
  let auditLog: SqliteAuditLog;
  let packs: PackCatalog;
  let adapter: DiscordAdapter;
  let dispatcher: Dispatcher;
  let listServicesCalls = 0;

  beforeAll(async () => {
    fake = new FakeDiscord({ users: [ana, bob, cleo] });
    await fake.start();
    sandbox = await startSandbox({ scenario: 'demo', speed: 100, seed: 7 });
    aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 2 });
    database = openDatabase(':memory:');
    store = new SqliteQuizStore(database.db);
    auditLog = new SqliteAuditLog(database.db);
    packs = loadPacks(join(import.meta.dirname, '..', '..', 'quizzes'));
    // Counts ListServices calls, to see that typing is served from the suggestion cache.
    const real = aws.containers;
    const containers = new Proxy(real, {
      get(target, prop) {
        const v = Reflect.get(target, prop) as unknown;
        if (prop === 'listServices') return (...a: Parameters<typeof real.listServices>) => (listServicesCalls++, real.listServices(...a));
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
      },
    });
    dispatcher = new Dispatcher({
      commands: [ecs, quiz, audit],
      // Wired as main.ts wires it: real time for the core (suggestion cache, follow-ups), the sandbox's for AWS ages.
      ports: { clock: new SystemClock(), awsClock: sandbox.clock, audit: auditLog, containers, images: aws.images, logs: aws.logs, metrics: aws.metrics, quiz: store, packs, deploys: new SqliteDeployStore(database.db) },
      settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: true, userRoles: new Map([[`discord:${ana.id}`, 'operator']]) }),
      log: silentLogger,
    });
    await registerCommands({ token: fake.token, apiUrl: fake.apiUrl, guildId: fake.guildId });
    adapter = new DiscordAdapter({ dispatcher, token: fake.token, apiUrl: fake.apiUrl, guildRoles: new Map([[OPS_ROLE, 'operator']]) });
    await adapter.start();
  }, 60_000);

  afterAll(async () => {
    // As main.ts stops: follow-ups still tailing in real time are ended first.
    dispatcher?.abortAll();
    await adapter?.stop();
    aws?.destroy();
    database?.close();
    await sandbox?.stop();
    await fake?.stop();
  });

  /** The message an interaction's answer ended up in: its original (edited in after a deferral) or its first follow-up. */
  async function answerOf(it: FakeInteraction, has: string): Promise<FakeMessage> {
    return fake.waitFor(() => [it.original, ...it.followUps].find((m) => m && !m.deleted && text(m).includes(has)), 10_000, `an answer containing '${has}'`);
  }

  const desiredOfWeb = (): number | undefined => sandbox.state.clusters.get('demo')?.services.get('web')?.desiredCount;

  it('answers /ecs services within 3 s through the interaction callback, with sandbox data', async () => {
    const it = fake.slash(bob, 'ecs', 'services');
    const cb = await fake.answered(it);
    expect(cb.at - it.createdAt).toBeLessThan(3_000);
    const m = await answerOf(it, 'web');
    expect(text(m)).toContain('cluster demo');
    expect(m.flags & 64).toBe(0);
  });

  it('/ecs metrics payments: the chart is uploaded with the answer and shown in an embed, its alt text as the file description', async () => {
    const it = fake.slash(bob, 'ecs', 'metrics', { service: 'payments', since: '1h' });
    const m = await answerOf(it, 'CPU');
    const files = m.attachments ?? [];
    expect(files).toHaveLength(1);
    const png = files[0]!;
    expect(png.filename).toMatch(/\.png$/);
    expect([...png.data.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(png.size).toBeGreaterThan(1_000);
    expect(png.description).toMatch(/CPU|memory/i);
    const shown = m.embeds.find((e) => (e as { image?: { url?: string } }).image);
    expect((shown as { image: { url: string } }).image.url).toBe(`attachment://${png.filename}`);
  }, 30_000);

  it('/ecs metrics when CloudWatch is slow: deferred, then the chart is uploaded with the edited answer', async () => {
    sandbox.faults.set('GetMetricData', { latencyMs: 2_000 });
    try {
      const it = fake.slash(bob, 'ecs', 'metrics', { service: 'payments', since: '1h' });
      const cb = await fake.answered(it);
      expect(cb.type).toBe(5);
      const m = await answerOf(it, 'CPU');
      expect(m.edits).toBeGreaterThan(0);
      expect(m.attachments?.map((a) => a.filename)).toEqual([expect.stringMatching(/\.png$/)]);
    } finally {
      sandbox.faults.clear();
    }
  }, 30_000);

  it('/ecs scale web 5: asks, refuses another member privately (audited), scales on the caller’s confirm, then says when steady', async () => {
    expect(desiredOfWeb()).toBe(2);
    const it = fake.slash(ana, 'ecs', 'scale', { service: 'web', count: 5 });
    const question = await answerOf(it, 'from 2 to 5 tasks?');
    expect(question.components[0]!.components.map((b) => b.label)).toEqual(['Confirm', 'Cancel']);

    const bobPress = fake.press(bob, question, 'Confirm');
    const refusal = await fake.answered(bobPress);
    expect(refusal.type).toBe(4);
    expect(Number(refusal.data?.flags) & 64).toBe(64);
    expect(JSON.stringify(refusal.data)).toContain('only ana');
    expect(desiredOfWeb()).toBe(2);
    const denied = (await auditLog.latest(20)).find((r) => r.userId === bob.id && r.outcome === 'denied');
    expect(denied?.command).toContain('confirm /ecs scale');

    const anaPress = fake.press(ana, question, 'Confirm');
    await fake.answered(anaPress);
    await fake.waitFor(() => desiredOfWeb() === 5, 10_000, 'web scaled to 5');
    await fake.waitFor(() => text(question).includes('Scaling web 2 → 5') && question.components.length === 0, 10_000, 'the question replaced by the result');
    const steady = await fake.waitFor(() => anaPress.followUps.find((m) => /steady|5\/5|running 5/i.test(text(m))), 30_000, 'the steady follow-up');
    expect(text(steady)).toContain('web');
  }, 60_000);

  it('/ecs deploy reports 0.5.0 with buttons: Confirm deploys, the steady note carries Undo, and Undo (confirmed) puts reports:1 back', async () => {
    const reportsTd = (): string | undefined => sandbox.state.clusters.get('demo')?.services.get('reports')?.taskDefinitionArn;
    expect(reportsTd()).toMatch(/reports:1$/);
    const it = fake.slash(ana, 'ecs', 'deploy', { service: 'reports', image: '0.5.0' });
    const question = await answerOf(it, 'Deploy reports 0.5.0 to reports');
    expect(text(question)).toContain('Scan of reports 0.5.0: 1 MEDIUM, 1 LOW.');
    const confirm = fake.press(ana, question, 'Confirm');
    await fake.answered(confirm);
    await fake.waitFor(() => (/reports:2$/.test(reportsTd() ?? '') ? true : undefined), 15_000, 'reports on reports:2');
    const steady = await fake.waitFor(() => confirm.followUps.find((m) => text(m).includes('reports is steady')), 30_000, 'the steady note');
    const undoLabel = steady.components.flatMap((r) => r.components).find((b) => /undo/i.test(b.label))?.label;
    expect(undoLabel, text(steady)).toBeDefined();
    const undo = fake.press(ana, steady, undoLabel!);
    const ask = await fake.waitFor(() => [undo.original, ...undo.followUps].find((m) => m && text(m).includes('Undo the deploy of 0.5.0 to reports')), 15_000, 'the Undo question');
    expect(text(ask)).toContain('reports:2 → reports:1?');
    expect(reportsTd()).toMatch(/reports:2$/);
    const again = fake.press(ana, ask, 'Confirm');
    await fake.answered(again);
    await fake.waitFor(() => (/reports:1$/.test(reportsTd() ?? '') ? true : undefined), 15_000, 'reports back on reports:1');
  }, 90_000);

  it('refuses a viewer’s /ecs scale privately with the role needed, and audits it', async () => {
    const it = fake.slash(bob, 'ecs', 'scale', { service: 'web', count: 3 });
    const cb = await fake.answered(it);
    expect(Number(cb.data?.flags) & 64).toBe(64);
    expect(JSON.stringify(cb.data)).toContain('needs the operator role; you are a viewer');
    expect((await auditLog.latest(10)).find((r) => r.userId === bob.id && r.outcome === 'denied' && r.command.startsWith('/ecs scale web 3'))).toBeDefined();
  });

  it('grants a guild role’s dockhand role from the interaction’s member roles', async () => {
    const it = fake.slash(cleo, 'ecs', 'restart', { service: 'api' });
    const q = await fake.waitFor(() => [it.original, ...it.followUps].find((m) => m && m.components.length > 0), 10_000, 'a confirmation question');
    expect(text(q)).toContain('api');
    expect(q.components[0]!.components.map((b) => b.label)).toEqual(['Confirm', 'Cancel']);
  });

  it('suggests services of the default cluster while typing, prefix matches first, from a short cache', async () => {
    const before = listServicesCalls;
    const one = fake.autocomplete(bob, 'ecs', 'logs', { service: 'w' }, 'service');
    const cb = await fake.answered(one);
    expect(cb.type).toBe(8);
    const names = (cb.data?.choices as Array<{ name: string }>).map((c) => c.name);
    expect(names[0]).toBe('web');
    expect(names).toContain('worker');
    const two = fake.autocomplete(bob, 'ecs', 'logs', { service: 'o' }, 'service');
    const names2 = ((await fake.answered(two)).data?.choices as Array<{ name: string }>).map((c) => c.name);
    expect(names2).toContain('worker');
    expect(names2).not.toContain('web');
    // Two key presses, one ListServices: the second is served from the short cache.
    expect(listServicesCalls - before).toBe(1);
  });

  it('suggests repositories, the containers of the chosen service, quiz packs and the chosen pack’s item ids', async () => {
    const choices = async (it: FakeInteraction): Promise<string[]> => {
      const cb = await fake.answered(it);
      expect(cb.type).toBe(8);
      expect(cb.at - it.createdAt).toBeLessThan(3_000);
      return (cb.data?.choices as Array<{ name: string; value: string }>).map((c) => c.value);
    };
    const repos = (await aws.images.listRepositories('us-east-1')).map((r) => r.name);
    expect(repos.length).toBeGreaterThan(1);
    expect(await choices(fake.autocomplete(bob, 'ecs', 'images', { repo: '' }, 'repo'))).toEqual([...repos].sort());
    const typed = repos[0]!.slice(0, 2);
    expect(await choices(fake.autocomplete(bob, 'ecs', 'images', { repo: typed }, 'repo'))).toEqual(repos.filter((r) => r.startsWith(typed)).sort());

    const web = (await aws.containers.describeServices({ cluster: 'demo', region: 'us-east-1' }, ['web'])).items[0]!;
    const containers = (await aws.containers.describeTaskDefinition('us-east-1', web.taskDefinition)).containers.map((c) => c.name);
    expect(await choices(fake.autocomplete(bob, 'ecs', 'logs', { service: 'web', container: '' }, 'container'))).toEqual([...containers].sort());
    // No service chosen yet: no container can be known.
    expect(await choices(fake.autocomplete(bob, 'ecs', 'logs', { container: '' }, 'container'))).toEqual([]);

    expect(await choices(fake.autocomplete(bob, 'quiz', 'start', { pack: 'e' }, 'pack'))).toEqual(['ecs']);
    // An interview offers its open items; a flag any item still asked, never a retired one.
    const ecsItems = packs.packs.get('ecs')!.items;
    const open = ecsItems.filter((i) => !i.retired && i.type !== 'mcq').map((i) => i.id);
    expect(await choices(fake.autocomplete(bob, 'quiz', 'interview', { pack: 'ecs', item: '' }, 'item'))).toEqual([...open].sort());
    const retired = ecsItems.find((i) => i.retired)!;
    const prefix = retired.id.slice(0, 7);
    const asked = ecsItems.filter((i) => !i.retired && i.id.startsWith(prefix)).map((i) => i.id);
    const flag = await choices(fake.autocomplete(bob, 'quiz', 'flag', { reason: 'wrong', item: prefix }, 'item'));
    expect(flag).not.toContain(retired.id);
    expect(flag.slice(0, asked.length)).toEqual([...asked].sort().slice(0, 25));
    expect(flag.length).toBeLessThanOrEqual(25);
  });

  it('answers a slash command as it answers the same command typed', async () => {
    const cases: Array<{ typed: string; sub: string; options: Record<string, string | number | boolean>; user: FakeUser }> = [
      { typed: '/ecs logs web --since 90', sub: 'logs', options: { service: 'web', since: '90' }, user: bob },
      { typed: '/ecs logs web --since 20d', sub: 'logs', options: { service: 'web', since: '20d' }, user: bob },
      { typed: '/ecs logs nosuch', sub: 'logs', options: { service: 'nosuch' }, user: bob },
      { typed: '/ecs scale web 3', sub: 'scale', options: { service: 'web', count: 3 }, user: bob },
      { typed: '/ecs scale web 51', sub: 'scale', options: { service: 'web', count: 51 }, user: ana },
    ];
    for (const c of cases) {
      const it = fake.slash(c.user, 'ecs', c.sub, c.options);
      const cb = await fake.answered(it);
      const viaSlash = text({ content: '', embeds: [], ...(cb.data as object) } as unknown as FakeMessage);
      // The same line typed, by the same member, through the same renderer.
      const caller = { ...callerOf({ user: { id: c.user.id, username: c.user.username, globalName: c.user.username }, member: { roles: c.user.roles ?? [] }, guildId: fake.guildId, channelId: fake.channelId } as never, new Map([[OPS_ROLE, 'operator']])) };
      const typed = renderReply((await dispatcher.run(c.typed, caller)).reply).messages[0]!;
      expect(viaSlash, c.typed).toBe(text({ content: '', ...typed } as unknown as FakeMessage));
      expect(viaSlash.length).toBeGreaterThan(10);
    }
  });

  it('keeps working after the gateway asks for a reconnect (op 7): the session resumes', async () => {
    const resumes = fake.resumes;
    fake.reconnect();
    await fake.waitFor(() => fake.resumes > resumes && fake.ready > 0, 15_000, 'a RESUME');
    const it = fake.slash(bob, 'ecs', 'services');
    await answerOf(it, 'web');
  }, 30_000);

  it('/quiz ecs answered by two members with the A–E buttons: one answer each, then the reveal', async () => {
    const it = fake.slash(ana, 'quiz', 'start', { pack: 'ecs', questions: 1, timer: '60s' });
    const q = await fake.waitFor(() => [it.original, ...it.followUps].find((m) => m && m.components.some((r) => r.components.some((b) => /^[A-E]$/.test(b.label)))), 10_000, 'a question with letter buttons');
    const letters = q.components.flatMap((r) => r.components.map((b) => b.label)).filter((l) => /^[A-E]$/.test(l));
    expect(letters.length).toBeGreaterThanOrEqual(3);
    const a1 = fake.press(ana, q, letters[0]!);
    const b1 = fake.press(bob, q, letters[1]!);
    await fake.answered(a1);
    await fake.answered(b1);
    const again = fake.press(ana, q, letters[1]!);
    const third = await fake.answered(again);
    expect(JSON.stringify(third.data)).toMatch(/already answered|one answer/i);
    const reveal = fake.slash(ana, 'quiz', 'next');
    await answerOf(reveal, 'ana');
    const mcq = [...packs.packs.get('ecs')!.items].find((x): x is McqItem => x.type === 'mcq' && JSON.stringify(x).length > 0);
    expect(mcq).toBeDefined();
  }, 30_000);

  it('an interview answer opens a modal and runs the command with the text exactly as typed', async () => {
    const it = fake.slash(bob, 'quiz', 'interview', { pack: 'ecs' });
    const q = await fake.waitFor(() => [it.original, ...it.followUps].find((m) => m && m.components.length > 0), 10_000, 'an interview question with buttons');
    const answerBtn = q.components.flatMap((r) => r.components).find((b) => b.custom_id.startsWith('dh:ask:'));
    expect(answerBtn).toBeDefined();
    const press = fake.press(bob, q, answerBtn!.label);
    const opened = await fake.answered(press);
    expect(opened.type).toBe(9);
    const typed = 'It\'s "awsvpc" — each task gets its own ENI; *not* the host\'s `bridge`.';
    const submit = fake.submitModal(bob, press, typed);
    await fake.answered(submit);
    const m = await fake.waitFor(() => [submit.original, ...submit.followUps].find((x) => x && text(x).length > 0), 10_000, 'the answer reply');
    expect(text(m)).not.toContain('Write something');
    const row = (await auditLog.latest(5)).find((r) => r.userId === bob.id && r.command.includes('awsvpc'));
    expect(row?.command).toContain('It\'s \\"awsvpc\\" — each task gets its own ENI; *not* the host\'s `bridge`.');
  }, 30_000);

  it('the Flag button of a reveal opens a modal; the reason is stored and an operator sees it in /quiz flags', async () => {
    const it = fake.slash(bob, 'quiz', 'start', { pack: 'ecs', questions: 1, solo: true });
    const q = await fake.waitFor(() => [it.original, ...it.followUps].find((m) => m && m.components.some((r) => r.components.some((b) => /^[A-E]$/.test(b.label)))), 10_000, 'a solo question');
    const press = fake.press(bob, q, 'A');
    await fake.answered(press);
    const reveal = await fake.waitFor(
      () => [press.original, ...press.followUps, ...it.followUps].find((m) => m && m.components.some((r) => r.components.some((b) => b.label === 'Flag'))),
      10_000,
      'a reveal with a Flag button',
    );
    const flag = fake.press(bob, reveal, 'Flag');
    const opened = await fake.answered(flag);
    expect(opened.type).toBe(9);
    const submit = fake.submitModal(bob, flag, 'The why-text of C contradicts the explanation');
    await fake.answered(submit);
    await fake.waitFor(() => [submit.original, ...submit.followUps].find((x) => x && /flag/i.test(text(x))), 10_000, 'the flag receipt');
    const list = fake.slash(ana, 'quiz', 'flags', {});
    await answerOf(list, 'The why-text of C contradicts the explanation');
  }, 30_000);

  it('in a DM runs viewer commands and refuses operator ones, saying to use a server channel', async () => {
    const dm = snowflake();
    fake.addChannel(dm, [], 1);
    const ok = fake.slash(ana, 'ecs', 'services', {}, dm);
    await answerOf(ok, 'web');
    const no = fake.slash(ana, 'ecs', 'scale', { service: 'web', count: 4 }, dm);
    const cb = await fake.answered(no);
    expect(Number(cb.data?.flags) & 64).toBe(64);
    expect(JSON.stringify(cb.data)).toContain('/ecs scale needs the operator role, and in a DM dockhand grants no server roles: run it in a channel of your server.');
    const mute = fake.slash(ana, 'ecs', 'mute', { service: 'web', duration: '1h' }, dm);
    expect(JSON.stringify((await fake.answered(mute)).data)).toContain('run it in a channel of your server');
  });

  it('/ecs logs --follow posts new lines into a thread started from the command’s reply; /ecs unfollow ends it', async () => {
    const it = fake.slash(bob, 'ecs', 'logs', { service: 'payments', lines: 1, follow: '1m' });
    const parent = await answerOf(it, 'Following for 1m in a thread');
    await fake.waitFor(() => fake.channels.get(parent.id)?.parentId === fake.channelId, 10_000, 'a thread started from the reply');
    await fake.waitFor(() => fake.channelMessages(parent.id).length > 0, 20_000, 'lines in the thread');
    const stop = fake.slash(bob, 'ecs', 'unfollow', {});
    await answerOf(stop, 'Stopped following the logs of payments');
    await fake.waitFor(() => fake.channelMessages(parent.id).find((m) => text(m).includes('Stopped following payments')), 10_000, 'the end note in the thread');
    expect(it.followUps.filter((m) => text(m).includes('payments'))).toEqual([]);
  }, 40_000);

  it('without thread permissions, --follow lines continue as interaction follow-ups with a note saying why', async () => {
    const noThreads = snowflake();
    fake.addChannel(noThreads, ['threads']);
    const it = fake.slash(bob, 'ecs', 'logs', { service: 'payments', lines: 1, follow: '1m' }, noThreads);
    await answerOf(it, 'Following for 1m');
    const note = await fake.waitFor(() => it.followUps.find((m) => text(m).includes('cannot start a thread here')), 10_000, 'the note');
    expect(text(note)).toContain('Create Public Threads and Send Messages in Threads');
    expect(text(note)).toContain('15-minute interaction token');
    await fake.waitFor(() => it.followUps.find((m) => m !== note && m.embeds.some((e) => (e.description ?? '').includes('```'))), 20_000, 'log lines as follow-ups');
    await answerOf(fake.slash(bob, 'ecs', 'unfollow', { service: 'payments' }, noThreads), 'Stopped following');
  }, 40_000);

  it('a forged custom_id gets a private message and runs nothing', async () => {
    // A message with a button, as a crash alert brings one.
    const { messageRef } = await adapter.alertTarget.deliver(fake.channelId, reply([{ kind: 'text', text: 'web crashed' }, { kind: 'actions', buttons: [{ label: 'Status', action: 'run:/ecs status web' }] }]), { idempotencyKey: 'forged-test' });
    const m = fake.messages.get(messageRef)!;
    const audits = (await auditLog.latest(100)).length;
    const it = fake.press(bob, m, '', 'totally-forged');
    const cb = await fake.answered(it);
    expect(Number(cb.data?.flags) & 64).toBe(64);
    expect(JSON.stringify(cb.data)).toContain('not one dockhand knows; nothing was run');
    // A hashed long-action id nobody stored (or one pruned after a day) says so, and runs nothing either.
    const unknown = await fake.answered(fake.press(bob, m, '', 'dh#AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
    expect(Number(unknown.data?.flags) & 64).toBe(64);
    expect(JSON.stringify(unknown.data)).toContain('dockhand no longer knows what this button does');
    expect((await auditLog.latest(100)).length).toBe(audits);
  });
});
