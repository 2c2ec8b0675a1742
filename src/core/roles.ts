/** The roles, weakest first; each includes what the ones before it may do. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;

/** A caller's role. */
export type Role = (typeof ROLES)[number];

/** True when `have` is at least `need`. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** The stronger of two roles. */
export function maxRole(a: Role, b: Role): Role {
  return roleAtLeast(a, b) ? a : b;
}

/** True when the string names a role. */
export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}
