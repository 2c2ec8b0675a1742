/**
 * Reliability: dockhand killed hard (SIGKILL) again and again while it polls, delivers crash alerts
 * to Slack and deploys, then started again on the same SQLite file. Nothing is lost (every task the
 * sandbox stopped is handled, every alert is delivered) and nothing is doubled beyond what README
 * documents (one message Slack accepted just before a kill), and a deploy cut between registering
 * its revision and UpdateService leaves no half-done change once dockhand is back.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { tempDb } from '../e2e/cli.ts';
import { startServerProcess, waitFor, type ServerProcess } from '../e2e/server-process.ts';
import { FakeSlack, type StoredMessage } from '../fakes/slack-api.ts';
import { blockActionBody, postToApp, slashBody } from '../fakes/slack-requests.ts';
import { expectNoLeaks } from './session.ts';

const SECRET = 'hard-kill-signing-secret-0123';
type Btn = { action_id: string; value: string };
const buttonsOf = (m: StoredMessage): Btn[] => (m.blocks as Array<{ type: string; elements?: Btn[] }>).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
const shown = (m: StoredMessage): string => JSON.stringify(m.blocks) + m.text;

describe('SIGKILL during polls, alert delivery and a deploy, then a restart on the same database', () => {
  let sandbox: Sandbox;
  let slack: FakeSlack;
  let server: ServerProcess | undefined;
  let env: Record<string, string>;
  let db: string;
  let kills = 0;

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: 'demo', seed: 13, clock: new SandboxClock({ speed: 20 }) });
    slack = await FakeSlack.start();
    const dir = mkdtempSync(join(tmpdir(), 'dockhand-kill-'));
    writeFileSync(join(dir, 'dockhand.yaml'), 'roles:\n  default: admin\nroutes:\n  - clusters: [demo]\n    slack: C0ALERTS\n');
    db = tempDb();
    env = {
      AWS_ENDPOINT_URL: sandbox.endpoint,
      DOCKHAND_CONFIG: join(dir, 'dockhand.yaml'),
      DOCKHAND_DB: db,
      DOCKHAND_WATCH_EVERY: '5s',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      LOG_LEVEL: 'warn',
    };
  }, 60_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await slack?.close();
    await sandbox?.stop();
  });

  async function kill(): Promise<void> {
    server!.child.kill('SIGKILL');
    await server!.exited;
    kills++;
  }

  const alerts = (): StoredMessage[] => slack.messages.filter((m) => m.channel === 'C0ALERTS');

  it('killed five times while polling and posting: every stopped task is handled, every alert delivered, at most one repeat per kill', async () => {
    server = await startServerProcess(env);
    await waitFor('the first alerts in Slack', () => (alerts().length > 0 ? true : undefined), 60_000);
    // Kill at different points of the poll and delivery cycle: 1.3 s, 2.6 s … after each start.
    for (let i = 1; i <= 5; i++) {
      await new Promise((r) => setTimeout(r, 1_300 * i));
      await kill();
      server = await startServerProcess(env);
    }
    // Stop new crashes, then let the last run poll twice and deliver everything.
    const cluster = sandbox.state.cluster('demo');
    for (const name of cluster.services.keys()) sandbox.state.setFailureMode('demo', name, { kind: 'healthy' });
    const settledAt = sandbox.clock.now();
    await new Promise((r) => setTimeout(r, 12_000));
    const handle = new Database(db, { readonly: true, fileMustExist: true });
    try {
      await waitFor(
        'the outbox to drain',
        () => ((handle.prepare("select count(*) as n from outbox where platform = 'slack' and status = 'pending'").get() as { n: number }).n === 0 ? true : undefined),
        60_000,
      );
      const stopped = [...cluster.tasks.values()].filter((t) => t.lastStatus === 'STOPPED' && (t.stoppedAt ?? 0) < settledAt).map((t) => t.arn);
      const handled = new Set((handle.prepare('select task_arn from watcher_handled_tasks').all() as Array<{ task_arn: string }>).map((r) => r.task_arn));
      expect(stopped.length).toBeGreaterThan(10);
      expect(stopped.filter((arn) => !handled.has(arn))).toEqual([]);
      const failed = handle.prepare("select alert_key, last_error from outbox where status = 'failed'").all();
      expect(failed).toEqual([]);
      const sent = (handle.prepare("select count(*) as n from outbox where platform = 'slack' and status in ('sent', 'folded')").get() as { n: number }).n;
      expect(sent).toBeGreaterThan(3);
    } finally {
      handle.close();
    }
    // The same crash text twice in the channel is a repeat; README allows one per kill.
    const texts = alerts().map((m) => m.text).filter((t) => /Crash/.test(t));
    const repeats = texts.length - new Set(texts).size;
    expect(repeats).toBeLessThanOrEqual(kills);
    expectNoLeaks(server!.out.stderr);
  }, 240_000);

  it('killed after Confirm while UpdateService is slow: after the restart the service runs one revision and no orphan stays ACTIVE', async () => {
    server ??= await startServerProcess(env);
    const url = (): string => `http://127.0.0.1:${server!.port}/slack/events`;
    const revisions = (): Array<{ revision: number; status: string }> => (sandbox.state.taskDefinitions.get('reports') ?? []).map((td) => ({ revision: td.revision, status: td.status }));
    const before = revisions().length;
    const res = await postToApp(url(), slashBody({ command: '/ecs', text: 'deploy reports 0.5.0', user_id: 'U0ANA', channel_id: 'C0REL', response_url: slack.newResponseUrl('C0REL') }), { secret: SECRET });
    expect(res.status).toBe(200);
    const question = await slack.waitFor(() => slack.messages.find((m) => m.channel === 'C0REL' && shown(m).includes('Deploy reports 0.5.0 to reports')), 20_000);
    const confirm = buttonsOf(question).find((b) => b.value.startsWith('confirm:'))!;
    sandbox.faults.set('UpdateService', { latencyMs: 3_000 });
    const press = blockActionBody({ user_id: 'U0ANA', channel_id: 'C0REL', action_id: confirm.action_id, value: confirm.value, response_url: slack.newResponseUrl('C0REL', question.ts), message: { ts: question.ts, blocks: question.blocks } });
    expect((await postToApp(url(), press, { secret: SECRET })).status).toBe(200);
    // The new revision exists and UpdateService is still on its way: kill now.
    await waitFor('the new revision', () => (revisions().length > before ? true : undefined), 20_000);
    await kill();
    sandbox.faults.clear();
    server = await startServerProcess(env);
    await new Promise((r) => setTimeout(r, 3_000));
    const runs = sandbox.state.service(sandbox.state.cluster('demo'), 'reports').taskDefinitionArn;
    const runsRevision = Number(runs.split(':').at(-1));
    // Every ACTIVE revision newer than the one the service runs would be a half-done deploy.
    expect(revisions().filter((r) => r.status === 'ACTIVE' && r.revision > runsRevision)).toEqual([]);
    const handle = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const rows = handle.prepare("select status from deploy_records where service = 'reports'").all() as Array<{ status: string }>;
      expect(rows.length).toBeGreaterThan(0);
      // Nothing is left waiting between the two calls.
      expect(rows.filter((r) => r.status === 'registered')).toEqual([]);
    } finally {
      handle.close();
    }
  }, 120_000);
});
