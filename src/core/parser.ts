import type { ArgMap, ArgValue, CommandDef, OptionSpec, SubcommandDef } from './command.ts';
import { isDirect, usageOf } from './command.ts';
import { clipInput, UserError } from './errors.ts';

/** A command line resolved to its definition and typed arguments. */
export interface ParsedCommand {
  /** The top-level command. */
  command: CommandDef;
  /** The subcommand to run. */
  sub: SubcommandDef;
  /** Typed, validated arguments by option name. */
  args: ArgMap;
}

/** A request for help instead of a run, such as `/ecs help` or `/ecs` alone. */
export interface HelpRequest {
  /** Marks this as a help request. */
  help: true;
  /** The command asked about, or undefined for all commands. */
  command?: CommandDef;
  /** The subcommand asked about, if any. */
  sub?: SubcommandDef;
}

/** One token of a command line, with whether it was quoted (quoted text is never a flag). */
interface Token {
  text: string;
  quoted: boolean;
  /** Offset of the token's first character in the input, for `rest` arguments. */
  start: number;
}

/** Splits a line into words, honouring "double" and 'single' quotes and backslash escapes inside them. */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    const start = i;
    let text = '';
    let quoted = false;
    while (i < line.length && !/\s/.test(line[i]!)) {
      const ch = line[i]!;
      // Chat apps turn typed quotes into typographic ones (“…” and ‘…’), so those quote too.
      // An apostrophe right after a letter or digit (doesn't, host's) is part of the word, not a quote.
      const apostrophe = ch === '\'' && i > start && /[\p{L}\p{N}]/u.test(line[i - 1]!);
      if (!apostrophe && (ch === '"' || ch === '\'' || ch === '“' || ch === '”' || ch === '‘')) {
        const close = ch === '“' ? '”' : ch === '‘' ? '’' : ch;
        quoted = true;
        i++;
        let closed = false;
        while (i < line.length) {
          const c = line[i]!;
          if (c === '\\' && i + 1 < line.length && (line[i + 1] === close || line[i + 1] === '\\')) {
            text += line[i + 1];
            i += 2;
            continue;
          }
          if (c === close || (close === '”' && c === '"')) {
            closed = true;
            i++;
            break;
          }
          text += c;
          i++;
        }
        if (!closed) {
          throw new UserError('unclosed-quote', `a quote opened at character ${start + 1} is never closed`, 'Close it with the same quote mark, e.g. --filter "db timeout".');
        }
      } else {
        text += ch;
        i++;
      }
    }
    tokens.push({ text, quoted, start });
  }
  return tokens;
}

/** Edit distance between two words, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate to `word`, if one is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const d = lc.startsWith(w) && w.length >= 2 ? 0.5 : editDistance(w, lc);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.max(1, Math.floor(w.length / 3) + 1);
  return bestD <= limit ? best : undefined;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `30s`, `15m`, `2h`, `1h30m` or `1d` into milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (!/^(\d+(ms|s|m|h|d))+$/.test(t)) return undefined;
  let total = 0;
  for (const m of t.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  }
  return total;
}

/** Writes milliseconds as a short duration such as `15m` or `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

/** Durations offered as examples, most familiar first; only those inside an option's range are shown. */
const DURATION_EXAMPLES = ['30s', '15m', '2h', '1d', '5m', '1m', '10s', '1h', '5s', '7d'];

/** "30s, 15m or 2h" — example durations that the option itself accepts. */
export function durationExamples(min = 0, max = Infinity): string {
  const ok = DURATION_EXAMPLES.map((d) => [d, parseDuration(d)!] as const)
    .filter(([, ms]) => ms >= min && ms <= max)
    .slice(0, 3)
    .sort((a, b) => a[1] - b[1])
    .map(([d]) => d);
  if (ok.length === 0) return formatDuration(min);
  return ok.length === 1 ? ok[0]! : `${ok.slice(0, -1).join(', ')} or ${ok[ok.length - 1]}`;
}

/** How messages name an option: `--follow` for a flag, `count` for a positional argument. */
export function optionLabel(spec: OptionSpec): string {
  return spec.positional ? spec.name : `--${spec.name}`;
}

/** What kind of value an option takes, in words, with an example that obeys its own limits. */
export function describeRange(spec: OptionSpec): string {
  if (spec.type === 'integer') {
    if (spec.min !== undefined && spec.max !== undefined) return `a whole number from ${spec.min} to ${spec.max}`;
    if (spec.min !== undefined) return `a whole number of at least ${spec.min}`;
    if (spec.max !== undefined) return `a whole number of at most ${spec.max}`;
    return 'a whole number';
  }
  if (spec.type === 'duration') {
    const base = `a duration such as ${durationExamples(spec.min, spec.max)}`;
    if (spec.min !== undefined && spec.max !== undefined) return `${base}, from ${formatDuration(spec.min)} to ${formatDuration(spec.max)}`;
    if (spec.max !== undefined) return `${base}, at most ${formatDuration(spec.max)}`;
    if (spec.min !== undefined) return `${base}, at least ${formatDuration(spec.min)}`;
    return base;
  }
  if (spec.type === 'boolean') return 'true or false';
  if (spec.choices) return `one of ${spec.choices.join(', ')}`;
  const kind = spec.kind ?? `a ${spec.name} name`;
  const example = spec.example ? ` such as ${/\s/.test(spec.example) ? `"${spec.example}"` : spec.example}` : '';
  return `${kind}${example}${spec.max !== undefined ? ` (at most ${spec.max} characters)` : ''}`;
}

/**
 * Turns one raw value into the option's type, or throws a UserError naming the option,
 * what was given and what is expected. Structured input (Discord options) goes through here too.
 */
export function coerceValue(spec: OptionSpec, raw: string | number | boolean, usage: string): ArgValue {
  const given = String(raw);
  const bad = (): never => {
    // A run of digits past what a number can hold reads as "too large", not as a malformed number.
    const huge = spec.type === 'integer' && /^\+?\d+$/.test(given.trim()) && !Number.isSafeInteger(Number(given.trim()));
    throw new UserError('invalid-argument', `${optionLabel(spec)} must be ${describeRange(spec)}, got '${clipInput(given)}'${huge ? ', which is far too large' : ''}`, `Usage: ${usage}`);
  };
  switch (spec.type) {
    case 'integer': {
      const n = typeof raw === 'number' ? raw : /^[-+]?\d+$/.test(given.trim()) ? Number(given.trim()) : NaN;
      if (!Number.isSafeInteger(n)) return bad();
      if (spec.min !== undefined && n < spec.min) return bad();
      if (spec.max !== undefined && n > spec.max) return bad();
      return n;
    }
    case 'duration': {
      const ms = typeof raw === 'number' ? raw : parseDuration(given);
      if (ms === undefined || !Number.isFinite(ms)) return bad();
      if (spec.min !== undefined && ms < spec.min) return bad();
      if (spec.max !== undefined && ms > spec.max) return bad();
      return ms;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const l = given.toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(l)) return true;
      if (['false', 'no', 'off', '0'].includes(l)) return false;
      return bad();
    }
    case 'string': {
      if (given.trim() === '') return bad();
      if (spec.max !== undefined && [...given].length > spec.max) {
        throw new UserError('invalid-argument', `${optionLabel(spec)} must be at most ${spec.max} characters, got ${[...given].length}: '${clipInput(given)}'`, `Usage: ${usage}`);
      }
      if (spec.choices) {
        const hit = spec.choices.find((c) => c.toLowerCase() === given.toLowerCase());
        if (!hit) {
          const near = closest(given, spec.choices);
          throw new UserError(
            'invalid-argument',
            `${optionLabel(spec)} must be one of ${spec.choices.join(', ')}, got '${clipInput(given)}'${near ? ` — did you mean '${near}'?` : ''}`,
            `Usage: ${usage}`,
          );
        }
        return hit;
      }
      return given;
    }
  }
}

/** Checks that every required option is present, after values were coerced. */
function requireAll(sub: SubcommandDef, args: ArgMap, usage: string): void {
  for (const spec of sub.options) {
    if (spec.required && args[spec.name] === undefined) {
      throw new UserError('missing-argument', `${optionLabel(spec)} is missing: expected ${describeRange(spec)}, as in ${sub.example}`, `Usage: ${usage}`);
    }
  }
}

/** Finds a command by name, or throws with the closest name and the list of commands. */
export function findCommand(name: string, commands: readonly CommandDef[]): CommandDef {
  const cmd = commands.find((c) => c.name === name.toLowerCase());
  if (cmd) return cmd;
  // `/help` is answered by the parser itself, so it is a name a typo can be close to as well.
  const near = closest(name, [...commands.map((c) => c.name), 'help']);
  throw new UserError(
    'unknown-command',
    `there is no command /${clipInput(name)}${near ? ` — did you mean /${near}?` : ''}`,
    `Commands: ${commands.map((c) => `/${c.name}`).join(', ')}. Try /help.`,
  );
}

/** Finds a subcommand by name, or throws with the closest name and the command's usage. */
export function findSubcommand(cmd: CommandDef, name: string): SubcommandDef {
  const sub = cmd.subcommands.find((s) => s.name === name.toLowerCase());
  if (sub) return sub;
  const near = closest(name, cmd.subcommands.map((s) => s.name));
  throw new UserError(
    'unknown-subcommand',
    `/${cmd.name} has no subcommand '${clipInput(name)}'${near ? ` — did you mean \`${near}\`?` : ''}`,
    near ? `Usage: ${usageOf(cmd, cmd.subcommands.find((s) => s.name === near)!)}` : `Subcommands: ${cmd.subcommands.map((s) => s.name).join(', ')}. Try /${cmd.name} help.`,
  );
}

/** How messages name a command: `/ecs logs`, `/audit`. */
function commandLabel(cmd: CommandDef, sub: SubcommandDef): string {
  return isDirect(cmd) ? `/${cmd.name}` : `/${cmd.name} ${sub.name}`;
}

/** Parses the argument tokens of one subcommand into typed, validated values. */
function parseArgs(cmd: CommandDef, sub: SubcommandDef, tokens: Token[], line: string): ArgMap {
  const usage = usageOf(cmd, sub);
  const args: ArgMap = {};
  const positionals = sub.options.filter((o) => o.positional);
  const flags = sub.options.filter((o) => !o.positional);
  let pos = 0;
  let optionsEnded = false;
  /** The text flag whose value the previous word was, for the "quote it" hint on a word left over after it. */
  let valueOf: { spec: OptionSpec; at: number } | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const raw = tokens[i]!;
    // Chat apps turn a typed `--` into an em or en dash (`—since`); read it as the flag it was.
    const dashed = !raw.quoted && /^[—–][a-z]/i.test(raw.text) ? raw.text.slice(1).split('=')[0]!.toLowerCase() : undefined;
    const tok = dashed !== undefined && flags.some((f) => f.name === dashed) ? { ...raw, text: `--${raw.text.slice(1)}` } : raw;
    if (!tok.quoted && tok.text === '--' && !optionsEnded) {
      // `--` ends the options, as in a shell: what follows is taken as values, even `--x`.
      optionsEnded = true;
      continue;
    }
    if (!optionsEnded && !tok.quoted && tok.text.startsWith('--') && tok.text.length > 2) {
      const eq = tok.text.indexOf('=');
      const name = (eq >= 0 ? tok.text.slice(2, eq) : tok.text.slice(2)).toLowerCase();
      const spec = flags.find((f) => f.name === name);
      if (!spec) {
        const near = closest(name, flags.map((f) => f.name));
        throw new UserError(
          'unknown-option',
          `${commandLabel(cmd, sub)} has no option --${clipInput(name)}${near ? ` — did you mean --${near}?` : ''}`,
          `Usage: ${usage}`,
        );
      }
      if (args[spec.name] !== undefined) {
        throw new UserError('duplicate-option', `--${spec.name} is given twice`, `Usage: ${usage}`);
      }
      let raw: string | undefined;
      if (eq >= 0) raw = tok.text.slice(eq + 1);
      else if (spec.type === 'boolean') {
        const next = tokens[i + 1];
        if (next && /^(true|false|yes|no|on|off)$/i.test(next.text)) {
          raw = next.text;
          i++;
        } else raw = 'true';
      } else {
        const next = tokens[i + 1];
        if (!next || (!next.quoted && next.text.startsWith('--'))) {
          throw new UserError('missing-argument', `--${spec.name} needs a value: ${describeRange(spec)}`, `Usage: ${usage}`);
        }
        raw = next.text;
        i++;
        if (spec.type === 'string' && !next.quoted) valueOf = { spec, at: i };
      }
      args[spec.name] = coerceValue(spec, raw, usage);
      continue;
    }
    const spec = positionals[pos];
    if (!spec) {
      if (valueOf && valueOf.at === i - 1) {
        // `--filter ?502 ?404` took only `?502`: the user meant the words together.
        let j = valueOf.at;
        while (j + 1 < tokens.length && !tokens[j + 1]!.text.startsWith('--')) j++;
        const together = tokens.slice(valueOf.at, j + 1).map((t) => t.text).join(' ');
        throw new UserError(
          'extra-argument',
          `unexpected '${clipInput(tok.text)}' after --${valueOf.spec.name} ${clipInput(tokens[valueOf.at]!.text)}`,
          `To give --${valueOf.spec.name} several words, quote them: --${valueOf.spec.name} "${clipInput(together)}"`,
        );
      }
      throw new UserError('extra-argument', `unexpected '${clipInput(tok.text)}' after ${commandLabel(cmd, sub)}`, `Usage: ${usage}`);
    }
    if (spec.rest) {
      // The rest of the line, as typed, is one free-text argument (answers, filters).
      args[spec.name] = coerceValue(spec, tokens.slice(i).some((t) => t.quoted) && tokens.length - i === 1 ? tok.text : line.slice(tok.start).trim(), usage);
      break;
    }
    args[spec.name] = coerceValue(spec, tok.text, usage);
    valueOf = undefined;
    pos++;
  }
  requireAll(sub, args, usage);
  return args;
}

/**
 * Parses a command line such as `/ecs scale web 5` or `/ecs logs web --since 15m --filter "db timeout"`.
 * Returns the command to run, or a help request; throws a UserError on bad input.
 */
export function parseCommandLine(line: string, commands: readonly CommandDef[]): ParsedCommand | HelpRequest {
  const trimmed = line.trim().replace(/^\//, '');
  const tokens = tokenize(trimmed);
  const first = tokens[0];
  if (!first || first.text.trim() === '') throw new UserError('empty-command', 'the command is empty', 'Try /help to see what you can run.');
  if (first.text.toLowerCase() === 'help' && !commands.some((c) => c.name === 'help' && !isDirect(c))) {
    const about = tokens[1];
    if (about) {
      const cmd = findCommand(about.text.replace(/^\//, ''), commands);
      const subTok = tokens[2];
      return subTok && !isDirect(cmd) ? { help: true, command: cmd, sub: findSubcommand(cmd, subTok.text) } : { help: true, command: cmd };
    }
    return { help: true };
  }
  const cmd = findCommand(first.text, commands);
  if (isDirect(cmd)) {
    const sub = cmd.subcommands[0]!;
    if (asksForHelp(sub, tokens.slice(1))) return { help: true, command: cmd };
    return { command: cmd, sub, args: parseArgs(cmd, sub, tokens.slice(1), trimmed) };
  }
  const subTok = tokens[1];
  if (!subTok) return { help: true, command: cmd };
  if (subTok.text.toLowerCase() === 'help' && !subTok.quoted) {
    // `/ecs help scale` asks about one subcommand, like `/ecs scale help`.
    const about = tokens[2];
    return about ? { help: true, command: cmd, sub: findSubcommand(cmd, about.text) } : { help: true, command: cmd };
  }
  let sub: SubcommandDef;
  let rest: Token[];
  const named = cmd.subcommands.find((s) => s.name === subTok.text.toLowerCase());
  if (named) {
    sub = named;
    rest = tokens.slice(2);
  } else if (cmd.fallback && !subTok.text.startsWith('-') && !closestSubcommand(cmd, subTok.text)) {
    sub = findSubcommand(cmd, cmd.fallback);
    rest = tokens.slice(1);
  } else {
    sub = findSubcommand(cmd, subTok.text);
    rest = tokens.slice(2);
  }
  if (asksForHelp(sub, rest)) {
    const became = rest.length > 1 && !rest[0]!.quoted ? sub.formerly?.[rest[0]!.text.toLowerCase()] : undefined;
    return { help: true, command: cmd, sub: became ? findSubcommand(cmd, became) : sub };
  }
  return { command: cmd, sub, args: parseArgs(cmd, sub, rest, trimmed) };
}

/**
 * True when the words after a subcommand ask for its help: `help` first (`/ecs scale help`) or last
 * (`/ecs logs stop help`), unless it is the value of a flag (`--filter help`) or free text (answers).
 */
function asksForHelp(sub: SubcommandDef, rest: readonly Token[]): boolean {
  if (sub.options.some((o) => o.rest)) return false;
  const isHelp = (t: Token | undefined): boolean => t !== undefined && !t.quoted && t.text.toLowerCase() === 'help';
  if (isHelp(rest[0])) return true;
  const last = rest[rest.length - 1];
  if (!isHelp(last)) return false;
  const before = rest[rest.length - 2];
  if (!before || before.quoted || !before.text.startsWith('--') || before.text.includes('=')) return true;
  const flag = sub.options.find((o) => !o.positional && o.name === before.text.slice(2).toLowerCase());
  return flag?.type === 'boolean';
}

/** A near-miss subcommand name (a typo), which must not fall through to the fallback. */
function closestSubcommand(cmd: CommandDef, word: string): string | undefined {
  if (word.length < 3) return undefined;
  const near = closest(word, cmd.subcommands.map((s) => s.name));
  return near && editDistance(word.toLowerCase(), near) <= 1 ? near : undefined;
}

/** Structured input from a platform that has typed options (Discord): command, subcommand, option values. */
export interface StructuredInput {
  /** The command name. */
  command: string;
  /** The subcommand name (absent for direct commands). */
  subcommand?: string;
  /** Raw option values by name. */
  options: Record<string, string | number | boolean | undefined>;
}

/** Validates structured input exactly as a typed line would be validated. */
export function parseStructured(input: StructuredInput, commands: readonly CommandDef[]): ParsedCommand {
  const cmd = findCommand(input.command, commands);
  const sub = isDirect(cmd) ? cmd.subcommands[0]! : findSubcommand(cmd, input.subcommand ?? '');
  const usage = usageOf(cmd, sub);
  const args: ArgMap = {};
  for (const [name, raw] of Object.entries(input.options)) {
    if (raw === undefined) continue;
    const spec = sub.options.find((o) => o.name === name);
    if (!spec) throw new UserError('unknown-option', `${commandLabel(cmd, sub)} has no option --${name}`, `Usage: ${usage}`);
    args[name] = coerceValue(spec, raw, usage);
  }
  requireAll(sub, args, usage);
  return { command: cmd, sub, args };
}

/** Rebuilds a command line from structured input, for the audit log and replies. */
export function structuredToText(input: StructuredInput, commands: readonly CommandDef[]): string {
  const cmd = commands.find((c) => c.name === input.command);
  const sub = cmd && (isDirect(cmd) ? cmd.subcommands[0] : cmd.subcommands.find((s) => s.name === input.subcommand));
  const parts = [`/${input.command}`];
  if (input.subcommand && cmd && !isDirect(cmd)) parts.push(input.subcommand);
  const quote = (v: string): string => (/\s/.test(v) ? `"${v.replace(/"/g, '\\"')}"` : v);
  for (const [name, raw] of Object.entries(input.options)) {
    if (raw === undefined) continue;
    const spec = sub?.options.find((o) => o.name === name);
    parts.push(spec?.positional ? quote(String(raw)) : `--${name} ${quote(String(raw))}`);
  }
  return parts.join(' ');
}
