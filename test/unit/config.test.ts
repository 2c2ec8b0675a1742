import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

function dir(yaml?: string): string {
  const d = mkdtempSync(join(tmpdir(), 'dockhand-config-'));
  if (yaml !== undefined) writeFileSync(join(d, 'dockhand.yaml'), yaml);
  return d;
}

function problems(env: NodeJS.ProcessEnv, yaml?: string): string[] {
  try {
    loadConfig(env, dir(yaml));
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('config', () => {
  it('accepts dockhand.example.yaml as it is shipped', () => {
    const c = loadConfig({ DOCKHAND_CONFIG: 'dockhand.example.yaml' }, join(import.meta.dirname, '..', '..'));
    expect(c.file.clusters?.[0]).toEqual({ name: 'prod', region: 'eu-west-1', alias: 'prod-account', approval: 'second-operator' });
    expect(c.userRoles.get('slack:U0123ABC')).toBe('admin');
  });
  it('needs nothing: sandbox backend, viewer default, default database', () => {
    const c = loadConfig({}, dir());
    expect(c.backend).toBe('sandbox');
    expect(c.env.DOCKHAND_DB).toBe('./data/dockhand.db');
    expect(c.filePath).toBeUndefined();
  });
  it('takes a PostgreSQL DATABASE_URL, and names what is wrong with a bad one without repeating it', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://dockhand:pw-123456@db.internal:5432/dockhand' }, dir()).env.DATABASE_URL).toBe('postgres://dockhand:pw-123456@db.internal:5432/dockhand');
    expect(loadConfig({ DATABASE_URL: 'postgresql://db.internal/dockhand' }, dir()).env.DATABASE_URL).toBe('postgresql://db.internal/dockhand');
    expect(problems({ DATABASE_URL: 'mysql://root:hunter2-secret@db/dockhand' })).toEqual([
      'env DATABASE_URL: got <hidden>, expected a URL starting with postgres:// (got one starting with mysql://), such as postgres://user:password@host:5432/dockhand',
    ]);
    expect(problems({ DATABASE_URL: 'postgres://u:hunter2-secret@db.internal:5432' })).toEqual([
      'env DATABASE_URL: got <hidden>, expected a database name at the end, such as postgres://user:password@host:5432/dockhand',
    ]);
    expect(problems({ DATABASE_URL: 'hunter2-secret' }).join('\n')).not.toContain('hunter2');
    // An empty value (a compose file's `DATABASE_URL=`) means SQLite, as if unset.
    expect(problems({ DATABASE_URL: '' })).toEqual([]);
  });
  it('switches to AWS when a region or credentials are configured, and DOCKHAND_BACKEND forces either', () => {
    expect(loadConfig({ AWS_REGION: 'eu-west-1' }, dir()).backend).toBe('aws');
    expect(loadConfig({ AWS_PROFILE: 'prod' }, dir()).backend).toBe('aws');
    expect(loadConfig({ AWS_REGION: 'eu-west-1', DOCKHAND_BACKEND: 'sandbox' }, dir()).backend).toBe('sandbox');
    expect(loadConfig({ DOCKHAND_BACKEND: 'aws' }, dir()).backend).toBe('aws');
  });
  it('reads role grants from env and from the file', () => {
    const c = loadConfig({ DOCKHAND_ADMINS: 'slack:U0123ABC', DOCKHAND_OPERATORS: 'discord:81234567890, slack:U0123ABC' }, dir('roles:\n  operators: [slack:UFILE]\n'));
    expect(c.userRoles.get('slack:U0123ABC')).toBe('admin');
    expect(c.userRoles.get('discord:81234567890')).toBe('operator');
    expect(c.userRoles.get('slack:UFILE')).toBe('operator');
  });
  it('reports every bad field at once, one line each: where, what was given, what is allowed', () => {
    const p = problems(
      { DOCKHAND_BACKEND: 'azure', DOCKHAND_SANDBOX_SPEED: 'fast', LOG_LEVEL: 'loud' },
      'clusters:\n  - name: prod\n    region: Europe\nguardrails:\n  web: { min: 5, max: 2 }\nconfrim: {}\n',
    );
    expect(p).toHaveLength(6);
    expect(p.join('\n')).toContain("env DOCKHAND_BACKEND: got 'azure', expected one of aws, sandbox");
    expect(p.join('\n')).toContain("env DOCKHAND_SANDBOX_SPEED: got 'fast'");
    expect(p.join('\n')).toContain("dockhand.yaml clusters[0].region: got 'Europe', expected an AWS region such as us-east-1");
    expect(p.join('\n')).toContain('dockhand.yaml guardrails.web: got {"min":5,"max":2}, min (5) must not be above max (2)');
    expect(p.join('\n')).toContain("dockhand.yaml: unknown key 'confrim'");
  });
  it('refuses a confirmation expiry too short to press or longer than a day', () => {
    expect(problems({}, 'confirm:\n  expireAfter: 0s\n')).toEqual(["dockhand.yaml confirm.expireAfter: got '0s', expected a duration from 5s to 1d, such as 2m"]);
    expect(problems({}, 'confirm:\n  expireAfter: 30d\n')).toHaveLength(1);
    expect(problems({}, 'confirm:\n  expireAfter: 5s\n')).toEqual([]);
  });
  it('refuses a guardrail whose min is above its max, also when max is left at its default of 50', () => {
    expect(problems({}, 'guardrails:\n  web: { min: 60 }\n')).toEqual(['dockhand.yaml guardrails.web: got {"min":60}, min must not be above max, which is 50 when left out; set max too']);
    expect(problems({}, 'guardrails:\n  web: { min: 5, max: 3 }\n')).toEqual(['dockhand.yaml guardrails.web: got {"min":5,"max":3}, min (5) must not be above max (3)']);
    expect(problems({}, 'guardrails:\n  web: { min: 60, max: 80 }\n')).toEqual([]);
  });
  it('suggests the closest key for a misspelt one, at the top and nested', () => {
    expect(problems({}, 'clustres: []\n')).toEqual(["dockhand.yaml: unknown key 'clustres'; did you mean 'clusters'? (see dockhand.example.yaml)"]);
    expect(problems({}, 'confirm:\n  expireAftr: 2m\n')).toEqual(["dockhand.yaml confirm: unknown key 'expireAftr'; did you mean 'expireAfter'? (see dockhand.example.yaml)"]);
    expect(problems({}, 'clusters:\n  - name: prod\n    regoin: eu-west-1\n')).toEqual(["dockhand.yaml clusters[0]: unknown key 'regoin'; did you mean 'region'? (see dockhand.example.yaml)"]);
    expect(problems({}, 'frobnicate: 1\n')).toEqual(["dockhand.yaml: unknown key 'frobnicate'; check the spelling (see dockhand.example.yaml)"]);
  });
  it('never prints a secret, even when it is the bad field', () => {
    const p = problems({ SLACK_BOT_TOKEN: 'not-a-token-super-secret', SLACK_APP_TOKEN: 'xoxb-wrong-kind-secret' });
    expect(p.join('\n')).toContain('env SLACK_BOT_TOKEN: got <hidden>, expected a bot token starting with xoxb-');
    expect(p.join('\n')).not.toContain('super-secret');
    expect(p.join('\n')).not.toContain('wrong-kind-secret');
  });
  it('refuses a watch interval under 5s or that is no duration', () => {
    expect(problems({ DOCKHAND_WATCH_EVERY: '1s' })).toEqual(["env DOCKHAND_WATCH_EVERY: got '1s', expected a duration of at least 5s, such as 30s or 1m"]);
    expect(problems({ DOCKHAND_WATCH_EVERY: 'often' })).toEqual(["env DOCKHAND_WATCH_EVERY: got 'often', expected a duration of at least 5s, such as 30s or 1m"]);
    expect(problems({ DOCKHAND_WATCH_EVERY: '5s' })).toEqual([]);
  });
  it('rejects malformed role lists with the expected form', () => {
    expect(problems({ DOCKHAND_ADMINS: 'U0123' })[0]).toBe(
      "env DOCKHAND_ADMINS: got 'U0123', expected platform:user-id entries such as slack:U0123ABC,discord:81234567890",
    );
  });
  it('says when DOCKHAND_CONFIG points nowhere, and when the YAML is broken', () => {
    expect(problems({ DOCKHAND_CONFIG: 'missing.yaml' })[0]).toContain("env DOCKHAND_CONFIG: got 'missing.yaml', but no file is there");
    expect(problems({}, 'roles: [unclosed\n')[0]).toMatch(/^dockhand.yaml line \d+, column \d+: not valid YAML: .* — the line reads: roles: \[unclosed$/);
  });
  it('refuses a Discord id written as a YAML number, saying to quote it, and accepts it quoted', () => {
    const yaml = [
      'roles:',
      '  discordRoles:',
      '    112233445566778899: operator',
      'routes:',
      '  - discord: [998877665544332211]',
      '    mention: { discord: 123456789012345678 }',
      '',
    ].join('\n');
    const p = problems({}, yaml);
    expect(p).toEqual([
      'dockhand.yaml roles.discordRoles: got 112233445566778899 unquoted, which YAML reads as a number (112233445566778900, digits lost); Discord ids must be quoted, such as "112233445566778899"',
      'dockhand.yaml routes[0].discord[0]: got 998877665544332211 unquoted, which YAML reads as a number (998877665544332200, digits lost); Discord ids must be quoted, such as "998877665544332211"',
      'dockhand.yaml routes[0].mention.discord: got 123456789012345678 unquoted, which YAML reads as a number (123456789012345680, digits lost); Discord ids must be quoted, such as "123456789012345678"',
    ]);
    const ok = loadConfig({}, dir(yaml.replace(/(\d{18})/g, '"$1"')));
    expect(ok.file.roles?.discordRoles).toEqual({ '112233445566778899': 'operator' });
  });
  it('validates DISCORD_API_URL without the version and keeps DISCORD_TOKEN out of errors', () => {
    expect(problems({ DISCORD_API_URL: 'http://127.0.0.1:9/api/v10', DISCORD_TOKEN: '' }).join('\n')).toContain(
      'expected the API base without the version, such as http://127.0.0.1:8080/api (discord.js adds /v10)',
    );
    const p = problems({ DISCORD_TOKEN: '', DISCORD_APPLICATION_ID: '12' }).join('\n');
    expect(p).toContain('DISCORD_APPLICATION_ID');
    expect(loadConfig({ DISCORD_TOKEN: 'abc.def.ghi', DISCORD_API_URL: 'http://127.0.0.1:9/api' }, dir()).env.DISCORD_API_URL).toBe('http://127.0.0.1:9/api');
  });
});
