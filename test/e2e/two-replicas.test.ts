/**
 * Two dockhand replicas (`node --import tsx src/main.ts`, Slack over HTTP) on one PostgreSQL and one
 * standalone sandbox, alerts routed to the Slack stand-in. What a team running dockhand as an ECS
 * service with desired count 2 would notice:
 * - many crashes with the leader killed (SIGKILL) twice: every stopped task is handled and alerted
 *   once across both (at most the one repeat per kill README documents for Slack);
 * - a Confirm pressed on the replica that did not ask scales, once;
 * - a follow-up whose replica was killed is finished by the other;
 * - a quiz question answered through both replicas counts each member once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { postgresUnavailable, quizTimerOwner, usePostgres } from '../fakes/postgres.ts';
import { FakeSlack, type StoredMessage } from '../fakes/slack-api.ts';
import { blockActionBody, postToApp, slashBody } from '../fakes/slack-requests.ts';
import { startServerProcess, waitFor, type ServerProcess } from './server-process.ts';

const SECRET = 'two-replicas-signing-secret-01';
type Btn = { action_id: string; value: string };
const buttonsOf = (m: StoredMessage): Btn[] => (m.blocks as Array<{ type: string; elements?: Btn[] }>).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
const shown = (m: StoredMessage): string => JSON.stringify(m.blocks) + m.text;

describe.skipIf(postgresUnavailable)('two replicas on one PostgreSQL', () => {
  const server = usePostgres();
  let sandbox: Sandbox;
  let slack: FakeSlack;
  let env: Record<string, string>;
  const replicas: ServerProcess[] = [];
  let kills = 0;
  const tookOver: number[] = [];

  async function query<T>(text: string): Promise<T[]> {
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    try {
      return (await c.query(text)).rows as T[];
    } finally {
      await c.end();
    }
  }

  async function isLeader(r: ServerProcess): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${r.healthPort}/metrics`);
      return /^dockhand_leader 1$/m.test(await res.text());
    } catch {
      return false;
    }
  }

  async function leader(within = 30_000): Promise<ServerProcess> {
    const end = Date.now() + within;
    for (;;) {
      const found: ServerProcess[] = [];
      for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null && (await isLeader(r))) found.push(r);
      expect(found.length).toBeLessThanOrEqual(1);
      if (found[0]) return found[0];
      if (Date.now() > end) throw new Error('no replica leads');
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  /** SIGKILLs a leader, checks the other replica leads within two poll intervals (5 s each), and starts a replacement. */
  async function killAndReplace(r: ServerProcess): Promise<void> {
    r.child.kill('SIGKILL');
    await r.exited;
    const killedAt = Date.now();
    kills++;
    replicas.splice(replicas.indexOf(r), 1);
    await leader(10_000);
    tookOver.push(Date.now() - killedAt);
    replicas.push(await startServerProcess(env));
  }

  const url = (r: ServerProcess): string => `http://127.0.0.1:${r.port}/slack/events`;
  const inChannel = (c: string): StoredMessage[] => slack.messages.filter((m) => m.channel === c);

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: 'demo', seed: 29, clock: new SandboxClock({ speed: 20 }) });
    slack = await FakeSlack.start();
    const dir = mkdtempSync(join(tmpdir(), 'dockhand-replicas-'));
    writeFileSync(join(dir, 'dockhand.yaml'), 'roles:\n  default: admin\nroutes:\n  - clusters: [demo]\n    slack: C0ALERTS\n');
    env = {
      AWS_ENDPOINT_URL: sandbox.endpoint,
      DOCKHAND_CONFIG: join(dir, 'dockhand.yaml'),
      DATABASE_URL: server.url,
      DOCKHAND_WATCH_EVERY: '5s',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      LOG_LEVEL: 'warn',
    };
    replicas.push(await startServerProcess(env), await startServerProcess(env));
  }, 120_000);

  afterAll(async () => {
    for (const r of replicas) {
      if (r.child.exitCode === null && r.child.signalCode === null) {
        r.child.kill('SIGKILL');
        await r.exited;
      }
    }
    await slack?.close();
    await sandbox?.stop();
  });

  it('alerts every crash once across both while the leader is SIGKILLed twice', async () => {
    const cluster = sandbox.state.cluster('demo');
    const names = [...cluster.services.keys()];
    for (const name of names) sandbox.state.setFailureMode('demo', name, { kind: 'crash', runMs: 30_000 });
    const stoppedCount = (): number => [...cluster.tasks.values()].filter((t) => t.lastStatus === 'STOPPED').length;
    await waitFor('the first alerts', () => (inChannel('C0ALERTS').length > 0 ? true : undefined), 60_000);
    await killAndReplace(await leader());
    await waitFor('25 stopped tasks', () => (stoppedCount() >= 25 ? true : undefined), 90_000);
    await killAndReplace(await leader());
    await waitFor('50 stopped tasks', () => (stoppedCount() >= 50 ? true : undefined), 90_000);
    // No more crashes; the leader (a new one after each kill) polls and delivers what is left.
    for (const name of names) sandbox.state.setFailureMode('demo', name, { kind: 'healthy' });
    const settledAt = sandbox.clock.now();
    await leader();
    await new Promise((r) => setTimeout(r, 8_000));
    const end = Date.now() + 60_000;
    while ((await query<{ n: string }>("select count(*) as n from outbox where status = 'pending'"))[0]!.n !== '0') {
      if (Date.now() > end) throw new Error('the outbox did not drain');
      await new Promise((r) => setTimeout(r, 500));
    }
    const stopped = [...cluster.tasks.values()].filter((t) => t.lastStatus === 'STOPPED' && (t.stoppedAt ?? 0) < settledAt).map((t) => t.arn);
    const handled = new Set((await query<{ task_arn: string }>('select task_arn from watcher_handled_tasks')).map((r) => r.task_arn));
    expect(stopped.length).toBeGreaterThanOrEqual(50);
    expect(stopped.filter((arn) => !handled.has(arn))).toEqual([]);
    expect(await query("select alert_key from outbox where status = 'failed'")).toEqual([]);
    // The same alert text twice is a repeat; README allows one per kill (Slack has no idempotency key).
    const texts = inChannel('C0ALERTS').map((m) => m.text);
    expect(texts.length - new Set(texts).size).toBeLessThanOrEqual(kills);
    expect(kills).toBe(2);
    expect(tookOver).toHaveLength(2);
    // Followers serve chat too: every replica is ready, and exactly one leads.
    for (const r of replicas) expect((await fetch(`http://127.0.0.1:${r.healthPort}/readyz`)).status).toBe(200);
    expect((await Promise.all(replicas.map(isLeader))).filter(Boolean)).toHaveLength(1);
  }, 360_000);

  it('scales when Confirm is pressed on the replica that did not ask, and the other replica finishes the follow-up when that one is killed', async () => {
    const [asker, presser] = replicas as [ServerProcess, ServerProcess];
    const desired = (): number => sandbox.state.service(sandbox.state.cluster('demo'), 'web').desiredCount;
    const before = desired();
    const target = before * 2 + 1;
    const res = await postToApp(url(asker), slashBody({ command: '/ecs', text: `scale web ${target}`, user_id: 'U0ANA', user_name: 'ana', channel_id: 'C0OPS', response_url: slack.newResponseUrl('C0OPS') }), { secret: SECRET });
    expect(res.status).toBe(200);
    const question = await slack.waitFor(() => inChannel('C0OPS').find((m) => buttonsOf(m).some((b) => b.value.startsWith('confirm:'))), 20_000);
    const confirm = buttonsOf(question).find((b) => b.value.startsWith('confirm:'))!;
    const press = blockActionBody({ user_id: 'U0ANA', user_name: 'ana', channel_id: 'C0OPS', action_id: confirm.action_id, value: confirm.value, response_url: slack.newResponseUrl('C0OPS', question.ts), message: { ts: question.ts, blocks: question.blocks } });
    expect((await postToApp(url(presser), press, { secret: SECRET })).status).toBe(200);
    await slack.waitFor(() => (question.edits > 0 ? true : undefined), 20_000);
    expect(shown(question)).toContain(`Scaling web ${before} → ${target}`);
    expect(desired()).toBe(target);
    // A second press (Slack retrying elsewhere, or a double click) changes nothing.
    const again = blockActionBody({ user_id: 'U0ANA', user_name: 'ana', channel_id: 'C0OPS', action_id: confirm.action_id, value: confirm.value, response_url: slack.newResponseUrl('C0OPS', question.ts), message: { ts: question.ts, blocks: question.blocks } });
    await postToApp(url(asker), again, { secret: SECRET });
    // The replica following the scale dies before it can post; the other finishes it.
    presser.child.kill('SIGKILL');
    await presser.exited;
    kills++;
    replicas.splice(replicas.indexOf(presser), 1);
    expect(inChannel('C0OPS').some((m) => /web is steady/.test(shown(m)))).toBe(false);
    const steady = await slack.waitFor(() => inChannel('C0OPS').find((m) => /web is steady/.test(shown(m))), 60_000);
    expect(shown(steady)).toContain(`${target}/${target} running`);
    expect(inChannel('C0OPS').filter((m) => /web is steady/.test(shown(m)))).toHaveLength(1);
    const rows = await query<{ outcome: string; command: string }>("select outcome, command from audit_log where command like '/ecs scale web%' order by id");
    expect(rows.map((r) => r.outcome)).toEqual(['ok']);
    replicas.push(await startServerProcess(env));
  }, 120_000);

  it('counts each member once when a quiz question is answered through both replicas', async () => {
    const [a, b] = replicas as [ServerProcess, ServerProcess];
    await postToApp(url(a), slashBody({ command: '/quiz', text: 'ecs --questions 1 --timer 10s', user_id: 'U0ANA', user_name: 'ana', channel_id: 'C0STUDY', response_url: slack.newResponseUrl('C0STUDY') }), { secret: SECRET });
    const question = await slack.waitFor(() => inChannel('C0STUDY').find((m) => buttonsOf(m).length > 0), 20_000);
    const [first, second] = buttonsOf(question) as [Btn, Btn];
    const pressAs = async (r: ServerProcess, user: string, name: string, btn: Btn): Promise<void> => {
      const body = blockActionBody({ user_id: user, user_name: name, channel_id: 'C0STUDY', action_id: btn.action_id, value: btn.value, response_url: slack.newResponseUrl('C0STUDY', question.ts), message: { ts: question.ts, blocks: question.blocks } });
      expect((await postToApp(url(r), body, { secret: SECRET })).status).toBe(200);
    };
    await Promise.all([pressAs(a, 'U0ANA', 'ana', first), pressAs(b, 'U0ANA', 'ana', second), pressAs(b, 'U0BOB', 'bob', second)]);
    const reveal = await slack.waitFor(() => inChannel('C0STUDY').find((m) => shown(m).includes('Answer: ')), 40_000);
    const text = shown(reveal);
    // Two members, two answers: ana's second press (on the other replica) did not count again.
    const tally = /How it was answered: ([^"]*)"/.exec(text)?.[1] ?? '';
    expect([...tally.matchAll(/[A-D] (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0)).toBe(2);
    const outcomes = [...text.matchAll(/(?:Right|Missed): ([^"]*)"/g)].map((m) => m[1]).join(' ');
    expect(outcomes.match(/\bana\b/g)).toHaveLength(1);
    expect(outcomes.match(/\bbob\b/g)).toHaveLength(1);
    const answers = await query<{ user_id: string; n: string }>('select user_id, count(*) as n from quiz_answers group by user_id order by user_id');
    expect(answers).toEqual([
      { user_id: 'U0ANA', n: '1' },
      { user_id: 'U0BOB', n: '1' },
    ]);
  }, 90_000);

  it('keeps a confirmation asked on a replica that stops cleanly (SIGTERM, as in a rolling deploy) answerable on the other', async () => {
    const [asker, other] = replicas as [ServerProcess, ServerProcess];
    const desired = (): number => sandbox.state.service(sandbox.state.cluster('demo'), 'api').desiredCount;
    const target = desired() * 2 + 2;
    await postToApp(url(asker), slashBody({ command: '/ecs', text: `scale api ${target}`, user_id: 'U0ANA', user_name: 'ana', channel_id: 'C0ROLL', response_url: slack.newResponseUrl('C0ROLL') }), { secret: SECRET });
    const question = await slack.waitFor(() => inChannel('C0ROLL').find((m) => buttonsOf(m).some((b) => b.value.startsWith('confirm:'))), 20_000);
    asker.child.kill('SIGTERM');
    expect(await asker.exited).toBe(0);
    replicas.splice(replicas.indexOf(asker), 1);
    const confirm = buttonsOf(question).find((b) => b.value.startsWith('confirm:'))!;
    const press = blockActionBody({ user_id: 'U0ANA', user_name: 'ana', channel_id: 'C0ROLL', action_id: confirm.action_id, value: confirm.value, response_url: slack.newResponseUrl('C0ROLL', question.ts), message: { ts: question.ts, blocks: question.blocks } });
    expect((await postToApp(url(other), press, { secret: SECRET })).status).toBe(200);
    await slack.waitFor(() => (question.edits > 0 ? true : undefined), 20_000);
    expect(shown(question)).toContain(`→ ${target}`);
    expect(desired()).toBe(target);
    replicas.push(await startServerProcess(env));
  }, 120_000);

  it('reveals a timed question once, on time, by the leader, when the follower that asked it is SIGKILLed before time is up', async () => {
    const lead = await leader();
    const follower = replicas.find((r) => r !== lead)!;
    await postToApp(url(follower), slashBody({ command: '/quiz', text: 'ecs --questions 1 --timer 10s', user_id: 'U0ANA', user_name: 'ana', channel_id: 'C0TIMER', response_url: slack.newResponseUrl('C0TIMER') }), { secret: SECRET });
    await slack.waitFor(() => inChannel('C0TIMER').find((m) => buttonsOf(m).length > 0), 20_000);
    const askedAt = Date.now();
    // The follower hands the timer to the leader (a job the leader picks up within half a second); the
    // follower then dies mid-question and leadership does not change.
    expect(await quizTimerOwner(server.url)).toContain(`:${lead.child.pid}:`);
    follower.child.kill('SIGKILL');
    await follower.exited;
    kills++;
    replicas.splice(replicas.indexOf(follower), 1);
    const revealed = (): StoredMessage[] => inChannel('C0TIMER').filter((m) => shown(m).includes('Answer: '));
    // Time is up 10 s after the question, and the leader holds the timer: the reveal comes on time, not a lease later.
    await slack.waitFor(() => (revealed().length > 0 ? true : undefined), 30_000);
    expect(Date.now() - askedAt).toBeLessThan(15_000);
    expect(shown(revealed()[0]!)).toContain('Time is up');
    expect(await leader()).toBe(lead);
    // Once: nobody else reveals it again (the leader does not resume a timer a live job holds or held).
    await new Promise((r) => setTimeout(r, 6_000));
    expect(revealed()).toHaveLength(1);
    replicas.push(await startServerProcess(env));
  }, 120_000);
});
