import type { Role } from './roles.ts';

/** A cluster dockhand may operate on. */
export interface ClusterRef {
  /** The ECS cluster name. */
  name: string;
  /** The AWS region it lives in. */
  region: string;
  /** An optional friendly account name shown in replies. */
  alias?: string;
  /** `second-operator`: every change here needs its Confirm from another operator or admin than the caller. */
  approval?: 'second-operator';
}

/** Min and max desired count allowed for a service. */
export interface Guardrail {
  /** Smallest desired count `/ecs scale` may set. */
  min: number;
  /** Largest desired count `/ecs scale` may set. */
  max: number;
}

/** The settings the core and the commands read; built from config by main.ts. */
export interface CoreSettings {
  /** Role of callers config does not name. */
  defaultRole: Role;
  /** Explicit grants: `platform:user-id` → role. */
  userRoles: ReadonlyMap<string, Role>;
  /** How long a confirmation waits before it expires, in ms. */
  confirmExpiryMs: number;
  /** Whether an operator other than the caller may confirm. */
  operatorsMayConfirm: boolean;
  /** Clusters, first is the default. */
  clusters: readonly ClusterRef[];
  /** True when AWS calls go to the local sandbox. */
  sandbox: boolean;
  /** Guardrails per service name; `*` applies to all others. */
  guardrails: ReadonlyMap<string, Guardrail>;
  /** The config file guardrails were read from, as the user named it; absent when there is none. */
  configFile?: string;
  /** How long a two-person approval request waits, in ms (30 minutes when absent). */
  approvalExpiryMs?: number;
  /** Scan severities that block `/ecs deploy` (an admin may --force); `[CRITICAL]` when absent. */
  deployBlockOn?: readonly string[];
}

/** Settings with safe defaults, for tests and the simplest setups. */
export function defaultSettings(overrides: Partial<CoreSettings> = {}): CoreSettings {
  return {
    defaultRole: 'viewer',
    userRoles: new Map(),
    confirmExpiryMs: 120_000,
    operatorsMayConfirm: false,
    clusters: [{ name: 'default', region: 'us-east-1' }],
    sandbox: true,
    guardrails: new Map(),
    ...overrides,
  };
}
