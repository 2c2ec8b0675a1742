import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { configuredSecrets, secretRedactor } from '../../src/config/redact.ts';

function capture(env: NodeJS.ProcessEnv): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ hooks: { streamWrite: secretRedactor(configuredSecrets(env)) } }, sink), lines };
}

describe('secrets in logs', () => {
  const env = {
    SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdef',
    SLACK_SIGNING_SECRET: 'sign-me-0123456789',
    DISCORD_TOKEN: 'MTA.discord.token"with-quote',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    DATABASE_URL: 'postgres://dockhand:s3cr%40t-pass@db.internal:5432/dockhand',
    LOG_LEVEL: 'info',
  };

  it('hides every configured secret wherever it appears in a line: message, error text, nested field', () => {
    const { log, lines } = capture(env);
    log.info({ call: { url: `https://slack.com/api/auth.test?token=${env.SLACK_BOT_TOKEN}` } }, `signing with ${env.SLACK_SIGNING_SECRET}`);
    log.error({ err: new Error(`gateway refused ${env.DISCORD_TOKEN}`) }, 'discord');
    log.warn({ aws: { secret: env.AWS_SECRET_ACCESS_KEY } }, 'credentials');
    log.warn({}, `cannot reach ${env.DATABASE_URL}`);
    log.warn({}, 'password alone: s3cr@t-pass');
    const all = lines.join('');
    for (const s of [env.SLACK_BOT_TOKEN, env.SLACK_SIGNING_SECRET, 'MTA.discord.token', env.AWS_SECRET_ACCESS_KEY, 's3cr%40t-pass', 's3cr@t-pass']) {
      expect(all).not.toContain(s);
    }
    expect(all).toContain('<hidden>');
    // What is not secret stays readable.
    expect(all).toContain('https://slack.com/api/auth.test?token=<hidden>');
    expect(all).toContain('cannot reach <hidden>');
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('leaves lines alone when no secret is configured, and ignores values too short to be secrets', () => {
    const { log, lines } = capture({ SLACK_SIGNING_SECRET: 'abc' });
    log.info({}, 'abc is not hidden');
    expect(lines.join('')).toContain('abc is not hidden');
  });
});
