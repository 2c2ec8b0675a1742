import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildManifest } from '../../src/adapters/slack/manifest.ts';
import { runManifestCli } from '../../src/adapters/slack/manifest-cli.ts';

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runManifestCli(args, { DOCKHAND_DB: ':memory:', ...env }, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('Slack app manifest', () => {
  it('in HTTP mode points slash commands and interactivity at /slack/events', () => {
    const m = buildManifest({ socketMode: false, publicUrl: 'https://dockhand.example.com/' });
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(['/ecs', '/quiz', '/dockhand']);
    for (const c of m.features.slash_commands) expect(c.url).toBe('https://dockhand.example.com/slack/events');
    expect(m.settings.interactivity).toEqual({ is_enabled: true, request_url: 'https://dockhand.example.com/slack/events' });
    expect(m.settings.socket_mode_enabled).toBe(false);
    expect(m.oauth_config.scopes.bot).toEqual(['commands', 'chat:write', 'files:write']);
  });

  it('in Socket Mode has no URLs, and asks for usergroups:read only with group roles', () => {
    const m = buildManifest({ socketMode: true, userGroups: true, commands: { ecs: '/ops' }, catchAllCommand: null });
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(m)).not.toContain('url');
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(['/ops']);
    expect(m.oauth_config.scopes.bot).toEqual(['commands', 'chat:write', 'files:write', 'usergroups:read']);
    expect(() => buildManifest({ socketMode: false })).toThrow(/public URL/);
  });

  it('with no flags and no config prints a Socket Mode manifest, ready to paste', () => {
    const r = cli([], {});
    expect(r.code).toBe(0);
    const m = parse(r.out) as { settings: { socket_mode_enabled: boolean }; features: { slash_commands: Array<{ command: string }> } };
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(['/ecs', '/quiz', '/dockhand']);
  });

  it('prints YAML from config: slash command names, socket mode and group roles from dockhand.yaml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockhand-manifest-'));
    const file = join(dir, 'dockhand.yaml');
    writeFileSync(file, 'slack:\n  socketMode: true\n  commands:\n    ecs: /containers\n    quiz: /study\nroles:\n  slackGroups:\n    S0OPS: operator\n');
    const r = cli([], { DOCKHAND_CONFIG: file });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const m = parse(r.out) as ReturnType<typeof buildManifest>;
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(['/containers', '/study', '/dockhand']);
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(m.oauth_config.scopes.bot).toContain('usergroups:read');
  });

  it('prints JSON with --json and explains bad options', () => {
    const r = cli(['--url', 'https://x.example.org', '--json', '--name', 'ops-bot']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out) as ReturnType<typeof buildManifest>;
    expect(m.display_information.name).toBe('ops-bot');
    expect(m.settings.interactivity.request_url).toBe('https://x.example.org/slack/events');
    const bad = cli(['--url', 'not a url']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("expected a public https base URL");
    expect(cli(['--frobnicate']).err).toContain('unknown option --frobnicate');
  });

  it('turns should_escape on, so a mention typed in a command arrives as <@U…|name>', () => {
    const m = buildManifest({ socketMode: true });
    expect(m.features.slash_commands.map((c) => c.should_escape)).toEqual([true, true, true]);
  });

  it('refuses an app name Slack would refuse, and makes the bot name of the characters Slack allows', () => {
    const long = cli(['--socket', '--name', 'the dockhand operations bot for prod']);
    expect(long.code).toBe(2);
    expect(long.err).toContain("is 36 characters; Slack takes an app name of at most 35");
    const m = JSON.parse(cli(['--socket', '--json', '--name', 'Dock Hand (Ops)']).out) as ReturnType<typeof buildManifest>;
    expect(m.display_information.name).toBe('Dock Hand (Ops)');
    expect(m.features.bot_user.display_name).toBe('dock-hand-ops');
    const none = cli(['--socket', '--name', '***']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('has no letter or digit Slack allows in a bot name');
  });

  it('takes https request URLs only, and refuses --socket together with --url instead of picking one', () => {
    const http = cli(['--url', 'http://dockhand.example.com']);
    expect(http.code).toBe(2);
    expect(http.err).toContain('Slack calls request URLs over https only');
    expect(() => buildManifest({ socketMode: false, publicUrl: 'http://x.example.com' })).toThrow(/https only/);
    const both = cli(['--socket', '--url', 'https://dockhand.example.com']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--socket and --url ask for two different apps');
    expect(both.out).toBe('');
  });
});
