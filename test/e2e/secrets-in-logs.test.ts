import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { FakeDiscord } from '../fakes/discord-api.ts';
import { postgresUnavailable, usePostgres } from '../fakes/postgres.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { postToApp, slashBody } from '../fakes/slack-requests.ts';
import { startServerProcess, waitFor, type ServerProcess } from './server-process.ts';

// Every secret dockhand can be configured with (the database password is added where PostgreSQL runs).
const SECRETS = {
  DISCORD_TOKEN: 'discord-log-scan-token.0123456789abcdef',
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'e2e-signing-secret-for-the-log-scan',
  AWS_ACCESS_KEY_ID: 'AKIADOCKHANDLOGSCAN1',
  AWS_SECRET_ACCESS_KEY: 'dockhand/log+scan/SECRETvalue0123456789ab',
};

/**
 * One whole server run at LOG_LEVEL=trace, its logs scanned for every configured secret; `database`
 * gives the DATABASE_URL and its password (none: SQLite).
 */
function scanRun(label: string, database: () => { url: string; password: string } | undefined): void {
  describe(label, () => {
    let sandbox: Sandbox;
    let slack: FakeSlack;
    let discord: FakeDiscord;
    let server: ServerProcess;

    beforeAll(async () => {
      sandbox = await startSandbox({ scenario: 'demo' });
      slack = await FakeSlack.start();
      discord = new FakeDiscord({ token: SECRETS.DISCORD_TOKEN });
      await discord.start();
      server = await startServerProcess({
        DISCORD_API_URL: discord.apiUrl,
        ...SECRETS,
        DOCKHAND_BACKEND: 'aws',
        AWS_ENDPOINT_URL: sandbox.endpoint,
        AWS_REGION: 'us-east-1',
        DOCKHAND_CLUSTERS: 'demo',
        DOCKHAND_OPERATORS: 'slack:U0OPS',
        SLACK_API_URL: slack.apiUrl,
        LOG_LEVEL: 'trace',
        ...(database() ? { DATABASE_URL: database()!.url } : {}),
      });
    }, 60_000);

    afterAll(async () => {
      if (server.child.exitCode === null) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
      await sandbox.stop();
      await slack.close();
      await discord.stop();
    });

    it('runs commands, a refused signature, an AWS failure and a stop, and no secret appears in any log line', async () => {
      const events = `http://127.0.0.1:${server.port}/slack/events`;
      const send = async (text: string, user = 'U0OPS'): Promise<void> => {
        const url = slack.newResponseUrl('C0LOGS');
        await postToApp(events, slashBody({ command: '/ecs', text, user_id: user, channel_id: 'C0LOGS', response_url: url }), { secret: SECRETS.SLACK_SIGNING_SECRET });
        await waitFor(`the reply to ${text}`, () => slack.responses.find((r) => r.id === FakeSlack.responseId(url)));
      };
      await send('services');
      await send('status web');
      await send('logs web --lines 5');
      await send('scale web 3');
      // A request signed with the wrong secret, and an AWS call that is denied.
      await postToApp(events, slashBody({ command: '/ecs', text: 'services', user_id: 'U0OPS', response_url: slack.newResponseUrl('C0LOGS') }), { secret: 'wrong-secret-0123456789' });
      sandbox.faults.set('DescribeServices', { accessDenied: true });
      await send('status api');
      sandbox.faults.clear('DescribeServices');
      expect(server.out.stderr).toContain('discord');
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);

      const logs = server.out.stderr + server.out.stdout;
      const lines = logs.split('\n').filter((l) => l.startsWith('{'));
      // Each command logs its arrival and its end under one request id.
      expect(lines.filter((l) => l.includes('"msg":"command"')).length).toBeGreaterThanOrEqual(5);
      expect(lines.some((l) => /"requestId":"cmd-\d+".*"outcome":"ok"/.test(l))).toBe(true);
      const db = database();
      const secrets: Record<string, string> = { ...SECRETS, ...(db ? { 'the database password': db.password } : {}) };
      if (db) expect(logs).toContain('database: PostgreSQL');
      for (const [name, value] of Object.entries(secrets)) expect(logs, `${name} in the logs`).not.toContain(value);
      // Nor in any reply the chat side received.
      const replies = JSON.stringify(slack.responses);
      for (const [name, value] of Object.entries(secrets)) expect(replies, `${name} in a reply`).not.toContain(value);
    }, 90_000);
  });
}

scanRun('a whole server run at LOG_LEVEL=trace leaks no configured secret', () => undefined);

describe.skipIf(postgresUnavailable)('on PostgreSQL', () => {
  const pg = usePostgres();
  scanRun('a whole server run on DATABASE_URL at LOG_LEVEL=trace leaks no secret, the database password included', () => ({ url: pg.url, password: pg.cluster.password }));
});
