import type { Caller, CommandDef, SubcommandDef } from './command.ts';
import type { Role } from './roles.ts';
import { maxRole, roleAtLeast } from './roles.ts';
import type { CoreSettings } from './settings.ts';

/**
 * The caller's effective role: the strongest of an explicit grant in config
 * (`platform:user-id`), the roles their platform groups map to, and the default role.
 */
export function resolveRole(caller: Caller, settings: CoreSettings): Role {
  let role = settings.defaultRole;
  const granted = settings.userRoles.get(`${caller.platform}:${caller.userId}`);
  if (granted) role = maxRole(role, granted);
  for (const r of caller.platformRoles ?? []) role = maxRole(role, r);
  return role;
}

/** True when a caller with `role` may run the subcommand. */
export function mayRun(role: Role, sub: SubcommandDef): boolean {
  return roleAtLeast(role, sub.role);
}

/** The commands a role may see in help, each with only the subcommands it may run. */
export function visibleCommands(role: Role, commands: readonly CommandDef[]): CommandDef[] {
  const out: CommandDef[] = [];
  for (const c of commands) {
    const subs = c.subcommands.filter((s) => mayRun(role, s));
    if (subs.length > 0) out.push({ ...c, subcommands: subs });
  }
  return out;
}
