/** `/ecs scale` and `/ecs restart`: change a service, then follow it until it is steady. */
import { defineSubcommand, type CommandContext } from '../src/core/command.ts';
import { UserError } from '../src/core/errors.ts';
import { formatDuration } from '../src/core/parser.ts';
import type { Block, FollowUpOutcome, PostFollowUp } from '../src/core/reply.ts';
import { reply } from '../src/core/reply.ts';
import { isCloudError, shortName, type ServiceSummary } from '../src/ports/container-service.ts';
import {
  chooseCluster,
  clockTime,
  clusterOption,
  containersOf,
  findService,
  footer,
  guardrailFor,
  where,
  whereIn,
  type ClusterChoice,
} from './ecs-common.ts';

/** How often a follow-up looks at the service. */
export const ROLLOUT_POLL_MS = 5_000;
/** How long a scale is followed before the follow-up reports where it got to. */
export const SCALE_TIMEOUT_MS = 5 * 60_000;
/** How long a restart is followed; a deployment replaces every task, so it gets longer. */
export const RESTART_TIMEOUT_MS = 10 * 60_000;
/** The longest pause between looks when AWS throttles. */
const MAX_POLL_MS = 60_000;

/** What the follow-up waits for. */
interface RolloutGoal {
  kind: 'scale' | 'restart';
  service: string;
  desired: number;
  /** For a restart: the deployment that must become the only one. */
  deploymentId?: string;
  timeoutMs: number;
}

function primaryOf(s: ServiceSummary): ServiceSummary['deployments'][number] | undefined {
  return s.deployments.find((d) => d.status === 'PRIMARY') ?? s.deployments[0];
}

/** True when the service reached what the goal asked for and nothing is still rolling. */
function isSteady(s: ServiceSummary, goal: RolloutGoal): boolean {
  const primary = primaryOf(s);
  if (goal.deploymentId && primary?.id !== goal.deploymentId) return false;
  // A restart follows its deployment; a scale during it changes the count to wait for, not the goal.
  const desired = goal.kind === 'restart' ? s.desiredCount : goal.desired;
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
  if (goal.kind === 'scale' && s.desiredCount !== goal.desired) {
    return `its desired count was changed to ${s.desiredCount} since`;
  }
  if (goal.kind === 'restart' && goal.deploymentId && !s.deployments.some((d) => d.id === goal.deploymentId)) {
    return 'a newer deployment replaced this one';
  }
  return undefined;
}

/** Follows a service after a change and posts once: steady, failed, or timed out with what it reached. */
function followRollout(ctx: CommandContext, choice: ClusterChoice, goal: RolloutGoal, startedAt: number) {
  return async (post: PostFollowUp, signal: AbortSignal): Promise<FollowUpOutcome> => {
    const ecs = containersOf(ctx);
    const clock = ctx.ports.clock;
    let pause = ROLLOUT_POLL_MS;
    let last: ServiceSummary | undefined;
    const verb = goal.kind === 'scale' ? 'Scaling' : 'Restart of';
    while (clock.now() - startedAt < goal.timeoutMs) {
      await clock.sleep(Math.min(pause, Math.max(0, goal.timeoutMs - (clock.now() - startedAt))), signal);
      try {
        const out = await ecs.describeServices(choice.target, [goal.service]);
        last = out.items[0];
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
        await post(reply([{ kind: 'text', text: `⚠️ ${goal.service} is gone from ${where(choice.ref)}; stopped following it.` }, footer(ctx, choice.ref)]));
        return 'failed';
      }
      const superseded = supersededBy(last, goal);
      if (superseded) {
        // Someone changed the service again; waiting for this goal would only time out.
        await post(
          reply(
            [
              { kind: 'text', text: `↪️ Stopped following ${goal.kind === 'scale' ? `the scale of ${goal.service} to ${goal.desired}` : `the restart of ${goal.service}`}: ${superseded} (${last.runningCount}/${last.desiredCount} running now).` },
              footer(ctx, choice.ref),
            ],
            { summary: `${goal.service} changed again; stopped following` },
          ),
        );
        return 'ok';
      }
      const primary = primaryOf(last);
      if (primary?.rolloutState === 'FAILED' && (!goal.deploymentId || primary.id === goal.deploymentId)) {
        await post(
          reply(
            [
              { kind: 'text', text: `❌ ${verb} ${goal.service} failed: ${primary.rolloutStateReason ?? 'the deployment failed'} (${last.runningCount}/${last.desiredCount} running).` },
              eventsBlock(last, startedAt),
              footer(ctx, choice.ref),
            ],
            { summary: `${goal.service} rollout failed` },
          ),
        );
        return 'failed';
      }
      if (isSteady(last, goal)) {
        const took = formatDuration(Math.max(1000, clock.now() - startedAt));
        await post(
          reply([{ kind: 'text', text: `✅ ${goal.service} is steady: ${last.runningCount}/${last.desiredCount} running (after ${took}).` }, footer(ctx, choice.ref)], {
            summary: `${goal.service} is steady at ${last.runningCount}`,
          }),
        );
        return 'ok';
      }
    }
    const counts = last ? `${last.runningCount}/${last.desiredCount} running, ${last.pendingCount} pending` : 'no answer from ECS';
    const blocks: Block[] = [
      { kind: 'text', text: `⏱️ ${goal.service} is not steady after ${formatDuration(goal.timeoutMs)}: ${counts}. Latest events:` },
    ];
    if (last) blocks.push(eventsBlock(last, startedAt));
    blocks.push({ kind: 'context', text: `/ecs status ${goal.service} shows more; dockhand stopped watching but ECS keeps going.` });
    blocks.push(footer(ctx, choice.ref));
    await post(reply(blocks, { summary: `${goal.service} not steady after ${formatDuration(goal.timeoutMs)}` }));
    return 'not-steady';
  };
}

function checkGuardrail(ctx: CommandContext, choice: ClusterChoice, service: string, count: number): void {
  const g = guardrailFor(ctx, service);
  if (count < g.min || count > g.max) {
    throw new UserError(
      'guardrail',
      `${service} may be scaled from ${g.min} to ${g.max} tasks in ${where(choice.ref)}; ${count} is ${count > g.max ? 'above' : 'below'} that limit. Nothing was changed.`,
      ctx.settings.configFile && (ctx.settings.guardrails.has(service) || ctx.settings.guardrails.has('*'))
        ? `The limits come from guardrails.${ctx.settings.guardrails.has(service) ? service : "'*'"} in ${ctx.settings.configFile}.`
        : `These are the default limits (0 to 50); set guardrails.${service}.min and .max in ${ctx.settings.configFile ?? 'dockhand.yaml (see dockhand.example.yaml)'} to change them.`,
    );
  }
}

const scaleOptions = [
  { name: 'service', type: 'string', description: 'The service name', positional: true, required: true, example: 'web' },
  { name: 'count', type: 'integer', description: 'The desired number of tasks', positional: true, required: true, min: 0 },
  clusterOption,
] as const;

/** `/ecs scale <service> <count>`. */
export const scaleSub = defineSubcommand({
  name: 'scale',
  description: 'Set how many tasks a service runs, within its guardrails, and follow it until steady',
  options: scaleOptions,
  role: 'operator',
  changes: true,
  example: '/ecs scale web 5',
  confirm: async (args, ctx) => {
    const choice = chooseCluster(ctx, args.cluster);
    const s = await findService(ctx, choice, args.service);
    checkGuardrail(ctx, choice, s.name, args.count);
    if (args.count === s.desiredCount) return null;
    if (args.count === 0) return `Scale ${s.name} in ${whereIn(ctx, choice.ref)} from ${s.desiredCount} to 0? Every task of it stops.`;
    if (s.desiredCount === 0) {
      return `Start ${s.name} in ${whereIn(ctx, choice.ref)} with ${args.count} task${args.count === 1 ? '' : 's'}? It runs no tasks now.`;
    }
    if (args.count > s.desiredCount * 2) {
      return `Scale ${s.name} in ${whereIn(ctx, choice.ref)} from ${s.desiredCount} to ${args.count} tasks? That is more than double.`;
    }
    return null;
  },
  handler: async (args, ctx) => {
    const choice = chooseCluster(ctx, args.cluster);
    const s = await findService(ctx, choice, args.service);
    // Checked again because a confirmation may be answered after config or the service changed.
    checkGuardrail(ctx, choice, s.name, args.count);
    if (args.count === s.desiredCount) {
      return reply([{ kind: 'text', text: `${s.name} already wants ${s.desiredCount} task${s.desiredCount === 1 ? '' : 's'} (${s.runningCount} running); nothing was changed.` }, footer(ctx, choice.ref)], {
        summary: `${s.name} already at ${s.desiredCount}`,
      });
    }
    const startedAt = ctx.ports.clock.now();
    await containersOf(ctx).updateService(choice.target, s.name, { desiredCount: args.count });
    return {
      reply: reply(
        [
          { kind: 'text', text: `Scaling ${s.name} ${s.desiredCount} → ${args.count} in ${where(choice.ref)}. I'll post here when it is steady.` },
          footer(ctx, choice.ref),
        ],
        { summary: `Scaling ${s.name} ${s.desiredCount} → ${args.count}` },
      ),
      followUp: followRollout(ctx, choice, { kind: 'scale', service: s.name, desired: args.count, timeoutMs: SCALE_TIMEOUT_MS }, startedAt),
    };
  },
});

const restartOptions = [
  { name: 'service', type: 'string', description: 'The service name', positional: true, required: true, example: 'web' },
  clusterOption,
] as const;

/** `/ecs restart <service>`. */
export const restartSub = defineSubcommand({
  name: 'restart',
  description: 'Replace every task of a service with a forced new deployment, and follow it until steady',
  options: restartOptions,
  role: 'operator',
  changes: true,
  example: '/ecs restart web',
  confirm: async (args, ctx) => {
    const choice = chooseCluster(ctx, args.cluster);
    const s = await findService(ctx, choice, args.service);
    return `Restart ${s.name} in ${whereIn(ctx, choice.ref)}? A new deployment replaces its ${s.runningCount} running task${s.runningCount === 1 ? '' : 's'}.`;
  },
  handler: async (args, ctx) => {
    const choice = chooseCluster(ctx, args.cluster);
    const s = await findService(ctx, choice, args.service);
    const startedAt = ctx.ports.clock.now();
    const after = await containersOf(ctx).updateService(choice.target, s.name, { forceNewDeployment: true });
    const before = primaryOf(s)?.id;
    const primary = primaryOf(after);
    const deploymentId = primary && primary.id !== before ? primary.id : undefined;
    return {
      reply: reply(
        [
          {
            kind: 'text',
            text: `Restarting ${s.name} in ${where(choice.ref)}: ${deploymentId ? `deployment ${shortName(deploymentId)}` : 'a new deployment'} replaces ${s.runningCount} task${s.runningCount === 1 ? '' : 's'}. I'll post here when it is steady.`,
          },
          footer(ctx, choice.ref),
        ],
        { summary: `Restarting ${s.name}` },
      ),
      followUp: followRollout(
        ctx,
        choice,
        { kind: 'restart', service: s.name, desired: after.desiredCount, ...(deploymentId ? { deploymentId } : {}), timeoutMs: RESTART_TIMEOUT_MS },
        startedAt,
      ),
    };
  },
});
