import { describe, expect, it } from 'vitest';
import { isUserError } from '../../src/core/errors.ts';
import { coerceValue, formatDuration, parseCommandLine, parseDuration, parseStructured, tokenize } from '../../src/core/parser.ts';
import { testCommands } from '../fakes/test-commands.ts';

type Good = [line: string, sub: string, args: Record<string, unknown>];
type Bad = [line: string, id: string, message: RegExp];

const good: Good[] = [
  ['/svc list', 'list', {}],
  ['svc list', 'list', {}],
  ['/svc list --cluster prod', 'list', { cluster: 'prod' }],
  ['/svc list --cluster=prod', 'list', { cluster: 'prod' }],
  ['/SVC LIST', 'list', {}],
  ['/svc scale web 5', 'scale', { service: 'web', count: 5 }],
  ['/svc scale web 0', 'scale', { service: 'web', count: 0 }],
  ['/svc scale web 50', 'scale', { service: 'web', count: 50 }],
  ['/svc scale web +7', 'scale', { service: 'web', count: 7 }],
  ['  /svc   scale   web   5  ', 'scale', { service: 'web', count: 5 }],
  ['/svc logs web', 'logs', { service: 'web' }],
  ['/svc logs web --since 15m', 'logs', { service: 'web', since: 900_000 }],
  ['/svc logs web --since 1h30m', 'logs', { service: 'web', since: 5_400_000 }],
  ['/svc logs web --since 30s', 'logs', { service: 'web', since: 30_000 }],
  ['/svc logs web --filter "db timeout"', 'logs', { service: 'web', filter: 'db timeout' }],
  ["/svc logs web --filter 'db timeout'", 'logs', { service: 'web', filter: 'db timeout' }],
  ['/svc logs web --filter “db timeout”', 'logs', { service: 'web', filter: 'db timeout' }],
  ['/svc logs web --filter ‘db timeout’', 'logs', { service: 'web', filter: 'db timeout' }],
  ['/svc logs web —since 15m —lines 5', 'logs', { service: 'web', since: 900_000, lines: 5 }],
  ['/svc logs web –filter=x', 'logs', { service: 'web', filter: 'x' }],
  ['/study answer —the scheduler', 'answer', { text: '—the scheduler' }],
  // Free-text answers keep their apostrophes: "doesn't" and "host's" open no quote.
  ["/study answer A container doesn't boot; it uses the host's kernel", 'answer', { text: "A container doesn't boot; it uses the host's kernel" }],
  ["/svc logs web --filter it’s", 'logs', { service: 'web', filter: 'it’s' }],
  ['/svc logs web --filter "say \\"hi\\""', 'logs', { service: 'web', filter: 'say "hi"' }],
  ['/svc logs web --since 15m --filter "db timeout" --lines 50', 'logs', { service: 'web', since: 900_000, filter: 'db timeout', lines: 50 }],
  ['/svc logs --lines 5 web', 'logs', { service: 'web', lines: 5 }],
  ['/svc logs web --follow', 'logs', { service: 'web', follow: true }],
  ['/svc logs web --follow false', 'logs', { service: 'web', follow: false }],
  ['/svc logs web --follow=no', 'logs', { service: 'web', follow: false }],
  ['/svc logs web --level ERROR', 'logs', { service: 'web', level: 'error' }],
  ['/svc logs web --filter "--not-a-flag"', 'logs', { service: 'web', filter: '--not-a-flag' }],
  ['/study ecs', 'start', { pack: 'ecs' }],
  ['/study start ecs --questions 5', 'start', { pack: 'ecs', questions: 5 }],
  ['/study ecs --solo', 'start', { pack: 'ecs', solo: true }],
  ['/study answer B', 'answer', { text: 'B' }],
  ['/study answer tasks are scheduled by the service', 'answer', { text: 'tasks are scheduled by the service' }],
  ['/study answer "quoted answer"', 'answer', { text: 'quoted answer' }],
  ['/svc logs -- --weird', 'logs', { service: '--weird' }],
];

const bad: Bad[] = [
  ['', 'empty-command', /empty/],
  ['/ecs', 'unknown-command', /no command \/ecs/],
  ['/sv list', 'unknown-command', /did you mean \/svc\?/],
  ['/svc lst', 'unknown-subcommand', /did you mean `list`\?/],
  ['/svc sacle web 5', 'unknown-subcommand', /did you mean `scale`\?/],
  ['/svc frobnicate', 'unknown-subcommand', /no subcommand 'frobnicate'/],
  ['/svc scale', 'missing-argument', /service is missing/],
  ['/svc scale web', 'missing-argument', /count is missing/],
  ['/svc scale web -3', 'invalid-argument', /count must be a whole number from 0 to 50, got '-3'/],
  ['/svc scale web 51', 'invalid-argument', /count must be a whole number from 0 to 50, got '51'/],
  ['/svc scale web five', 'invalid-argument', /got 'five'/],
  ['/svc scale web 2.5', 'invalid-argument', /got '2.5'/],
  ['/svc scale web 5 6', 'extra-argument', /unexpected '6'/],
  ['/svc logs web --since 15', 'invalid-argument', /since must be a duration such as 30s, 15m or 2h.*got '15'/],
  ['/svc logs web --since 2d', 'invalid-argument', /from 1s to 1d, got '2d'/],
  ['/svc logs web --since', 'missing-argument', /--since needs a value/],
  ['/svc logs web --since --lines 5', 'missing-argument', /--since needs a value/],
  ['/svc logs web --lines 0', 'invalid-argument', /lines must be a whole number from 1 to 500, got '0'/],
  ['/svc logs web --filtr x', 'unknown-option', /did you mean --filter\?/],
  ['/svc logs web --lines 5 --lines 6', 'duplicate-option', /given twice/],
  ['/svc logs web --level loud', 'invalid-argument', /level must be one of info, warn, error, got 'loud'/],
  ['/svc logs web --level eror', 'invalid-argument', /did you mean 'error'\?/],
  ['/svc logs web --filter "db timeout', 'unclosed-quote', /never closed/],
  ['/svc logs web --follow maybe', 'extra-argument', /unexpected 'maybe'/],
  ['/study start', 'missing-argument', /pack is missing/],
  ['/study ecs --questions 0', 'invalid-argument', /questions must be a whole number from 1 to 20/],
  ['/study answr B', 'unknown-subcommand', /did you mean `answer`\?/],
  ['/svc scale web 99999999999999999999', 'invalid-argument', /got '99999999999999999999', which is far too large/],
  ['""', 'empty-command', /the command is empty/],
  ['/svc logs web -- --lines', 'extra-argument', /unexpected '--lines'/],
  ["/svc ''", 'unknown-subcommand', /no subcommand ''/],
];

describe('parser: good input', () => {
  it.each(good)('%s', (line, sub, args) => {
    const p = parseCommandLine(line, testCommands);
    expect('help' in p).toBe(false);
    if ('help' in p) return;
    expect(p.sub.name).toBe(sub);
    expect(Object.fromEntries(Object.entries(p.args).filter(([, v]) => v !== undefined))).toEqual(args);
  });
});

describe('parser: bad input says what was wrong and what is expected', () => {
  it.each(bad)('%s', (line, id, message) => {
    let caught: unknown;
    try {
      parseCommandLine(line, testCommands);
    } catch (e) {
      caught = e;
    }
    expect(isUserError(caught), `expected a UserError for ${JSON.stringify(line)}`).toBe(true);
    if (!isUserError(caught)) return;
    expect(caught.id).toBe(id);
    expect(caught.message).toMatch(message);
  });

  it('quotes a 10,000-character input back clipped, so the message stays within chat limits', () => {
    const cases: Array<[string, RegExp]> = [
      [`/${'z'.repeat(10_000)}`, /^there is no command \/z{59}…$/],
      [`/svc scale web 5 ${'x'.repeat(10_000)}`, /^unexpected 'x{59}…' after \/svc scale$/],
      [`/svc logs web --since ${'9'.repeat(10_000)}m`, /^--since must be .{0,120}, got '9{59}…'$/],
      [`/svc logs web --${'q'.repeat(10_000)} 1`, /has no option --q{59}…$/],
      [`/svc ${'s'.repeat(10_000)}`, /no subcommand 's{59}…'$/],
    ];
    for (const [line, message] of cases) {
      expect(() => parseCommandLine(line, testCommands)).toThrow(message);
    }
  });

  it('limits the length of a string option that has a max', () => {
    const spec = { name: 'filter', type: 'string', description: 'Text to match', max: 5 } as const;
    expect(coerceValue(spec, 'abcde', '/svc logs')).toBe('abcde');
    expect(() => coerceValue(spec, 'abcdef', '/svc logs')).toThrow("filter must be at most 5 characters, got 6: 'abcdef'");
  });

  it('gives the usage with argument errors', () => {
    try {
      parseCommandLine('/svc scale web -3', testCommands);
    } catch (e) {
      expect(isUserError(e) && e.hint).toBe('Usage: /svc scale <service> <count>');
    }
  });
});

describe('parser: help requests', () => {
  it.each([
    ['/help', undefined, undefined],
    ['/help svc', 'svc', undefined],
    ['/help svc scale', 'svc', 'scale'],
    ['/svc', 'svc', undefined],
    ['/svc help', 'svc', undefined],
    ['/svc scale help', 'svc', 'scale'],
    ['/svc help scale', 'svc', 'scale'],
  ])('%s', (line, cmd, sub) => {
    const p = parseCommandLine(line, testCommands);
    expect('help' in p).toBe(true);
    if (!('help' in p)) return;
    expect(p.command?.name).toBe(cmd);
    expect(p.sub?.name).toBe(sub);
  });
});

describe('structured input passes the same validation', () => {
  it('accepts typed values', () => {
    const p = parseStructured({ command: 'svc', subcommand: 'scale', options: { service: 'web', count: 5 } }, testCommands);
    expect(p.args).toEqual({ service: 'web', count: 5 });
  });
  it('rejects out-of-range values with the same message', () => {
    expect(() => parseStructured({ command: 'svc', subcommand: 'scale', options: { service: 'web', count: -3 } }, testCommands)).toThrow(
      "count must be a whole number from 0 to 50, got '-3'",
    );
  });
  it('rejects a missing required option', () => {
    expect(() => parseStructured({ command: 'svc', subcommand: 'scale', options: { service: 'web' } }, testCommands)).toThrow('count is missing');
  });
});

describe('durations and tokens', () => {
  it('parses and formats durations', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('90')).toBeUndefined();
    expect(parseDuration('m')).toBeUndefined();
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(120_000)).toBe('2m');
  });
  it('keeps quoted words together', () => {
    expect(tokenize('a "b c" d').map((t) => t.text)).toEqual(['a', 'b c', 'd']);
  });
});
