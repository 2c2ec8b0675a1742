/**
 * Fault injection for tests and benchmarks: per operation, a share of calls throttled,
 * a share answered with a 5xx, added latency, or access denied. Shares are applied
 * deterministically (a share of 0.25 fails exactly every fourth call), so tests are stable.
 */
import { AwsError } from './protocol.ts';

/** What to inject for one operation (or for all, under `*`). */
export interface FaultSpec {
  /** Share of calls (0..1) answered with ThrottlingException, HTTP 400. */
  throttle?: number;
  /** Share of calls (0..1) answered with a server error, HTTP 500. */
  serverError?: number;
  /** Real milliseconds added before answering. */
  latencyMs?: number;
  /** Share of calls (0..1, or true for all) answered with AccessDeniedException. */
  accessDenied?: number | boolean;
  /**
   * The permission the AccessDeniedException names, when it is not the operation's own: a
   * RegisterTaskDefinition whose caller may not pass the task's roles is denied `iam:PassRole`.
   */
  deniedAction?: string;
  /**
   * FilterLogEvents only: share of calls (0..1) answered with an empty page whose nextToken
   * continues the search, as CloudWatch does while it scans; a client that stops there misses events.
   */
  emptyPage?: number;
}

/** The AWS service an operation belongs to, as IAM action prefixes name them. */
export type SandboxServiceName = 'ecs' | 'ecr' | 'logs' | 'cloudwatch' | 'sqs';

interface Entry {
  spec: FaultSpec;
  acc: { throttle: number; serverError: number; accessDenied: number; emptyPage: number };
}

/** Per-operation fault settings; nothing is injected unless set. */
export class FaultInjector {
  private readonly entries = new Map<string, Entry>();
  private readonly accountId: string;

  constructor(accountId = '123456789012') {
    this.accountId = accountId;
  }

  /**
   * Sets faults for an operation: `ListServices`, `ecs:ListServices` (one service only)
   * or `*` (every operation). Replaces any earlier setting for the same key.
   */
  set(operation: string, spec: FaultSpec): void {
    this.entries.set(operation, { spec, acc: { throttle: 0, serverError: 0, accessDenied: 0, emptyPage: 0 } });
  }

  /** Removes the faults of one operation key, or all of them. */
  clear(operation?: string): void {
    if (operation === undefined) this.entries.clear();
    else this.entries.delete(operation);
  }

  /** Decides what happens to one call: added latency and, maybe, an error to answer with. */
  decide(service: SandboxServiceName, operation: string): { latencyMs: number; error?: AwsError; emptyPage?: boolean } {
    const entry = this.entries.get(`${service}:${operation}`) ?? this.entries.get(operation) ?? this.entries.get('*');
    if (!entry) return { latencyMs: 0 };
    const { spec, acc } = entry;
    const latencyMs = spec.latencyMs ?? 0;
    const denied = spec.accessDenied === true ? 1 : spec.accessDenied === false ? 0 : (spec.accessDenied ?? 0);
    if (due(acc, 'accessDenied', denied)) {
      const action = spec.deniedAction ?? `${service}:${operation}`;
      return {
        latencyMs,
        error: new AwsError(
          'AccessDeniedException',
          `User: arn:aws:iam::${this.accountId}:user/sandbox is not authorized to perform: ${action} on resource: * because no identity-based policy allows the ${action} action`,
        ),
      };
    }
    if (due(acc, 'throttle', spec.throttle ?? 0)) return { latencyMs, error: new AwsError('ThrottlingException', 'Rate exceeded') };
    if (due(acc, 'serverError', spec.serverError ?? 0)) {
      return {
        latencyMs,
        error:
          service === 'logs'
            ? new AwsError('ServiceUnavailableException', 'The service cannot complete the request.', 500)
            : new AwsError('ServerException', 'Service encountered an internal error.', 500),
      };
    }
    if (operation === 'FilterLogEvents' && due(acc, 'emptyPage', spec.emptyPage ?? 0)) return { latencyMs, emptyPage: true };
    return { latencyMs };
  }
}

function due(acc: Entry['acc'], kind: keyof Entry['acc'], share: number): boolean {
  if (share <= 0) return false;
  acc[kind] += Math.min(share, 1);
  if (acc[kind] >= 1 - 1e-9) {
    acc[kind] -= 1;
    return true;
  }
  return false;
}
