/** `/ecs scale` and `/ecs restart`: change a service, then follow it until it is steady. */
import { defineSubcommand, type CommandContext } from '../src/core/command.ts';
import { UserError } from '../src/core/errors.ts';
import type { Block } from '../src/core/reply.ts';
import { reply } from '../src/core/reply.ts';
import { shortName } from '../src/ports/container-service.ts';
import { describeBlocker, failingNow, followRollout, primaryOf } from './ecs-rollout.ts';
import {
  chooseCluster,
  clusterOption,
  containersOf,
  findService,
  footer,
  guardrailFor,
  where,
  whereIn,
  type ClusterChoice,
} from './ecs-common.ts';

/** How long a scale is followed before the follow-up reports where it got to. */
export const SCALE_TIMEOUT_MS = 5 * 60_000;
/** How long a restart is followed; a deployment replaces every task, so it gets longer. */
export const RESTART_TIMEOUT_MS = 10 * 60_000;

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
    // Said up front: more tasks of a service whose tasks cannot start will not start either.
    const failing = args.count > 0 ? await failingNow(ctx, choice, s.name) : undefined;
    const startedAt = ctx.ports.clock.now();
    await containersOf(ctx).updateService(choice.target, s.name, { desiredCount: args.count });
    const warning: Block[] = failing
      ? [{ kind: 'text', text: `⚠️ ${s.name} is failing: ${describeBlocker(failing, 'in the last 10 minutes')}. New tasks will likely fail the same way.` }]
      : [];
    return {
      reply: reply(
        [
          { kind: 'text', text: `Scaling ${s.name} ${s.desiredCount} → ${args.count} in ${where(choice.ref)}. I'll post here when it is steady${failing ? ' or cannot progress' : ''}.` },
          ...warning,
          footer(ctx, choice.ref),
        ],
        { summary: `Scaling ${s.name} ${s.desiredCount} → ${args.count}` },
      ),
      followUp: followRollout(
        ctx,
        choice,
        {
          kind: 'scale',
          service: s.name,
          desired: args.count,
          timeoutMs: SCALE_TIMEOUT_MS,
          label: `the scale of ${s.name} to ${args.count}`,
          undo: { kind: 'scale', before: String(s.desiredCount), after: String(args.count), summary: `scale of ${s.name} ${s.desiredCount} → ${args.count}` },
        },
        startedAt,
      ),
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
        { kind: 'restart', service: s.name, desired: after.desiredCount, ...(deploymentId ? { deploymentId } : {}), timeoutMs: RESTART_TIMEOUT_MS, label: `the restart of ${s.name}` },
        startedAt,
      ),
    };
  },
});
