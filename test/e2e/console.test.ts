import { describe, expect, it } from 'vitest';
import { runCli, tempDb } from './cli.ts';

describe('terminal adapter over a pipe (npm start)', () => {
  it('runs one command per line, prints each reply, and exits 0 at end of input', async () => {
    const r = await runCli(['/help', '/audit 3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('> /help');
    expect(r.stdout).toContain('What you can run');
    expect(r.stdout).toContain('/audit [n]');
    expect(r.stdout).toContain('You are an admin;');
    // The audit table is aligned: the header and the rule line up.
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) => l.startsWith('Time  '));
    expect(head).toBeGreaterThan(0);
    expect(lines[head + 1]).toMatch(/^─{23} {2}─+/);
    expect(r.stdout).toMatch(/console\/terminal\s+tester\s+\/help\s+ok/);
  });

  it('prints the banner on stderr when piped, naming adapters, backend and database', async () => {
    const db = tempDb();
    const r = await runCli(['/help'], { DOCKHAND_DB: db });
    expect(r.stderr).toContain('adapters: terminal');
    expect(r.stderr).toContain('AWS backend: sandbox');
    expect(r.stderr).toContain(`database: SQLite ${db}`);
    expect(r.stdout).not.toContain('adapters:');
  });

  it('answers bad input with what was wrong and what is right, never a stack trace', async () => {
    const r = await runCli(['/audti', '/audit -3', '/audit 5 6', 'audit five']);
    // Every line still runs; the script is told that some ended invalid.
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('there is no command /audti — did you mean /audit?');
    expect(r.stdout).toContain("n must be a whole number from 1 to 100, got '-3'");
    expect(r.stdout).toContain("unexpected '6' after /audit");
    expect(r.stdout).toContain("got 'five'");
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('keeps history in the database file across runs', async () => {
    const db = tempDb();
    await runCli(['/help'], { DOCKHAND_DB: db });
    const r = await runCli(['/audit 10'], { DOCKHAND_DB: db });
    expect(r.stdout.match(/\/help\s+ok/g)).toHaveLength(1);
  });

  it('a viewer terminal user is refused admin commands with the role needed', async () => {
    const r = await runCli(['/audit'], { DOCKHAND_CONFIG: 'test/e2e/viewer-terminal.yaml' });
    expect(r.stdout).toContain('/audit needs the admin role; you are a viewer');
  });

  it('says which database file cannot be opened, and why, with exit code 2', async () => {
    const r = await runCli(['/help'], { DOCKHAND_DB: '/etc/passwd/dockhand.db' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot open the database DOCKHAND_DB=/etc/passwd/dockhand.db');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('on the AWS backend with no region anywhere, says where to set one instead of guessing', async () => {
    const r = await runCli(['/ecs services'], { DOCKHAND_BACKEND: 'aws', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no AWS region is set: set AWS_REGION, a region in your AWS profile');
  });

  it('stops with exit code 2 and one line per bad setting, hiding secrets', async () => {
    const r = await runCli(['/help'], { DOCKHAND_BACKEND: 'azure', SLACK_BOT_TOKEN: 'bogus-secret-value' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("env DOCKHAND_BACKEND: got 'azure'");
    expect(r.stderr).toContain('env SLACK_BOT_TOKEN: got <hidden>');
    expect(r.stderr).not.toContain('bogus-secret-value');
    expect(r.stdout).toBe('');
  });
});
