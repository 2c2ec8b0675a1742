/**
 * Builds the Slack app manifest for dockhand: its slash commands, interactivity, the bot scopes the
 * adapter really calls, and Socket Mode on or off. Paste the output at api.slack.com/apps → "From a manifest".
 */
import type { CommandDef } from '../../core/command.ts';
import { cut } from './render.ts';
import { DEFAULT_CATCH_ALL, DEFAULT_SLACK_COMMANDS } from './app.ts';

/** What the manifest depends on. */
export interface ManifestOptions {
  /** The app's name in Slack. */
  appName?: string;
  /** Socket Mode (no public URL needed) or HTTP. */
  socketMode: boolean;
  /** Public base URL in HTTP mode, such as `https://dockhand.example.com`; `/slack/events` is appended. */
  publicUrl?: string;
  /** Core command name → slash command (config `slack.commands`). */
  commands?: Readonly<Record<string, string>>;
  /** The catch-all slash command, or null for none. */
  catchAllCommand?: string | null;
  /** True when user groups map to roles (adds `usergroups:read`). */
  userGroups?: boolean;
  /** The command definitions, for descriptions and usage hints. */
  definitions?: readonly CommandDef[];
}

/** One slash command entry of the manifest. */
export interface ManifestSlashCommand {
  command: string;
  url?: string;
  description: string;
  usage_hint?: string;
  should_escape: boolean;
}

/** The manifest, as Slack's manifest schema names things. */
export interface SlackManifest {
  display_information: { name: string; description: string; background_color: string };
  features: { bot_user: { display_name: string; always_online: boolean }; slash_commands: ManifestSlashCommand[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url?: string };
    org_deploy_enabled: boolean;
    socket_mode_enabled: boolean;
    token_rotation_enabled: boolean;
  };
}

/**
 * The bot scopes dockhand uses, each for a Web API method the adapter calls:
 * slash commands need `commands`; chat.postMessage, chat.update and chat.postEphemeral need `chat:write`;
 * files.getUploadURLExternal and files.completeUploadExternal (charts) need `files:write`;
 * usergroups.users.list (only with user-group roles) needs `usergroups:read`.
 */
export function botScopes(userGroups: boolean): string[] {
  return ['commands', 'chat:write', 'files:write', ...(userGroups ? ['usergroups:read'] : [])];
}

const FALLBACK_DESCRIPTIONS: Record<string, { description: string; hint: string }> = {
  ecs: { description: 'Operate Amazon ECS: services, scaling, tasks, logs, images', hint: 'services | scale web 5 | logs web --since 15m | help' },
  quiz: { description: 'Study session on the ECS chapter', hint: 'ecs | score | review | help' },
};

/** Longest app name Slack takes (`display_information.name`, Slack app manifest reference). */
export const APP_NAME_MAX = 35;

/**
 * The bot's display name derived from the app name, in the characters Slack allows for
 * `features.bot_user.display_name` (lower-case letters, digits, `-`, `_` and `.`, up to 80).
 */
export function botDisplayName(appName: string): string {
  return appName.trim().toLowerCase().replace(/\s+/g, '-').replace(/[^a-z0-9._-]/g, '').slice(0, 80);
}

/** Builds the manifest object; throws an Error saying what was wrong and what would be right. */
export function buildManifest(o: ManifestOptions): SlackManifest {
  const name = (o.appName ?? 'dockhand').trim();
  if (!name) throw new Error('--name: the app needs a name, such as dockhand');
  if (name.length > APP_NAME_MAX) throw new Error(`--name: '${name}' is ${name.length} characters; Slack takes an app name of at most ${APP_NAME_MAX}`);
  const displayName = botDisplayName(name);
  if (!displayName) throw new Error(`--name: '${name}' has no letter or digit Slack allows in a bot name (a-z, 0-9, -, _, .); try a name such as dockhand`);
  if (!o.socketMode && !o.publicUrl) throw new Error('HTTP mode needs the public URL Slack will call (--url https://…), or use --socket');
  // Slack calls request URLs only over TLS ("must use TLS (https) with a valid certificate").
  if (!o.socketMode && o.publicUrl && !/^https:\/\/[^\s/]+/i.test(o.publicUrl)) throw new Error(`--url: got '${o.publicUrl}', but Slack calls request URLs over https only; give https://your.host`);
  const requestUrl = o.socketMode ? undefined : `${o.publicUrl!.replace(/\/+$/, '')}/slack/events`;
  const slash: ManifestSlashCommand[] = [];
  for (const [core, command] of Object.entries(o.commands ?? DEFAULT_SLACK_COMMANDS)) {
    const def = o.definitions?.find((d) => d.name === core);
    const fb = FALLBACK_DESCRIPTIONS[core];
    const hint = def ? def.subcommands.slice(0, 4).map((s) => s.example.replace(/^\/\S+\s*/, '')).filter(Boolean).join(' | ') : fb?.hint;
    slash.push({
      command,
      ...(requestUrl ? { url: requestUrl } : {}),
      description: cut(def?.description ?? fb?.description ?? `dockhand ${core}`, 100),
      ...(hint ? { usage_hint: cut(hint, 100) } : {}),
      // Mentions then arrive as <@U…|name>, channels as <#C…|name> and links as <url>, so
      // `/quiz score @ana` names a user instead of the text someone typed (inbound.ts reads them).
      should_escape: true,
    });
  }
  const catchAll = o.catchAllCommand === undefined ? DEFAULT_CATCH_ALL : o.catchAllCommand;
  if (catchAll && !slash.some((s) => s.command === catchAll)) {
    slash.push({
      command: catchAll,
      ...(requestUrl ? { url: requestUrl } : {}),
      description: 'Any dockhand command: help, audit, ecs, quiz',
      usage_hint: 'help | audit 20 | ecs services',
      should_escape: true,
    });
  }
  return {
    display_information: {
      name,
      description: 'ChatOps for Amazon ECS: scale, tail logs, crash alerts, study sessions',
      background_color: '#1d3557',
    },
    features: { bot_user: { display_name: displayName, always_online: true }, slash_commands: slash },
    oauth_config: { scopes: { bot: botScopes(o.userGroups ?? false) } },
    settings: {
      interactivity: { is_enabled: true, ...(requestUrl ? { request_url: requestUrl } : {}) },
      org_deploy_enabled: false,
      socket_mode_enabled: o.socketMode,
      token_rotation_enabled: false,
    },
  };
}
