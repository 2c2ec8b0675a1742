import type { Ports } from '../ports/index.ts';
import type { HandlerResult } from './reply.ts';
import type { Role } from './roles.ts';
import type { Logger } from './logger.ts';
import type { CoreSettings } from './settings.ts';
import type { Platform } from './platform.ts';

export type { Platform } from './platform.ts';

/** Who is running a command, and where. Adapters fill it from their platform's identity. */
export interface Caller {
  /** The platform the command came from. */
  platform: Platform;
  /** Slack team id, Discord guild id, or `local` for the terminal. */
  workspaceId: string;
  /** The channel the command was run in. */
  channelId: string;
  /** The platform's user id. */
  userId: string;
  /** A name to show for the user. */
  displayName: string;
  /** Roles granted by the platform itself (Slack user groups, Discord roles), already mapped by config. */
  platformRoles?: Role[];
}

/** The value types an option can have. */
export type OptionType = 'string' | 'integer' | 'boolean' | 'duration';

/** One argument or `--flag` of a subcommand. */
export interface OptionSpec {
  /** The name, used as `--name` for flags and in messages for positionals. */
  readonly name: string;
  /** The value type; durations such as `15m` become milliseconds. */
  readonly type: OptionType;
  /** What it means, shown in help and as the Discord option description. */
  readonly description: string;
  /** True for arguments given in order without `--name`. */
  readonly positional?: boolean;
  /** True when the command cannot run without it. */
  readonly required?: boolean;
  /** For a positional string: it takes the rest of the line (free text). */
  readonly rest?: boolean;
  /** Smallest allowed value (integers; milliseconds for durations). */
  readonly min?: number;
  /** Largest allowed value (integers; milliseconds for durations; length in characters for strings). */
  readonly max?: number;
  /** The allowed values of a string option. */
  readonly choices?: readonly string[];
  /** For a string option: what kind of value it takes, as messages say it ("a service name"); default "a <name> name". */
  readonly kind?: string;
  /** For a string option: a sample value messages offer, such as `web`. */
  readonly example?: string;
}

type ValueOf<S extends OptionSpec> = S['type'] extends 'integer' | 'duration'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : string;

/** The typed arguments a handler receives for the given option specs. */
export type ArgsOf<O extends readonly OptionSpec[]> = {
  [S in O[number] as S['name']]: S extends { required: true } ? ValueOf<S> : ValueOf<S> | undefined;
};

/** A parsed argument value. */
export type ArgValue = string | number | boolean;

/** Arguments as the core carries them before a handler narrows them. */
export type ArgMap = Record<string, ArgValue | undefined>;

/** What a handler gets besides its arguments. */
export interface CommandContext {
  /** Who runs it. */
  caller: Caller;
  /** The caller's effective role. */
  role: Role;
  /** The ports: AWS, storage, clock. */
  ports: Ports;
  /** Settings the core and commands read (guardrails, clusters, confirmation policy). */
  settings: CoreSettings;
  /** The command line as typed (or rebuilt from structured input). */
  text: string;
  /** A logger scoped to this command. */
  log: Logger;
  /** The commands visible to this caller, for help. */
  commands: readonly CommandDef[];
  /** When the request reached dockhand (ms on the ports' clock), before anything was read for it. */
  receivedAt?: number;
}

/** One runnable action, such as `scale` in `/ecs scale web 5`. */
export interface SubcommandDef<O extends readonly OptionSpec[] = readonly OptionSpec[]> {
  /** Its name, as typed. */
  readonly name: string;
  /** One line: what it does. It is the help text. */
  readonly description: string;
  /** Positional arguments and flags, in order. */
  readonly options: O;
  /** The weakest role that may run it. */
  readonly role: Role;
  /** True when it changes something outside dockhand (and so may need confirmation). */
  readonly changes: boolean;
  /** An example invocation shown in help, such as `/ecs scale web 5`. */
  readonly example: string;
  /**
   * Decides whether this run needs confirmation; returns the question to ask, or null to run at once.
   * Called after validation and authorization, before the handler.
   */
  readonly confirm?: (args: ArgsOf<O>, ctx: CommandContext) => Promise<string | null> | string | null;
  /**
   * The cluster and service a change acts on when its arguments do not name them (an Undo token
   * knows both): two-person approval and `/ecs history` follow it. Undefined when it cannot tell.
   */
  readonly target?: (args: ArgsOf<O>, ctx: CommandContext) => Promise<{ cluster: string; service: string } | undefined>;
  /** Does the work and returns a platform-neutral reply. */
  readonly handler: (args: ArgsOf<O>, ctx: CommandContext) => Promise<HandlerResult> | HandlerResult;
  /**
   * Old forms that became another subcommand: first word → that subcommand's name (`/ecs logs stop`
   * is now `/ecs unfollow`), so `help` after an old form shows the subcommand it became.
   */
  readonly formerly?: Readonly<Record<string, string>>;
}

/** A top-level command such as `/ecs`: a name and its subcommands. */
export interface CommandDef {
  /** The name without the slash. */
  readonly name: string;
  /** One line: what the command group is for. */
  readonly description: string;
  /**
   * The subcommands. A command with a single subcommand named like itself runs it directly
   * (`/help`, `/audit 20`).
   */
  readonly subcommands: readonly SubcommandDef[];
  /**
   * When the first word is no subcommand, run this one with the word as its first positional
   * (so `/quiz ecs` means `/quiz start ecs`).
   */
  readonly fallback?: string;
}

/**
 * Declares a subcommand with its argument types inferred from its options;
 * the result is widened so it fits in a command's list.
 */
export function defineSubcommand<const O extends readonly OptionSpec[]>(def: SubcommandDef<O>): SubcommandDef {
  return def as unknown as SubcommandDef;
}

/** True when the command runs directly, without a subcommand word. */
export function isDirect(cmd: CommandDef): boolean {
  return cmd.subcommands.length === 1 && cmd.subcommands[0]?.name === cmd.name;
}

/** The usage line of a subcommand, such as `/ecs scale <service> <count>`. */
export function usageOf(cmd: CommandDef, sub: SubcommandDef): string {
  const parts = [`/${cmd.name}`];
  if (!isDirect(cmd)) parts.push(sub.name);
  for (const o of sub.options) {
    if (o.positional) parts.push(o.required ? `<${o.name}>` : `[${o.name}]`);
  }
  for (const o of sub.options) {
    if (o.positional) continue;
    const v = o.type === 'boolean' ? '' : o.type === 'duration' ? ' <duration>' : o.choices ? ` ${o.choices.join('|')}` : o.type === 'integer' ? ' <n>' : ` <${o.name}>`;
    parts.push(o.required ? `--${o.name}${v}` : `[--${o.name}${v}]`);
  }
  return parts.join(' ');
}
