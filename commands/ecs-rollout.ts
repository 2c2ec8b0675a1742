/**
 * Following a change to a service until it is steady, fails, or times out: shared by scale,
 * restart, deploy, rollback and undo. Failure detection uses the crash watcher's rules
 * (src/watcher/rules.ts), so a follow-up and an alert judge a stopped task the same way.
 */
import { randomBytes } from 'node:crypto';
import type { CommandContext } from '../src/core/command.ts';
import { formatDuration } from '../src/core/parser.ts';
import type { Block, FollowUpOutcome, FollowUpTask, Reply } from '../src/core/reply.ts';
import { reply } from '../src/core/reply.ts';
import { isCloudError, shortName, type ServiceSummary } from '../src/ports/container-service.ts';
import type { UndoToken } from '../src/ports/deploy-store.ts';
import { rolloutBlocker, type RolloutBlocker } from '../src/watcher/rules.ts';
import { awsNow, chooseCluster, clockTime, containersOf, footer, where, type ClusterChoice } from './ecs-common.ts';
import { resumable } from '../src/core/job-runner.ts';
import { diagnose } from '../src/diagnosis/rules.ts';
import { gatherEvidence } from './ecs-diagnose.ts';

/** How often a follow-up looks at the service. */
export const ROLLOUT_POLL_MS = 5_000;
/** The longest pause between looks when AWS throttles. */
const MAX_POLL_MS = 60_000;
/** How far back "is this service failing now?" looks, as the crash-loop window does. */
export const FAILING_WINDOW_MS = 10 * 60_000;
/** How long an Undo button works. */
export const UNDO_FOR_MS = 60 * 60_000;

/** What a follow-up waits for. */
export interface RolloutGoal {
  /** The change followed. */
  kind: 'scale' | 'restart' | 'deploy' | 'rollback' | 'undo';
  /** The service. */
  service: string;
  /** The desired count a scale waits for. */
  desired: number;
  /** The deployment that must become the only one (restart, deploy, rollback, undo of a deploy). */
  deploymentId?: string;
  /** The task definition the change moved the service from, to tell when ECS rolled back by itself. */
  fromTaskDefinition?: string;
  /** How long to follow. */
  timeoutMs: number;
  /** The change in words, such as `the deploy of 1.4.1 to web`. */
  label: string;
  /** What an Undo button on the steady note restores; none when absent. */
  undo?: Pick<UndoToken, 'kind' | 'before' | 'after' | 'summary'>;
}

/** The primary deployment (the newest). */
export function primaryOf(s: ServiceSummary): ServiceSummary['deployments'][number] | undefined {
  return s.deployments.find((d) => d.status === 'PRIMARY') ?? s.deployments[0];
}

/** True when the service reached what the goal asked for and nothing is still rolling. */
function isSteady(s: ServiceSummary, goal: RolloutGoal): boolean {
  const primary = primaryOf(s);
  if (goal.deploymentId && primary?.id !== goal.deploymentId) return false;
  // A deployment is followed to its end; a scale during it changes the count to wait for, not the goal.
  const desired = goal.kind === 'scale' ? goal.desired : s.desiredCount;
  return (
    s.desiredCount === desired &&
    s.runningCount === desired &&
    s.pendingCount === 0 &&
    s.deployments.length <= 1 &&
    primary?.rolloutState !== 'IN_PROGRESS'
  );
}

function eventsBlock(s: ServiceSummary, since: number): Block {
  const recent = s.events.filter((e) => e.createdAt >= since - 1000).slice(0, 5);
  const list = recent.length > 0 ? recent : s.events.slice(0, 3);
  return { kind: 'code', text: list.length ? list.map((e) => `${clockTime(e.createdAt)}  ${e.message}`).join('\n') : '(no events)' };
}

/** Why a goal no longer applies because the service was changed after it, or undefined while it still does. */
function supersededBy(s: ServiceSummary, goal: RolloutGoal): string | undefined {
  if (goal.kind === 'scale' && s.desiredCount !== goal.desired) return `its desired count was changed to ${s.desiredCount} since`;
  if (goal.deploymentId && !s.deployments.some((d) => d.id === goal.deploymentId)) return 'a newer deployment replaced this one';
  return undefined;
}

/** Why the followed deployment failed, from its rollout state or (once it left the list) the service events. */
function deploymentFailure(s: ServiceSummary, goal: RolloutGoal, since: number): { reason: string; rolledBackTo?: string } | undefined {
  const primary = primaryOf(s);
  const ours = goal.deploymentId ? s.deployments.find((d) => d.id === goal.deploymentId) : primary;
  let reason: string | undefined;
  if (ours?.rolloutState === 'FAILED') reason = ours.rolloutStateReason ?? 'the deployment failed';
  else if (goal.deploymentId) {
    const ev = s.events.find((e) => e.createdAt >= since - 1000 && e.message.includes(`(deployment ${goal.deploymentId}) deployment failed`));
    if (ev) reason = ev.message.replace(/^\(service [^)]*\) \(deployment [^)]*\) /, '');
  }
  if (reason === undefined) return undefined;
  // With the circuit breaker's rollback on, ECS starts a deployment of the last completed revision by itself.
  const back = primary && primary.id !== goal.deploymentId && goal.deploymentId ? primary.taskDefinition : undefined;
  return back ? { reason, rolledBackTo: back } : { reason };
}

/**
 * The tasks of a service that stopped since `since` (AWS time), described, so the crash rules can
 * judge them. Only ARNs not seen before are described (`seen` carries them between polls).
 */
async function stoppedTasks(ctx: CommandContext, choice: ClusterChoice, service: string, seen: Map<string, import('../src/ports/container-service.ts').TaskInfo>) {
  const ecs = containersOf(ctx);
  const arns = await ecs.listTasks(choice.target, { serviceName: service, desiredStatus: 'STOPPED', limit: 100 });
  const fresh = arns.filter((a) => !seen.has(a));
  if (fresh.length > 0) for (const t of (await ecs.describeTasks(choice.target, fresh)).items) if (t.lastStatus === 'STOPPED' || t.stopCode) seen.set(t.arn, t);
  return [...seen.values()];
}

/**
 * Whether a service is failing now: its tasks that stopped in the last ten minutes, judged by the
 * crash watcher's rules. Undefined when it is not, or when ECS cannot be asked (the change goes on).
 */
export async function failingNow(ctx: CommandContext, choice: ClusterChoice, service: string): Promise<RolloutBlocker | undefined> {
  try {
    return rolloutBlocker(await stoppedTasks(ctx, choice, service, new Map()), { since: awsNow(ctx) - FAILING_WINDOW_MS });
  } catch {
    return undefined;
  }
}

/** "3 tasks failed to start in the last 10 minutes: CannotPullContainerError: …" */
export function describeBlocker(b: RolloutBlocker, span: string): string {
  const what = b.kind === 'failed-to-start' ? 'failed to start' : b.kind === 'health-check' ? 'failed health checks' : b.kind === 'oom' ? 'ran out of memory' : 'crashed';
  return `${b.failures} task${b.failures === 1 ? '' : 's'} ${what} ${span} (latest ${b.taskId.slice(0, 8)}: ${b.reason})`;
}

/** A hint for what to do about a failure of this kind. */
function blockerHint(b: RolloutBlocker, service: string): string {
  if (/CannotPullContainerError/.test(b.reason)) return `The image cannot be pulled: /ecs images ${service} lists the tags that exist, and /ecs deploy ${service} <tag> runs one of them.`;
  return `/ecs logs ${service} --since 15m shows what the tasks said; /ecs status ${service} shows more.`;
}

/** Saves an Undo token for a change that reached steady state, or undefined when there is no store. */
async function undoButton(ctx: CommandContext, choice: ClusterChoice, goal: RolloutGoal): Promise<Block | undefined> {
  const store = ctx.ports.deploys;
  if (!goal.undo || !store) return undefined;
  const now = ctx.ports.clock.now();
  const token = `u${randomBytes(8).toString('hex')}`;
  await store.saveUndo({ token, ...goal.undo, cluster: choice.ref.name, region: choice.ref.region, service: goal.service, createdAt: now, expiresAt: now + UNDO_FOR_MS, usedAt: null });
  const clusterFlag = choice.ref === ctx.settings.clusters[0] ? '' : ` --cluster ${choice.ref.name}`;
  return { kind: 'actions', buttons: [{ label: 'Undo', action: `run:/ecs undo ${token}${clusterFlag}`, style: 'danger' }] };
}

function capitalized(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * What the diagnosis rules make of a service that did not settle: its first finding that names a
 * cause (not the rollout state the message already states), with the next step. Nothing when the
 * evidence cannot be read, so the follow-up still reports.
 */
async function likelyWhy(ctx: CommandContext, choice: ClusterChoice, s: ServiceSummary): Promise<Block[]> {
  try {
    const { evidence } = await gatherEvidence(ctx, choice, s);
    const f = diagnose(evidence).find((x) => x.severity === 'problem' && x.id !== 'deployment-failed');
    if (!f) return [];
    return [{ kind: 'text', text: `Likely why: *${f.title}*${f.next ? `\nNext: ${f.next}${f.command ? ` (${f.command})` : ''}` : ''}` }];
  } catch (e) {
    ctx.log.debug({ err: e }, 'could not diagnose after a follow-up');
    return [];
  }
}

/** The job kind of a rollout follow-up, continued by `resumeRollout` on whichever replica takes it over. */
export const ROLLOUT_JOB = 'rollout';

/**
 * Follows a service after a change and posts once: steady, failed, cannot progress, or timed out with what it reached.
 * It is a job: when its replica stops, another one continues it from the same start (`resumeRollout`).
 */
export function followRollout(ctx: CommandContext, choice: ClusterChoice, goal: RolloutGoal, startedAt: number, awsStartedAt = awsNow(ctx)): FollowUpTask {
  const task: FollowUpTask = async (post, signal): Promise<FollowUpOutcome> => {
    const ecs = containersOf(ctx);
    const clock = ctx.ports.clock;
    const seen = new Map<string, import('../src/ports/container-service.ts').TaskInfo>();
    let pause = ROLLOUT_POLL_MS;
    let last: ServiceSummary | undefined;
    const send = (blocks: Block[], summary: string): Promise<void> => post(reply([...blocks, footer(ctx, choice.ref)], { summary }));
    while (clock.now() - startedAt < goal.timeoutMs) {
      await clock.sleep(Math.min(pause, Math.max(0, goal.timeoutMs - (clock.now() - startedAt))), signal);
      let stopped;
      try {
        last = (await ecs.describeServices(choice.target, [goal.service])).items[0];
        stopped = last ? await stoppedTasks(ctx, choice, goal.service, seen) : [];
        pause = ROLLOUT_POLL_MS;
      } catch (e) {
        if (isCloudError(e, 'throttled')) {
          // Slow down rather than give up: the change is already made, only watching it is throttled.
          pause = Math.min(MAX_POLL_MS, pause * 2);
          continue;
        }
        throw e;
      }
      if (!last) {
        await send([{ kind: 'text', text: `⚠️ ${goal.service} is gone from ${where(choice.ref)}; stopped following it.` }], `${goal.service} is gone`);
        return 'failed';
      }
      const failed = deploymentFailure(last, goal, awsStartedAt);
      if (failed) {
        const back = failed.rolledBackTo
          ? ` ECS rolled back by itself to ${shortName(failed.rolledBackTo)} (the deployment circuit breaker's rollback).`
          : goal.fromTaskDefinition
            ? ` ECS did not roll back: /ecs rollback ${goal.service} returns to ${shortName(goal.fromTaskDefinition)}.`
            : '';
        await send(
          [
            { kind: 'text', text: `❌ ${capitalized(goal.label)} failed: ${failed.reason} (${last.runningCount}/${last.desiredCount} running).${back}` },
            eventsBlock(last, awsStartedAt),
            ...(await likelyWhy(ctx, choice, last)),
          ],
          `${goal.service} rollout failed`,
        );
        return 'failed';
      }
      const superseded = supersededBy(last, goal);
      if (superseded) {
        // Someone changed the service again; waiting for this goal would only time out.
        await send(
          [{ kind: 'text', text: `↪️ Stopped following ${goal.label}: ${superseded} (${last.runningCount}/${last.desiredCount} running now).` }],
          `${goal.service} changed again; stopped following`,
        );
        return 'ok';
      }
      if (isSteady(last, goal)) {
        const took = formatDuration(Math.max(1000, clock.now() - startedAt));
        const undo = await undoButton(ctx, choice, goal);
        await send(
          [
            { kind: 'text', text: `✅ ${goal.service} is steady: ${last.runningCount}/${last.desiredCount} running (after ${took}).` },
            ...(undo ? [undo, { kind: 'context' as const, text: `Undo works for ${formatDuration(UNDO_FOR_MS)} while nobody else changes ${goal.service}.` }] : []),
          ],
          `${goal.service} is steady at ${last.runningCount}`,
        );
        return 'ok';
      }
      // Tasks that keep failing mean the rollout cannot progress: say so now rather than after the timeout.
      // A deployment under the circuit breaker is left to ECS, which fails it (and may roll back) itself.
      const breakerDecides = goal.deploymentId !== undefined && last.circuitBreaker?.enable === true;
      const blocker = breakerDecides ? undefined : rolloutBlocker(stopped, { since: awsStartedAt, ...(goal.deploymentId ? { deploymentId: goal.deploymentId } : {}) });
      if (blocker) {
        await send(
          [
            { kind: 'text', text: `❌ ${capitalized(goal.label)} cannot progress: ${describeBlocker(blocker, 'since it started')}. ${last.runningCount}/${last.desiredCount} running; ECS keeps retrying, dockhand stopped watching.` },
            eventsBlock(last, awsStartedAt),
            ...(await likelyWhy(ctx, choice, last)),
            { kind: 'context', text: blockerHint(blocker, goal.service) },
          ],
          `${goal.service}: ${goal.kind} cannot progress`,
        );
        return 'failed';
      }
    }
    const counts = last ? `${last.runningCount}/${last.desiredCount} running, ${last.pendingCount} pending` : 'no answer from ECS';
    const blocks: Block[] = [{ kind: 'text', text: `⏱️ ${goal.service} is not steady after ${formatDuration(goal.timeoutMs)}: ${counts}. Latest events:` }];
    if (last) blocks.push(eventsBlock(last, awsStartedAt), ...(await likelyWhy(ctx, choice, last)));
    blocks.push({ kind: 'context', text: `/ecs status ${goal.service} shows more; dockhand stopped watching but ECS keeps going.` });
    await send(blocks, `${goal.service} not steady after ${formatDuration(goal.timeoutMs)}`);
    return 'not-steady';
  };
  return resumable(task, { kind: ROLLOUT_JOB, args: { cluster: choice.ref.name, goal, startedAt, awsStartedAt }, service: goal.service });
}

/** Continues a rollout follow-up another replica started (its job's arguments), or undefined when they are not one. */
export function resumeRollout(args: Record<string, unknown>, ctx: CommandContext): FollowUpTask | undefined {
  const { cluster, goal, startedAt, awsStartedAt } = args as { cluster?: unknown; goal?: RolloutGoal; startedAt?: unknown; awsStartedAt?: unknown };
  if (typeof cluster !== 'string' || !goal || typeof goal.service !== 'string' || typeof startedAt !== 'number' || typeof awsStartedAt !== 'number') return undefined;
  return followRollout(ctx, chooseCluster(ctx, cluster), goal, startedAt, awsStartedAt);
}

/** A reply with the footer, for the first answer of a change. */
export function changeReply(ctx: CommandContext, choice: ClusterChoice, text: string, summary: string, extra: Block[] = []): Reply {
  return reply([{ kind: 'text', text }, ...extra, footer(ctx, choice.ref)], { summary });
}
