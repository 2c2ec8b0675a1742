/**
 * Discord user → Caller. Guild roles come from the interaction's own member object (no REST call);
 * a DM carries no guild roles, so only user-id grants (`discord:<id>`) apply there, and only viewer
 * commands run in DMs.
 */
import type { Caller } from '../../core/command.ts';
import type { Role } from '../../core/roles.ts';

/** The parts of an interaction identity needs (discord.js's BaseInteraction has them). */
export interface InteractionIdentity {
  guildId: string | null;
  channelId: string | null;
  user: { id: string; username: string; globalName?: string | null };
  /** A cached GuildMember (roles.cache) or the raw API member (roles: string[]). */
  member: unknown;
}

/** The role ids of the interaction's member, from either shape discord.js may hand over. */
export function memberRoleIds(member: unknown): string[] {
  if (!member || typeof member !== 'object') return [];
  // A GuildMember's role manager lists only roles in the guild cache, which this intent-less client
  // never fills; discord.js keeps the interaction's raw role ids in `_roles`.
  const raw = (member as { _roles?: unknown })._roles;
  if (Array.isArray(raw)) return raw.filter((r): r is string => typeof r === 'string');
  const roles = (member as { roles?: unknown }).roles;
  if (Array.isArray(roles)) return roles.filter((r): r is string => typeof r === 'string');
  const cache = (roles as { cache?: Map<string, unknown> } | undefined)?.cache;
  return cache ? [...cache.keys()] : [];
}

function nickOf(member: unknown): string | undefined {
  if (!member || typeof member !== 'object') return undefined;
  const m = member as { nick?: unknown; nickname?: unknown };
  const n = m.nickname ?? m.nick;
  return typeof n === 'string' && n ? n : undefined;
}

/** True when the interaction came from a DM (no guild). */
export function isDm(i: InteractionIdentity): boolean {
  return !i.guildId;
}

/** Builds the Caller of an interaction; guild roles map to dockhand roles through `roles.discordRoles`. */
export function callerOf(i: InteractionIdentity, roleMap: ReadonlyMap<string, Role>): Caller {
  const caller: Caller = {
    platform: 'discord',
    workspaceId: i.guildId ?? 'dm',
    channelId: i.channelId ?? 'dm',
    userId: i.user.id,
    displayName: nickOf(i.member) ?? i.user.globalName ?? i.user.username,
  };
  if (!isDm(i)) {
    const roles = memberRoleIds(i.member)
      .map((id) => roleMap.get(id))
      .filter((r): r is Role => r !== undefined);
    if (roles.length > 0) caller.platformRoles = roles;
  }
  return caller;
}
