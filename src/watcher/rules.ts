/**
 * Crash rules: pure functions that decide what a stopped task means. No I/O, so a table test
 * covers every rule.
 */
import type { ContainerInfo, TaskInfo } from '../ports/container-service.ts';

/** What a stopped task was. */
export type StopKind =
  /** An essential container exited non-zero. */
  | 'crash'
  /** Killed for memory (exit 137 of an exited container, or an OutOfMemoryError reason). */
  | 'oom'
  /** Never got running: TaskFailedToStart, image pull or resource initialization errors. */
  | 'failed-to-start'
  /** Replaced because its health checks failed. */
  | 'health-check'
  /** Reclaimed capacity: Spot interruption or termination notice. */
  | 'spot'
  /** Stopped by a person or API call. */
  | 'user'
  /** Scale-in or a deployment replacing it. */
  | 'scale-in'
  /** An essential container exited 0, or nothing tells why. */
  | 'other';

/** The decision about one stopped task. */
export interface StopVerdict {
  /** What it was. */
  kind: StopKind;
  /** True for the kinds that count toward crash loops (crash, oom, failed-to-start, health-check). */
  crash: boolean;
  /** A one-line reason for chat, such as `exit 137 — OutOfMemoryError: Container killed due to memory usage`. */
  reason: string;
  /** The exit code that tells most (the failing essential container's), when there is one. */
  exitCode?: number;
  /** The container the evidence comes from (its logs are the ones to show). */
  container?: string;
}

/** Which stops besides crashes are alerted. */
export interface AlertPolicy {
  /** Spot interruptions and termination notices. */
  spot: boolean;
  /** Stops a user asked for. */
  user: boolean;
  /** Scale-in and deployment replacements. */
  scaleIn: boolean;
}

/** The default: crashes and Spot interruptions, not users' stops or scale-in. */
export const DEFAULT_ALERT_POLICY: AlertPolicy = { spot: true, user: false, scaleIn: false };

const START_FAILURES = /CannotPullContainerError|ResourceInitializationError|CannotStartContainerError|CannotCreateContainerError|CannotInspectContainerError|ContainerRuntimeError|InternalError/;
const HEALTH = /health ?checks?/i;
const OOM = /OutOfMemory|OOMKilled/i;

/** True when ECS has said all it will about why the task stopped, so the verdict will not change. */
export function isSettled(task: TaskInfo): boolean {
  if (task.lastStatus === 'STOPPED') return true;
  if (!task.stopCode) return false;
  if (task.stopCode === 'TaskFailedToStart') return true;
  if (task.stopCode === 'EssentialContainerExited') return task.containers.some((c) => c.exitCode !== undefined);
  if (task.stopCode === 'ServiceSchedulerInitiated' && HEALTH.test(task.stoppedReason ?? '')) return true;
  return false;
}

function describeContainer(c: ContainerInfo): string {
  const parts: string[] = [];
  if (c.exitCode !== undefined) parts.push(`exit ${c.exitCode}`);
  if (c.reason) parts.push(c.reason);
  return parts.join(' — ');
}

/**
 * Classifies a stopped task. `essential` names the essential containers (from the task
 * definition) when known; otherwise every container is treated as one that matters.
 */
export function classifyStop(task: TaskInfo, essential?: ReadonlySet<string>): StopVerdict {
  const code = task.stopCode ?? '';
  const stopped = task.stoppedReason ?? '';
  const isEssential = (c: ContainerInfo): boolean => !essential || essential.size === 0 || essential.has(c.name);
  const failing = task.containers.filter((c) => isEssential(c) && c.exitCode !== undefined && c.exitCode !== 0);
  const oomC = task.containers.find((c) => OOM.test(c.reason ?? '')) ?? (code === 'EssentialContainerExited' ? failing.find((c) => c.exitCode === 137) : undefined);
  const withReason = (kind: StopKind, reason: string, c?: ContainerInfo): StopVerdict => {
    const v: StopVerdict = { kind, crash: kind === 'crash' || kind === 'oom' || kind === 'failed-to-start' || kind === 'health-check', reason };
    if (c?.exitCode !== undefined) v.exitCode = c.exitCode;
    if (c) v.container = c.name;
    return v;
  };

  if (code === 'UserInitiated') return withReason('user', stopped || 'stopped by a user');
  if (code === 'SpotInterruption' || code === 'TerminationNotice') {
    return withReason('spot', stopped || (code === 'SpotInterruption' ? 'Spot capacity was reclaimed' : 'termination notice'));
  }
  const startFailure = task.containers.find((c) => START_FAILURES.test(c.reason ?? ''));
  if (code === 'TaskFailedToStart' || START_FAILURES.test(stopped) || (startFailure && task.startedAt === undefined)) {
    const c = startFailure ?? task.containers[0];
    return withReason('failed-to-start', startFailure?.reason ?? (stopped || 'the task failed to start'), c);
  }
  const unhealthy = task.containers.find((c) => c.healthStatus === 'UNHEALTHY');
  if (HEALTH.test(stopped) && (code === 'ServiceSchedulerInitiated' || code === '' || unhealthy)) {
    const c = unhealthy ?? failing[0] ?? task.containers[0];
    return withReason('health-check', stopped, c);
  }
  if (oomC) return withReason('oom', describeContainer(oomC) || 'OutOfMemoryError', oomC);
  if (code === 'EssentialContainerExited') {
    const c = failing[0];
    if (c) return withReason('crash', describeContainer(c), c);
    const exited = task.containers.find((x) => isEssential(x) && x.exitCode === 0);
    return withReason('other', `${exited ? `${exited.name} exited 0` : 'an essential container exited'}${stopped ? ` — ${stopped}` : ''}`, exited);
  }
  if (code === 'ServiceSchedulerInitiated') return withReason('scale-in', stopped || 'stopped by the service scheduler');
  // No stop code: fall back to what the containers say.
  if (failing[0]) return withReason('crash', describeContainer(failing[0]), failing[0]);
  return withReason('other', stopped || 'stopped');
}

/** True when a verdict of this kind should be posted under the policy. */
export function shouldAlert(v: StopVerdict, policy: AlertPolicy = DEFAULT_ALERT_POLICY): boolean {
  if (v.crash) return true;
  if (v.kind === 'spot') return policy.spot;
  if (v.kind === 'user') return policy.user;
  if (v.kind === 'scale-in') return policy.scaleIn;
  return false;
}

/** The service a task belongs to, from its `service:<name>` group; undefined for standalone tasks. */
export function serviceOfTask(task: TaskInfo): string | undefined {
  return task.group?.startsWith('service:') ? task.group.slice('service:'.length) : undefined;
}

/** Crash times that fall in the window ending at `at`, for the crash-loop rule. */
export function crashesInWindow(times: readonly number[], at: number, windowMs: number): number {
  return times.filter((t) => t <= at && t > at - windowMs).length;
}

/** True when a crash at `at` with `earlier` crash times opens a crash loop (the n-th within the window). */
export function opensCrashLoop(earlier: readonly number[], at: number, threshold: number, windowMs: number): boolean {
  return crashesInWindow([...earlier, at], at, windowMs) >= threshold;
}

/**
 * True when an open incident has recovered: the service runs at its desired count (scaling it to
 * zero counts, as that ends the loop too) and has not crashed for `quietMs`.
 */
export function hasRecovered(running: number, desired: number, lastCrashAt: number, now: number, quietMs: number): boolean {
  return running >= desired && now - lastCrashAt >= quietMs;
}

/** The image tag of an image reference (`repo:tag`, or `@sha256:…` shortened), for alerts. */
export function imageTag(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 1, at + 20);
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : 'latest';
}

/** The watch-condition key that says the watcher has polled a cluster at least once. */
export function firstPollKey(cluster: string): string {
  return `seen:${cluster}`;
}

/** Why a rollout cannot progress: its new tasks keep failing the way crash alerts classify them. */
export interface RolloutBlocker {
  /** What the latest failure was (crash, oom, failed-to-start, health-check). */
  kind: StopKind;
  /** How many of the followed tasks failed so far. */
  failures: number;
  /** The latest failure's reason, as a crash alert words it. */
  reason: string;
  /** The short id of the latest failed task. */
  taskId: string;
}

/** An image that is not in its registry never pulls, so two failures already prove it. */
const MISSING_IMAGE = /CannotPullContainerError.*(not found|manifest unknown|does not exist)/i;

/**
 * Decides from a service's stopped tasks whether a rollout (or scale) can still succeed: the
 * tasks that stopped since `since` (of `deploymentId` when given) are classified like crash
 * alerts, and `threshold` failures (the crash-loop threshold, 3 by default; 2 when the image is
 * missing, since retries cannot help) mean it cannot progress. Undefined while it still can.
 */
export function rolloutBlocker(
  stopped: readonly TaskInfo[],
  opts: { since: number; deploymentId?: string; threshold?: number },
): RolloutBlocker | undefined {
  const failed = stopped
    .filter((t) => (t.stoppedAt ?? t.stoppingAt ?? t.createdAt ?? 0) >= opts.since && (opts.deploymentId === undefined || t.startedBy === opts.deploymentId))
    .map((t) => ({ t, v: classifyStop(t) }))
    .filter((x) => x.v.crash)
    .sort((a, b) => (b.t.stoppedAt ?? b.t.stoppingAt ?? 0) - (a.t.stoppedAt ?? a.t.stoppingAt ?? 0));
  const latest = failed[0];
  if (!latest) return undefined;
  const threshold = MISSING_IMAGE.test(latest.v.reason) ? 2 : (opts.threshold ?? 3);
  if (failed.length < threshold) return undefined;
  return { kind: latest.v.kind, failures: failed.length, reason: latest.v.reason, taskId: latest.t.id };
}
