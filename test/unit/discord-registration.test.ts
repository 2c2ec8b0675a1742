/**
 * The Discord registration payload: built from the real command definitions, within every limit
 * Discord documents (checked both by the registration code and by the stand-in's own rules), and
 * a definition that cannot fit fails naming the command and the limit.
 */
import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import { main as registerMain } from '../../src/adapters/discord/register-cli.ts';
import { buildCommands, checkCommands, inviteUrl, RegistrationError } from '../../src/adapters/discord/registration.ts';
import type { CommandDef } from '../../src/core/command.ts';
import { defineSubcommand } from '../../src/core/command.ts';
import { textReply } from '../../src/core/reply.ts';
import { FakeDiscord } from '../fakes/discord-api.ts';
import { checkCommand } from '../fakes/discord-limits.ts';

function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return registerMain(argv, env, (s) => (out += s), (s) => (err += s)).then((code) => ({ code, out, err }));
}

describe('Discord command registration', () => {
  const payload = buildCommands(commands);

  it('registers one command per group plus /help, with subcommands, typed options and required options first', () => {
    expect(payload.map((c) => c.name)).toEqual(['ecs', 'quiz', 'audit', 'help']);
    const ecs = payload[0]!;
    const scale = ecs.options.find((o) => o.name === 'scale')!;
    expect(scale.type).toBe(1);
    expect(scale.options?.map((o) => [o.name, o.type, o.required ?? false])).toEqual([
      ['service', 3, true],
      ['count', 4, true],
      ['cluster', 3, false],
    ]);
    expect(scale.options?.[0]?.autocomplete).toBe(true);
    const count = scale.options![1]!;
    expect(count.min_value).toBe(0);
    const logs = ecs.options.find((o) => o.name === 'logs')!;
    expect(logs.options?.find((o) => o.name === 'since')).toMatchObject({ type: 3 });
    expect(ecs.options.map((o) => o.name)).toContain('unfollow');
    const rate = payload[1]!.options.find((o) => o.name === 'rate')!;
    expect(rate.options?.[0]?.choices?.length).toBeGreaterThan(1);
  });

  it('keeps every command within every Discord limit, as the stand-in checks them too', () => {
    expect(() => checkCommands(payload)).not.toThrow();
    payload.forEach((c, i) => expect(checkCommand(c as never, i)).toBeNull());
    // Descriptions are the help text too: every one of them fits Discord's 100.
    for (const c of commands) {
      expect(c.description.length).toBeLessThanOrEqual(100);
      for (const s of c.subcommands) {
        expect(s.description.length, `/${c.name} ${s.name}`).toBeLessThanOrEqual(100);
        for (const o of s.options) expect(o.description.length, `/${c.name} ${s.name} ${o.name}`).toBeLessThanOrEqual(100);
      }
    }
  });

  it('fails naming the command and the limit when a definition cannot fit', () => {
    const bad: CommandDef = {
      name: 'Deploy',
      description: 'x'.repeat(101),
      subcommands: [
        defineSubcommand({
          name: 'go',
          description: 'Go',
          options: Array.from({ length: 26 }, (_, i) => ({ name: `o${i}`, type: 'string' as const, description: 'd' })),
          role: 'viewer',
          changes: false,
          example: '/deploy go',
          handler: () => textReply('ok'),
        }),
      ],
    };
    let err: unknown;
    try {
      checkCommands(buildCommands([bad]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RegistrationError);
    expect((err as RegistrationError).problems).toEqual([
      "/Deploy: the name 'Deploy' is not a Discord command name (1-32 lower-case letters, digits, - _ ')",
      '/Deploy: the description has 101 characters, Discord allows 1-100',
      '/Deploy go: 26 options, Discord allows at most 25 per level',
    ]);
    const huge: CommandDef = { ...bad, name: 'huge', description: 'Huge', subcommands: Array.from({ length: 20 }, (_, i) => ({ ...bad.subcommands[0]!, name: `s${i}`, description: 'y'.repeat(100), options: Array.from({ length: 4 }, (__, j) => ({ name: `o${j}`, type: 'string' as const, description: 'z'.repeat(100) })) })) };
    expect(() => checkCommands(buildCommands([huge]))).toThrow(/\/huge: \d+ characters in names, descriptions and choices, Discord allows at most 8000/);
  });

  it('--dry-run prints the JSON it would send and calls nothing; without a token it says what to set', async () => {
    const r = await run(['--dry-run']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(JSON.stringify(payload)));
    expect(r.err).toContain('dry run: nothing was sent');
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('DISCORD_TOKEN is not set');
    const badGuild = await run(['--guild', 'abc']);
    expect(badGuild.err).toContain("--guild needs a server id (17-20 digits), got 'abc'");
  });

  it('registers in a guild on the stand-in and prints the invite URL with both scopes and the permissions used', async () => {
    const fake = new FakeDiscord();
    await fake.start();
    try {
      const r = await run(['--guild', fake.guildId], { DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl });
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Registered /ecs, /quiz, /audit, /help in server ${fake.guildId}`);
      expect(fake.commands.get(fake.guildId)?.map((c) => c.name)).toEqual(['ecs', 'quiz', 'audit', 'help']);
      const url = new URL(/Invite the bot with: (\S+)/.exec(r.out)![1]!);
      expect(url.searchParams.get('client_id')).toBe(fake.applicationId);
      expect(url.searchParams.get('scope')).toBe('bot applications.commands');
      const perms = BigInt(url.searchParams.get('permissions')!);
      // View Channel, Send Messages, Embed Links, Attach Files (the metrics chart), Read Message History, Create Public Threads, Send Messages in Threads.
      for (const bit of [10n, 11n, 14n, 15n, 16n, 35n, 38n]) expect(perms & (1n << bit)).not.toBe(0n);
      expect(perms & (1n << 17n)).toBe(0n); // not Mention Everyone: the incident role is made mentionable instead
      expect(inviteUrl('1')).toContain('scope=bot+applications.commands');
      const refused = await run([], { DISCORD_TOKEN: 'wrong', DISCORD_API_URL: fake.apiUrl });
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('Discord refused the bot token (DISCORD_TOKEN)');
    } finally {
      await fake.stop();
    }
  });
});
