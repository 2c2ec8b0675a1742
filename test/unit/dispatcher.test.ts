import { beforeEach, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import type { Logger } from '../../src/core/logger.ts';
import { replyToPlainText, type Reply } from '../../src/core/reply.ts';
import { defaultSettings, type CoreSettings } from '../../src/core/settings.ts';
import { SqliteAuditLog } from '../../src/db/audit-log.ts';
import { openDatabase } from '../../src/db/client.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { calls, testCommands } from '../fakes/test-commands.ts';

const viewer: Caller = { platform: 'slack', workspaceId: 'T1', channelId: 'C1', userId: 'UVIEW', displayName: 'vera' };
const operator: Caller = { ...viewer, userId: 'UOPS', displayName: 'otto' };
const operator2: Caller = { ...viewer, userId: 'UOPS2', displayName: 'olga' };
const admin: Caller = { ...viewer, userId: 'UADM', displayName: 'ada' };

interface Logged { obj: object; msg?: string }

function setup(overrides: Partial<CoreSettings> = {}) {
  const clock = new FakeClock();
  const { db } = openDatabase(':memory:');
  const audit = new SqliteAuditLog(db);
  const logged: Logged[] = [];
  const log: Logger = {
    debug() {},
    info() {},
    warn() {},
    error(obj, msg) {
      logged.push({ obj, msg });
    },
    child() {
      return log;
    },
  };
  const settings = defaultSettings({
    userRoles: new Map([
      ['slack:UOPS', 'operator'],
      ['slack:UOPS2', 'operator'],
      ['slack:UADM', 'admin'],
    ]),
    ...overrides,
  });
  const dispatcher = new Dispatcher({ commands: testCommands, ports: { clock, audit }, settings, log });
  return { clock, audit, dispatcher, logged };
}

const text = (r: Reply): string => replyToPlainText(r);
const confirmAction = (r: Reply): string => {
  for (const b of r.blocks) if (b.kind === 'actions') return b.buttons.find((x) => x.label === 'Confirm')!.action;
  throw new Error('no confirm button');
};
const cancelAction = (r: Reply): string => confirmAction(r).replace('confirm:', 'cancel:');

beforeEach(() => {
  calls.length = 0;
});

describe('help is filtered by role', () => {
  it('hides operator and admin commands from a viewer', async () => {
    const { dispatcher } = setup();
    const t = text((await dispatcher.run('/help', viewer)).reply);
    expect(t).toContain('/svc list');
    expect(t).toContain('/svc logs <service>');
    expect(t).not.toContain('/svc scale');
    expect(t).not.toContain('/svc nuke');
    expect(t).toContain('You are a viewer;');
  });
  it('shows scale to an operator with usage and example, but not admin commands', async () => {
    const { dispatcher } = setup();
    const t = text((await dispatcher.run('/svc help', operator)).reply);
    expect(t).toContain('/svc scale <service> <count>');
    expect(t).toContain('/svc scale web 5');
    expect(t).not.toContain('nuke');
  });
  it('shows everything to an admin', async () => {
    const { dispatcher } = setup();
    expect(text((await dispatcher.run('/help', admin)).reply)).toContain('/svc nuke');
  });
  it('describes one subcommand with its options', async () => {
    const { dispatcher } = setup();
    const t = text((await dispatcher.run('/svc logs help', viewer)).reply);
    expect(t).toContain('--since');
    expect(t).toContain('Example: /svc logs web --since 15m');
  });
});

describe('authorization', () => {
  it('refuses a viewer with a message naming the role needed, and runs nothing', async () => {
    const { dispatcher, audit } = setup();
    const r = (await dispatcher.run('/svc scale web 3', viewer)).reply;
    expect(text(r)).toContain('/svc scale needs the operator role; you are a viewer');
    expect(r.visibility).toBe('ephemeral');
    expect(calls).toEqual([]);
    expect((await audit.latest(1))[0]).toMatchObject({ outcome: 'denied', command: '/svc scale web 3', userId: 'UVIEW' });
  });
  it('lets platform roles (user groups) raise the role', async () => {
    const { dispatcher } = setup();
    const r = (await dispatcher.run('/svc scale web 3', { ...viewer, platformRoles: ['operator'] })).reply;
    expect(text(r)).toContain('Scaling web → 3');
  });
});

describe('confirmation', () => {
  it('runs small changes at once', async () => {
    const { dispatcher } = setup();
    expect(text((await dispatcher.run('/svc scale web 3', operator)).reply)).toBe('Scaling web → 3');
    expect(calls).toEqual(['scale web 3']);
  });
  it('asks first, runs only on Confirm by the caller', async () => {
    const { dispatcher, audit } = setup();
    const ask = (await dispatcher.run('/svc scale web 10', operator)).reply;
    expect(text(ask)).toContain('Scale web to 10?');
    expect(text(ask)).toContain('Expires in 2m');
    expect(calls).toEqual([]);
    expect((await audit.latest(1))[0]!.outcome).toBe('pending');
    const done = (await dispatcher.press(confirmAction(ask), operator)).reply;
    expect(text(done)).toBe('Scaling web → 10');
    expect(done.replaceOriginal).toBe(true);
    expect(calls).toEqual(['scale web 10']);
    expect((await audit.latest(1))[0]!.outcome).toBe('ok');
    const again = (await dispatcher.press(confirmAction(ask), operator)).reply;
    expect(text(again)).toContain('already answered');
    expect(calls).toEqual(['scale web 10']);
  });
  it('after Confirm, a failure replaces the question publicly with "did not complete" and tells only the caller why', async () => {
    const { dispatcher, audit } = setup();
    const ask = (await dispatcher.run('/svc scale boom 10', operator)).reply;
    const done = await dispatcher.press(confirmAction(ask), operator);
    expect(done.outcome).toBe('error');
    expect(done.reply.visibility).toBe('channel');
    expect(done.reply.replaceOriginal).toBe(true);
    expect(text(done.reply)).toContain('`/svc scale boom 10` did not complete; nothing more was done. otto was shown why.');
    expect(text(done.reply)).not.toContain('error id');
    const posted: Reply[] = [];
    await done.followUp?.(async (r) => void posted.push(r));
    expect(posted).toHaveLength(1);
    expect(posted[0]!.visibility).toBe('ephemeral');
    expect(posted[0]!.replaceOriginal).toBeUndefined();
    expect(text(posted[0]!)).toMatch(/something went wrong running `\/svc scale boom 10` \(error id E-/);
    expect((await audit.latest(1))[0]!.outcome).toBe('error');
  });
    it('refuses another user, audits the attempt, and still lets the caller confirm', async () => {
    const { dispatcher, audit } = setup();
    const ask = (await dispatcher.run('/svc scale web 0', operator)).reply;
    const refused = (await dispatcher.press(confirmAction(ask), operator2)).reply;
    expect(text(refused)).toContain('only otto, who ran `/svc scale web 0`, can confirm it');
    expect(refused.visibility).toBe('ephemeral');
    expect(calls).toEqual([]);
    expect((await audit.latest(1))[0]).toMatchObject({ outcome: 'denied', userId: 'UOPS2' });
    await dispatcher.press(confirmAction(ask), operator);
    expect(calls).toEqual(['scale web 0']);
  });
  it('lets another operator confirm where config allows, but never a viewer', async () => {
    const { dispatcher } = setup({ operatorsMayConfirm: true });
    const ask = (await dispatcher.run('/svc scale web 0', operator)).reply;
    expect(text((await dispatcher.press(confirmAction(ask), viewer)).reply)).toContain('only otto');
    expect(calls).toEqual([]);
    expect(text((await dispatcher.press(confirmAction(ask), operator2)).reply)).toBe('Scaling web → 0');
  });
  it('expires after 2 minutes, then does nothing and says so', async () => {
    const { dispatcher, clock, audit } = setup();
    const ask = (await dispatcher.run('/svc scale web 10', operator)).reply;
    await clock.advance(121_000);
    const late = (await dispatcher.press(confirmAction(ask), operator)).reply;
    expect(text(late)).toContain('expired after 2m; nothing was changed');
    expect(calls).toEqual([]);
    expect((await audit.latest(1))[0]).toMatchObject({ outcome: 'expired', command: '/svc scale web 10' });
  });
  it('remembers expired confirmations for a day and at most 1,000, so a long-running bot does not grow', async () => {
    const { dispatcher, clock } = setup();
    const asks: Reply[] = [];
    for (let i = 0; i < 1_005; i++) asks.push((await dispatcher.run('/svc scale web 10', operator)).reply);
    await clock.advance(121_000);
    await dispatcher.sweepExpired();
    expect(text((await dispatcher.press(confirmAction(asks[0]!), operator)).reply)).toContain('already answered or is unknown');
    expect(text((await dispatcher.press(confirmAction(asks[1_004]!), operator)).reply)).toContain('expired after 2m');
    await clock.advance(86_400_000);
    expect(text((await dispatcher.press(confirmAction(asks[1_004]!), operator)).reply)).toContain('already answered or is unknown');
    expect(calls).toEqual([]);
  });
  it('marks an unanswered confirmation expired in the audit log when its time is up, without waiting for the next command', async () => {
    const { dispatcher, clock, audit } = setup({ confirmExpiryMs: 50 });
    await dispatcher.run('/svc scale web 10', operator);
    expect((await audit.latest(1))[0]!.outcome).toBe('pending');
    await clock.advance(60);
    await new Promise((r) => setTimeout(r, 300));
    expect((await audit.latest(1))[0]).toMatchObject({ outcome: 'expired', command: '/svc scale web 10' });
  });
  it('is still valid just before expiry', async () => {
    const { dispatcher, clock } = setup();
    const ask = (await dispatcher.run('/svc scale web 10', operator)).reply;
    await clock.advance(119_000);
    expect(text((await dispatcher.press(confirmAction(ask), operator)).reply)).toBe('Scaling web → 10');
  });
  it('cancel does nothing and is audited', async () => {
    const { dispatcher, audit } = setup();
    const ask = (await dispatcher.run('/svc scale web 10', operator)).reply;
    const cancelled = text((await dispatcher.press(cancelAction(ask), operator)).reply);
    expect(cancelled).toContain('Cancelled `/svc scale web 10`; nothing was changed.');
    // The question names what it was about (for /ecs: cluster, region, sandbox), so the cancel does too.
    expect(cancelled).toContain(`It asked: ${text(ask).split('\n')[0]!.replace(/^❓ /, '')}`);
    expect(calls).toEqual([]);
    expect((await audit.latest(1))[0]!.outcome).toBe('cancelled');
  });
});

describe('errors never reach chat as stack traces', () => {
  it('shows an error id; the log has the details under it', async () => {
    const { dispatcher, logged, audit } = setup();
    const r = (await dispatcher.run('/svc boom', viewer)).reply;
    const t = text(r);
    const id = /error id (E-[A-Z0-9]{6})/.exec(t)?.[1];
    expect(id).toBeDefined();
    expect(t).not.toContain('secret internal detail');
    expect(t).not.toMatch(/at .*\.ts:\d+/);
    expect(logged[0]!.obj).toMatchObject({ errorId: id });
    expect((await audit.latest(1))[0]).toMatchObject({ outcome: 'error', detail: id });
  });
});

describe('a failure outside the handler (the audit database) is an error id too, never a rejection', () => {
  it('refuses to run when the audit row cannot be written, and answers with an error id', async () => {
    const { dispatcher, audit, logged } = setup();
    audit.begin = async () => {
      throw new Error('SQLITE_READONLY: attempt to write a readonly database');
    };
    const r = await dispatcher.run('/svc list', viewer);
    expect(text(r.reply)).toMatch(/something went wrong running `\/svc list` \(error id E-[A-Z0-9]{6}\)/);
    expect(text(r.reply)).not.toContain('SQLITE');
    expect(calls).toEqual([]);
    expect(logged).toHaveLength(1);
    // A script's exit code comes from the outcome: it must say error even though no audit row holds it.
    expect(r.outcome).toBe('error');
    const b = await dispatcher.press('run:/svc list', viewer);
    expect(text(b.reply)).toMatch(/error id E-/);
    expect(b.outcome).toBe('error');
  });
  it('says error when the handler fails and its audit row cannot be completed either (the database went away mid-command)', async () => {
    const { dispatcher, audit } = setup();
    audit.finish = async () => {
      throw new Error('Connection terminated unexpectedly');
    };
    const r = await dispatcher.run('/svc boom', viewer);
    expect(text(r.reply)).toMatch(/something went wrong running `\/svc boom` \(error id E-/);
    expect(r.outcome).toBe('error');
    const bad = await dispatcher.run('/svc nosuch', viewer);
    expect(bad.outcome).toBe('invalid');
  });
  it('still shows the handler\'s reply when only completing the audit row fails', async () => {
    const { dispatcher, audit, logged } = setup();
    audit.finish = async () => {
      throw new Error('SQLITE_BUSY');
    };
    const r = await dispatcher.run('/svc list', viewer);
    expect(text(r.reply)).not.toMatch(/error id/);
    expect(logged[0]!.msg).toBe('could not complete the audit row');
    expect(r.outcome).toBe('ok');
  });
});

describe('audit: one row per attempt, with its outcome', () => {
  it('records ok, invalid, denied, error, cancelled and expired', async () => {
    const { dispatcher, audit, clock } = setup();
    await dispatcher.run('/svc list', viewer);
    await dispatcher.run('/svc scale web -3', operator);
    await dispatcher.run('/svc nuke', operator);
    await dispatcher.run('/svc boom', viewer);
    const a = (await dispatcher.run('/svc scale web 9', operator)).reply;
    await dispatcher.press(cancelAction(a), operator);
    await dispatcher.run('/svc scale api 9', operator);
    await clock.advance(200_000);
    await dispatcher.sweepExpired();
    const rows = (await audit.latest(10)).reverse();
    expect(rows.map((r) => [r.command, r.outcome])).toEqual([
      ['/svc list', 'ok'],
      ['/svc scale web -3', 'invalid'],
      ['/svc nuke', 'denied'],
      ['/svc boom', 'error'],
      ['/svc scale web 9', 'cancelled'],
      ['/svc scale api 9', 'expired'],
    ]);
    for (const r of rows) {
      expect(r).toMatchObject({ platform: 'slack', workspaceId: 'T1', channelId: 'C1' });
      expect(r.durationMs).not.toBeNull();
    }
  });
});

describe('follow-ups', () => {
  it('post later through the adapter and are tracked until done', async () => {
    const { dispatcher, clock } = setup();
    const r = await dispatcher.run('/svc watch', viewer);
    expect(text(r.reply)).toBe('watching');
    const posted: string[] = [];
    void r.followUp!(async (x) => {
      posted.push(text(x));
    });
    expect(dispatcher.busy).toBe(1);
    await clock.advance(30_000);
    await dispatcher.idle();
    expect(posted).toEqual(['steady now']);
    expect(dispatcher.busy).toBe(0);
  });
  it('a follow-up that throws posts an error id, never the error', async () => {
    const { dispatcher, clock, logged } = setup();
    const r = await dispatcher.run('/svc watch --fail', viewer);
    const posted: string[] = [];
    void r.followUp!(async (x) => {
      posted.push(text(x));
    });
    await clock.advance(30_000);
    await dispatcher.idle();
    expect(posted[0]).toMatch(/failed \(error id E-[A-Z0-9]{6}\)/);
    expect(posted[0]).not.toContain('exploded');
    expect(logged).toHaveLength(1);
  });
  it('abortAll stops follow-ups without posting errors', async () => {
    const { dispatcher } = setup();
    const r = await dispatcher.run('/svc watch', viewer);
    const posted: string[] = [];
    void r.followUp!(async (x) => {
      posted.push(text(x));
    });
    dispatcher.abortAll();
    await dispatcher.idle();
    expect(posted).toEqual([]);
  });
});
