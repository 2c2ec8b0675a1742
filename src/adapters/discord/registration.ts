/**
 * The application commands Discord registers, built from the same command definitions as
 * everything else, and checked against every limit Discord documents before anything is sent
 * (https://discord.com/developers/docs/interactions/application-commands).
 */
import type { CommandDef, OptionSpec, SubcommandDef } from '../../core/command.ts';
import { isDirect } from '../../core/command.ts';
import { suggestsFor } from '../../core/suggest.ts';

/** Option types (https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-option-type). */
const OPTION_TYPE = { subcommand: 1, string: 3, integer: 4, boolean: 5 } as const;

/** One option of a registered command, as Discord takes it. */
export interface CommandOptionJson {
  type: number;
  name: string;
  description: string;
  required?: boolean;
  choices?: Array<{ name: string; value: string }>;
  min_value?: number;
  max_value?: number;
  max_length?: number;
  autocomplete?: boolean;
  options?: CommandOptionJson[];
}

/** One chat-input command, as PUT …/commands takes it. */
export interface CommandJson {
  name: string;
  type: 1;
  description: string;
  options: CommandOptionJson[];
  /** 0 guild, 1 bot DM (https://discord.com/developers/docs/interactions/application-commands#interaction-contexts). */
  contexts: number[];
}

/** Discord's limits on application commands (same page). */
export const COMMAND_LIMITS = { name: /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u, description: 100, options: 25, choices: 25, commandChars: 8000, commands: 100 } as const;

/** Raised when a definition cannot be registered: names the command and the limit. */
export class RegistrationError extends Error {
  /** One line per problem. */
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`the commands cannot be registered with Discord:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RegistrationError';
    this.problems = problems;
  }
}

function optionJson(o: OptionSpec): CommandOptionJson {
  const out: CommandOptionJson = {
    type: o.type === 'integer' ? OPTION_TYPE.integer : o.type === 'boolean' ? OPTION_TYPE.boolean : OPTION_TYPE.string,
    name: o.name,
    // Durations travel as text such as 15m; the description says so, since Discord has no duration type.
    description: o.type === 'duration' && !/\b\d+[smhd]\b/.test(o.description) ? `${o.description} (such as 30s, 15m, 2h)` : o.description,
  };
  if (o.required) out.required = true;
  if (o.choices) out.choices = o.choices.map((c) => ({ name: c, value: c }));
  if (o.type === 'integer' && o.min !== undefined) out.min_value = o.min;
  if (o.type === 'integer' && o.max !== undefined) out.max_value = o.max;
  if (o.type === 'string' && o.max !== undefined) out.max_length = o.max;
  if (o.type === 'string' && !o.choices && suggestsFor(o.name)) out.autocomplete = true;
  return out;
}

/** Discord requires required options before optional ones; the order is otherwise kept. */
function optionsOf(sub: SubcommandDef): CommandOptionJson[] {
  const all = sub.options.map(optionJson);
  return [...all.filter((o) => o.required), ...all.filter((o) => !o.required)];
}

/** The synthesized `/help [command]`: help is built into the parser, so no definition carries it. */
function helpCommand(defs: readonly CommandDef[]): CommandJson {
  return {
    name: 'help',
    type: 1,
    description: 'What dockhand can do for you, or how to use one command',
    options: [{ type: OPTION_TYPE.string, name: 'command', description: 'A command such as ecs or quiz', choices: defs.map((c) => ({ name: c.name, value: c.name })) }],
    contexts: [0, 1],
  };
}

/** Builds the registration payload: one command per group (subcommands inside), plus `/help`. */
export function buildCommands(defs: readonly CommandDef[]): CommandJson[] {
  const out: CommandJson[] = defs.map((c) => ({
    name: c.name,
    type: 1,
    description: c.description,
    options: isDirect(c)
      ? optionsOf(c.subcommands[0]!)
      : c.subcommands.map((s) => ({ type: OPTION_TYPE.subcommand, name: s.name, description: s.description, options: optionsOf(s) })),
    contexts: [0, 1],
  }));
  return [...out, helpCommand(defs)];
}

function optionChars(o: CommandOptionJson): number {
  return o.name.length + o.description.length + (o.choices ?? []).reduce((n, c) => n + c.name.length + c.value.length, 0) + (o.options ?? []).reduce((n, x) => n + optionChars(x), 0);
}

function checkLevel(where: string, options: readonly CommandOptionJson[], problems: string[]): void {
  if (options.length > COMMAND_LIMITS.options) problems.push(`${where}: ${options.length} options, Discord allows at most ${COMMAND_LIMITS.options} per level`);
  let optionalSeen = false;
  for (const o of options) {
    const w = `${where} ${o.name}`;
    checkNamed(w, o.name, o.description, problems);
    if (o.type === OPTION_TYPE.subcommand) {
      checkLevel(w, o.options ?? [], problems);
      continue;
    }
    if (o.required && optionalSeen) problems.push(`${w}: a required option after an optional one (Discord wants required options first)`);
    if (!o.required) optionalSeen = true;
    if ((o.choices?.length ?? 0) > COMMAND_LIMITS.choices) problems.push(`${w}: ${o.choices!.length} choices, Discord allows at most ${COMMAND_LIMITS.choices}`);
  }
}

function checkNamed(where: string, name: string, description: string, problems: string[]): void {
  if (!COMMAND_LIMITS.name.test(name) || name !== name.toLowerCase()) problems.push(`${where}: the name '${name}' is not a Discord command name (1-32 lower-case letters, digits, - _ ')`);
  if (description.length < 1 || description.length > COMMAND_LIMITS.description) {
    problems.push(`${where}: the description has ${description.length} characters, Discord allows 1-${COMMAND_LIMITS.description}`);
  }
}

/** Checks the payload against every documented limit; throws a RegistrationError naming each command and limit broken. */
export function checkCommands(cmds: readonly CommandJson[]): void {
  const problems: string[] = [];
  if (cmds.length > COMMAND_LIMITS.commands) problems.push(`${cmds.length} commands, Discord allows at most ${COMMAND_LIMITS.commands}`);
  const names = new Set<string>();
  for (const c of cmds) {
    const w = `/${c.name}`;
    if (names.has(c.name)) problems.push(`${w}: registered twice`);
    names.add(c.name);
    checkNamed(w, c.name, c.description, problems);
    checkLevel(w, c.options, problems);
    const chars = c.name.length + c.description.length + c.options.reduce((n, o) => n + optionChars(o), 0);
    if (chars > COMMAND_LIMITS.commandChars) problems.push(`${w}: ${chars} characters in names, descriptions and choices, Discord allows at most ${COMMAND_LIMITS.commandChars}`);
  }
  if (problems.length > 0) throw new RegistrationError(problems);
}

/** Permissions the bot uses (https://discord.com/developers/docs/topics/permissions#permissions-bitwise-permission-flags). */
export const BOT_PERMISSIONS = {
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  // /ecs metrics sends its PNG chart as an attachment.
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  CreatePublicThreads: 1n << 35n,
  SendMessagesInThreads: 1n << 38n,
} as const;

/** The invite URL with the scopes and the minimum permissions dockhand uses. */
export function inviteUrl(applicationId: string): string {
  const perms = Object.values(BOT_PERMISSIONS).reduce((a, b) => a | b, 0n);
  return `https://discord.com/oauth2/authorize?client_id=${applicationId}&scope=bot+applications.commands&permissions=${perms.toString()}`;
}
