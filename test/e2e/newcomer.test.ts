/**
 * What a newcomer meets on the terminal over a pipe (issue 12): exit codes scripts can trust,
 * confirmations that end as expired, buttons numbered for the whole session, and messages that
 * name values instead of placeholders, with help and did-you-mean wherever names are typed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/server.ts';
import { repoRoot, runCli, tempDb } from './cli.ts';

/** The reply printed after `> line`, up to the next command's echo. */
function replyTo(stdout: string, line: string): string {
  const start = stdout.indexOf(`> ${line}\n`);
  if (start < 0) throw new Error(`'${line}' was not echoed:\n${stdout}`);
  const body = stdout.slice(start + line.length + 3);
  const next = body.search(/\n> /);
  return next < 0 ? body : body.slice(0, next);
}

describe('a piped script learns from the exit code whether its commands went well', () => {
  it('exits 0 when every command ended ok', async () => {
    const r = await runCli(['/help', '/ecs services']);
    expect(r.code).toBe(0);
  });

  it('exits 1 when a command ended invalid (a typo), and still runs every line', async () => {
    const r = await runCli(['/ecs status wbe', '/help']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('What you can run');
  });

  it('exits 1 for an unknown command', async () => {
    const r = await runCli(['/nosuch']);
    expect(r.code).toBe(1);
  });

  it('exits 1 when a command was denied to the caller', async () => {
    const r = await runCli(['/audit'], { DOCKHAND_CONFIG: 'test/e2e/viewer-terminal.yaml' });
    expect(r.code).toBe(1);
  });

  it('expires an unanswered confirmation when dockhand stops, audits it as expired, and exits 1', async () => {
    const db = tempDb();
    const r = await runCli(['/ecs scale web 0'], { DOCKHAND_DB: db });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('unanswered confirmation of `/ecs scale web 0` expired as dockhand stopped; nothing was changed');
    const audit = await runCli(['/audit 5'], { DOCKHAND_DB: db });
    expect(audit.stdout).toMatch(/\/ecs scale web 0\s+expired/);
    expect(audit.stdout).not.toMatch(/\/ecs scale web 0\s+pending/);
  });

  it('exits 1 when a confirmation is cancelled', async () => {
    const r = await runCli(['/ecs scale web 0', '2']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Cancelled /ecs scale web 0; nothing was changed.');
  });
});

describe('buttons are numbered for the whole session', () => {
  it('keeps an earlier Confirm reachable after newer buttons appear, and says when a number has gone', async () => {
    const r = await runCli(['/ecs scale web 0', '/ecs restart api', '1', '1', '7']);
    const first = replyTo(r.stdout, '/ecs scale web 0');
    const second = replyTo(r.stdout, '/ecs restart api');
    expect(first).toContain('[1] Confirm   [2] Cancel');
    // The restart's buttons get new numbers instead of reusing 1 and 2.
    expect(second).toContain('[3] Confirm   [4] Cancel');
    // Typing 1 presses the scale's Confirm, not the restart's.
    const pressed = r.stdout.split('> 1\n')[1] ?? '';
    expect(pressed).toContain('Scaling web 2 → 0');
    const again = r.stdout.split('> 1\n')[2] ?? '';
    expect(again).toContain('Button 1 (Confirm) has gone: that confirmation was answered');
    expect(replyTo(r.stdout, '7')).toContain('There is no button 7 to press (buttons so far are numbered 1 to 4)');
  }, 90_000);
});

describe('messages name values, not placeholders', () => {
  it('says what kind of value is missing, with an example that obeys the rule', async () => {
    const lines = ['/ecs scale web', '/ecs logs web --cluster', '/ecs status', '/ecs mute web 10s', '/ecs logs web --follow 1s'];
    const r = await runCli(lines);
    expect(replyTo(r.stdout, '/ecs scale web')).toContain('count is missing: expected a whole number of at least 0, as in /ecs scale web 5');
    expect(replyTo(r.stdout, '/ecs logs web --cluster')).toContain('--cluster needs a value: a cluster name such as prod');
    expect(replyTo(r.stdout, '/ecs status')).toContain('service is missing: expected a service name such as web, as in /ecs status web');
    // Every duration offered as an example lies inside the range the rule states.
    expect(replyTo(r.stdout, '/ecs mute web 10s')).toContain("duration must be a duration such as 15m, 2h or 1d, from 1m to 7d, got '10s'");
    // Flags are named as they are typed, with their dashes.
    expect(replyTo(r.stdout, '/ecs logs web --follow 1s')).toContain("--follow must be a duration such as 30s, 5m or 15m, from 10s to 30m, got '1s'");
    expect(r.stdout).not.toMatch(/some text|The service name|The desired number/);
  });
});

describe('help and did-you-mean wherever names are typed', () => {
  it('suggests the closest command, pack and service; a service in another case is found when only one fits', async () => {
    const r = await runCli(['/helpp', '/quiz ecz', '/ecs status WEB']);
    expect(replyTo(r.stdout, '/helpp')).toContain('there is no command /helpp — did you mean /help?');
    expect(replyTo(r.stdout, '/quiz ecz')).toContain("there is no quiz pack 'ecz' — did you mean 'ecs'? The packs are: ecs");
    expect(replyTo(r.stdout, '/ecs status WEB')).toMatch(/^web in cluster demo \(us-east-1\)/m);
  });

  it('answers help after the arguments of a subcommand too', async () => {
    const r = await runCli(['/ecs logs web help', '/ecs logs stop help', '/audit 5 help', '/ecs logs web --filter help --lines 1']);
    expect(replyTo(r.stdout, '/ecs logs web help')).toMatch(/^\/ecs logs <service>/);
    // `/ecs logs stop` became `/ecs unfollow`: help after the old form shows the subcommand it became.
    expect(replyTo(r.stdout, '/ecs logs stop help')).toMatch(/^\/ecs unfollow \[service\]/);
    expect(replyTo(r.stdout, '/audit 5 help')).toContain('/audit [n]');
    // A value of a flag is a value, not a request for help.
    expect(replyTo(r.stdout, '/ecs logs web --filter help --lines 1')).toContain('Logs of web (matching “help”)');
  });
});

describe('config errors speak like the parser', () => {
  it('one line per field, what was given and what is allowed, no schema-library wording, the bad YAML line shown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockhand-cfg-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'watch:\n  every: abc\nguardrails:\n  web: {min: 5, max: 3}\n  api: {min: x}\n');
    const r = await runCli(['/help'], { DOCKHAND_CONFIG: bad, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'short' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("env SLACK_SIGNING_SECRET: got <hidden>, expected the Signing Secret from the Slack app's Basic Information page (at least 8 characters)");
    expect(r.stderr).toContain(`${bad} guardrails.web: got {"min":5,"max":3}, min (5) must not be above max (3)`);
    expect(r.stderr).toContain(`${bad} guardrails.api.min: got 'x', expected a whole number of tasks from 0 to 10000`);
    // One line for watch.every, not one per rule it broke.
    expect(r.stderr.match(/watch\.every/g)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/Too small|received string|expected string to have/);

    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'roles:\n  default: viewer\n  admins: [slack:U1\n');
    const y = await runCli(['/help'], { DOCKHAND_CONFIG: broken });
    expect(y.code).toBe(2);
    expect(y.stderr).toMatch(/broken\.yaml line \d+, column \d+: not valid YAML: .* — the line reads: admins: \[slack:U1\n/);
  });
});

describe('output fits the terminal', () => {
  const lines = ['/help', '/ecs status web', '/ecs services', '/ecs logs web --lines 5', '/ecs images', '/audit 5', '/ecs scale web 0', '2'];

  it('on a pipe keeps every line within COLUMNS: tables shrink with an ellipsis, text wraps at word boundaries', async () => {
    const r = await runCli(lines, { COLUMNS: '72' });
    const long = r.stdout.split('\n').filter((l) => [...l].length > 72);
    expect(long).toEqual([]);
    // The services table still has its columns, the widest cut with an ellipsis where needed.
    expect(r.stdout).toMatch(/\nService +Desired +Running/);
    expect(r.stdout).toMatch(/…/);
    // Help wraps at word boundaries: no line ends in the middle of a word it continues on the next.
    expect(r.stdout).toMatch(/\n {4}\S/);
    // Markdown marks are rendered, not shown raw.
    expect(r.stdout).not.toContain('`');
    expect(r.stdout).toContain('Cancelled /ecs scale web 0; nothing was changed.');
  }, 60_000);

  it('without COLUMNS uses 100, and below 60 columns a table prints as key: value lines', async () => {
    const wide = await runCli(['/ecs status web', '/help']);
    expect(wide.stdout.split('\n').filter((l) => [...l].length > 100)).toEqual([]);
    const narrow = await runCli(['/ecs services'], { COLUMNS: '50' });
    expect(narrow.stdout).toMatch(/\nService: +web\nDesired: +2\nRunning: +2\n/);
    expect(narrow.stdout.split('\n').filter((l) => [...l].length > 50)).toEqual([]);
  }, 60_000);
});

describe('the banner and the AWS endpoint', () => {
  it('AWS_ENDPOINT_URL alone uses that endpoint (no second sandbox), assumes loopback defaults and says so, and knows the sandbox by its header', async () => {
    const sandbox = await startSandbox({ scenario: 'demo' });
    try {
      const r = await runCli(['/ecs services'], { AWS_ENDPOINT_URL: sandbox.endpoint });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`AWS backend: the sandbox at ${sandbox.endpoint} from AWS_ENDPOINT_URL (demo@us-east-1; region us-east-1 and test credentials assumed for a local endpoint)`);
      // One sandbox only: the banner names no embedded one.
      expect(r.stderr).not.toMatch(/AWS backend: sandbox at http/);
      expect(r.stdout).toContain('Services in cluster demo (us-east-1)');
      expect(r.stdout).toContain('sandbox data (not real AWS)');
    } finally {
      await sandbox.stop();
    }
  });

  it('a refused endpoint is named in the banner and in the reply', async () => {
    const s = createServer();
    const port = await new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
    await new Promise((resolve) => s.close(resolve));
    const url = `http://127.0.0.1:${port}`;
    const r = await runCli(['/ecs services'], { AWS_ENDPOINT_URL: url }, 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`AWS API at ${url} from AWS_ENDPOINT_URL`);
    expect(r.stderr).toContain('nothing answers there yet: ECONNREFUSED');
    expect(r.stdout).toContain(`Could not reach AWS at ${url} (AWS_ENDPOINT_URL) for ecs:ListServices`);
  }, 40_000);

  it('with clusters configured the banner lists them instead of "demo cluster"', async () => {
    const r = await runCli(['/help'], { DOCKHAND_CLUSTERS: 'demo,staging' });
    expect(r.stderr).toContain('(demo@us-east-1, staging@us-east-1; local, no AWS account needed)');
    expect(r.stderr).not.toContain('demo cluster');
  });
});

describe('replies say where, and hints lead somewhere that shows what they promise', () => {
  it('mute and unmute name region and sandbox; status lists running task ids; guardrail hint names the setting', async () => {
    const r = await runCli(['/ecs mute web 1h', '/ecs unmute web', '/ecs status web', '/ecs scale web 60']);
    expect(replyTo(r.stdout, '/ecs mute web 1h')).toContain('web in cluster demo (us-east-1, sandbox) is muted for 1h');
    expect(replyTo(r.stdout, '/ecs mute web 1h')).toContain('cluster demo · us-east-1 · sandbox data (not real AWS)');
    expect(replyTo(r.stdout, '/ecs unmute web')).toContain('web in cluster demo (us-east-1, sandbox) is no longer muted');
    expect(replyTo(r.stdout, '/ecs status web')).toMatch(/Tasks running: +2 \([0-9a-f]{8}, [0-9a-f]{8}\)/);
    const guard = replyTo(r.stdout, '/ecs scale web 60');
    expect(guard).toContain('These are the default limits (0 to 50); set guardrails.web.min and .max in dockhand.yaml');
    expect(guard).not.toContain('The limits come from guardrails in dockhand.yaml');
  });

  it('/ecs logs --filter: says filters are case-sensitive when another case matches, and to quote several words', async () => {
    const r = await runCli(['/ecs logs web --filter get --lines 2', '/ecs logs web --filter ?502 ?404']);
    expect(replyTo(r.stdout, '/ecs logs web --filter get --lines 2')).toContain('CloudWatch Logs filter patterns are case-sensitive: --filter GET finds lines.');
    const q = replyTo(r.stdout, '/ecs logs web --filter ?502 ?404');
    expect(q).toContain("unexpected '?404' after --filter ?502");
    expect(q).toContain('To give --filter several words, quote them: --filter "?502 ?404"');
  });
});

describe('Slack that cannot be reached at start', () => {
  it('says it could not reach Slack at the URL (not that the token was refused), promises no retry, exits 1; log lines name the adapter once', async () => {
    const s = createServer();
    const port = await new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
    await new Promise((resolve) => s.close(resolve));
    const url = `http://127.0.0.1:${port}/api/`;
    const r = await runCli(['/help'], { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: '12345678', SLACK_API_URL: url, PORT: String(port) }, 40_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`dockhand: Slack did not start: could not reach Slack at ${url}`);
    expect(r.stderr).not.toContain('would not accept the bot token');
    expect(r.stderr).not.toContain('will retry');
    for (const line of r.stderr.split('\n').filter((l) => l.startsWith('{'))) expect(line.match(/"adapter":/g)?.length ?? 0).toBeLessThanOrEqual(1);
  }, 50_000);
});

describe('a route to a platform that is not connected', () => {
  it('is one warning at start, not an error line per alert per channel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockhand-routes-'));
    const cfg = join(dir, 'routes.yaml');
    writeFileSync(cfg, 'routes:\n  - clusters: [demo]\n    discord: "998877665544332211"\n    console: true\n');
    const child = spawn('npm', ['start', '--silent'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DOCKHAND_DB: tempDb(), DOCKHAND_USER: 'tester', DOCKHAND_CONFIG: cfg, DOCKHAND_SANDBOX_SPEED: '30', DOCKHAND_WATCH_EVERY: '5s' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Keep the terminal open long enough for the watcher to route several crash alerts.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    child.stdin.end('/ecs alerts\n');
    await new Promise((resolve) => child.on('close', resolve));
    // The alerts were routed (the console got them) ...
    expect(stdout).toMatch(/payments/);
    // ... and discord is named once at start, and at most once more by delivery.
    expect(stderr).toContain('routes in ' + cfg + ' send alerts to discord, but discord is not connected (no DISCORD_TOKEN)');
    expect(stderr.split('\n').filter((l) => /discord/i.test(l)).length).toBeLessThanOrEqual(2);
    // Ages in /ecs alerts read like every other /ecs age ("14m ago"), not "14m58s ago".
    const alerts = stdout.slice(stdout.indexOf('> /ecs alerts'));
    expect(alerts).toMatch(/Open incidents[\s\S]*\b\d+[smhd] ago/);
    expect(alerts).not.toMatch(/\d+m\d+s ago/);
  }, 60_000);

  it('writes times and ages in one style: moments in UTC saying so, ages in one unit', async () => {
    const r = await runCli(['/ecs mute payments 90m', '/ecs alerts', '/audit 3', '/ecs services']);
    expect(r.stdout).toMatch(/is muted for 1h30m \(until \d\d:\d\d UTC\)/);
    expect(r.stdout).toMatch(/payments +demo +\d{4}-\d\d-\d\d \d\d:\d\d UTC \(1h left\)/);
    expect(r.stdout).toMatch(/\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC +console\/terminal +tester +\/ecs mute payments 90m +ok/);
    // No ISO leftovers ("21:45Z") and no mixed age styles ("14m58s ago", "2h 5m").
    expect(r.stdout).not.toMatch(/\d\d:\d\dZ\b/);
    expect(r.stdout).not.toMatch(/\d+[mhd] ?\d+[smh] ago/);
  }, 60_000);

  it('suggests a longer --since than the one that found nothing, and says when there is none', async () => {
    const r = await runCli(['/ecs logs web --since 6h --filter nosuchthing', '/ecs logs web --since 14d --filter nosuchthing']);
    const [six, fourteen] = r.stdout.split('> /ecs logs').slice(1);
    expect(six).toContain('Look further back with --since 1d, or drop --filter.');
    expect(fourteen).toContain('That is as far back as --since goes; try without --filter.');
    expect(fourteen).not.toMatch(/--since 1h/);
  }, 60_000);
});
