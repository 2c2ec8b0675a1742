/**
 * `/ecs undo <token>`: what the Undo button on the steady note of a scale, deploy or rollback runs.
 * It restores the desired count or task definition from before, confirmed like the original, and
 * only while nobody changed the service since; tokens live in the database for an hour.
 */
import { defineSubcommand, type CommandContext } from '../src/core/command.ts';
import { UserError } from '../src/core/errors.ts';
import { formatDuration } from '../src/core/parser.ts';
import { shortName, type ServiceSummary } from '../src/ports/container-service.ts';
import type { UndoToken } from '../src/ports/deploy-store.ts';
import { deploysOf } from './ecs-deploy.ts';
import { changeReply, followRollout, primaryOf } from './ecs-rollout.ts';
import { chooseCluster, clusterOption, containersOf, findService, whereIn, type ClusterChoice } from './ecs-common.ts';
import { DEPLOY_TIMEOUT_MS } from './ecs-deploy.ts';
import { SCALE_TIMEOUT_MS } from './ecs-scale.ts';

/** The token, still usable, with its service; or a clear refusal. */
async function usableToken(ctx: CommandContext, value: string, clusterArg: string | undefined): Promise<{ token: UndoToken; choice: ClusterChoice; service: ServiceSummary }> {
  const token = await deploysOf(ctx).getUndo(value);
  if (!token) throw new UserError('unknown-undo', `no Undo '${value.slice(0, 40)}' is known`, 'Undo buttons come with the steady note of a scale, deploy or rollback.');
  const now = ctx.ports.clock.now();
  if (token.usedAt !== null) throw new UserError('undo-used', `this Undo (${token.summary}) was already used; nothing was changed`);
  if (token.expiresAt <= now) {
    throw new UserError('undo-expired', `this Undo (${token.summary}) expired ${formatDuration(now - token.expiresAt)} ago, an hour after the change; nothing was changed`, `Make the change you want directly (/ecs scale, /ecs deploy or /ecs rollback).`);
  }
  const choice = chooseCluster(ctx, clusterArg ?? token.cluster);
  const service = await findService(ctx, choice, token.service);
  const changed = changedSince(service, token);
  if (changed) throw new UserError('undo-stale', `${token.service} was changed since the ${token.summary}: ${changed}. Undo does nothing.`, `/ecs history ${token.service} shows who changed what.`);
  return { token, choice, service };
}

/** What changed on the service since the change the token undoes, or undefined when nothing did. */
function changedSince(s: ServiceSummary, t: UndoToken): string | undefined {
  if (t.kind === 'scale') return String(s.desiredCount) === t.after ? undefined : `its desired count is now ${s.desiredCount} (the scale set ${t.after})`;
  return s.taskDefinition === t.after ? undefined : `it now runs ${shortName(s.taskDefinition)} (the change set ${shortName(t.after)})`;
}

function describeUndo(t: UndoToken): string {
  return t.kind === 'scale' ? `desired count ${t.after} → ${t.before}` : `${shortName(t.after)} → ${shortName(t.before)}`;
}

const undoOptions = [
  { name: 'token', type: 'string', description: 'The Undo token (from an Undo button)', positional: true, required: true, max: 40 },
  clusterOption,
] as const;

/** `/ecs undo <token>`. */
export const undoSub = defineSubcommand({
  name: 'undo',
  description: 'Undo a scale, deploy or rollback from its Undo button (within an hour, if nobody changed it since)',
  options: undoOptions,
  role: 'operator',
  changes: true,
  example: '/ecs undo u0123456789abcdef',
  // The token knows the cluster and service, so a typed `/ecs undo <token>` without --cluster still asks for a second person there.
  target: async (args, ctx) => {
    const token = await deploysOf(ctx).getUndo(args.token);
    return token ? { cluster: args.cluster ?? token.cluster, service: token.service } : undefined;
  },
  confirm: async (args, ctx) => {
    const { token, choice } = await usableToken(ctx, args.token, args.cluster);
    return `Undo the ${token.summary} in ${whereIn(ctx, choice.ref)}: ${describeUndo(token)}?`;
  },
  handler: async (args, ctx) => {
    // Checked again: the service may have changed while the confirmation waited.
    const { token, choice, service } = await usableToken(ctx, args.token, args.cluster);
    const store = deploysOf(ctx);
    if (!(await store.useUndo(token.token, ctx.ports.clock.now()))) throw new UserError('undo-used', `this Undo (${token.summary}) was already used; nothing was changed`);
    const ecs = containersOf(ctx);
    const startedAt = ctx.ports.clock.now();
    if (token.kind === 'scale') {
      const count = Number(token.before);
      await ecs.updateService(choice.target, service.name, { desiredCount: count });
      return {
        reply: changeReply(ctx, choice, `Undoing the ${token.summary}: scaling ${service.name} ${service.desiredCount} → ${count}. I'll post here when it is steady.`, `Undo: ${service.name} → ${count}`),
        followUp: followRollout(ctx, choice, { kind: 'scale', service: service.name, desired: count, timeoutMs: SCALE_TIMEOUT_MS, label: `the undo of the ${token.summary}` }, startedAt),
      };
    }
    const id = await store.create({
      kind: 'undo',
      cluster: choice.ref.name,
      region: choice.ref.region,
      service: service.name,
      container: null,
      fromTaskDefinition: service.taskDefinition,
      toTaskDefinition: token.before,
      registered: false,
      fromImage: null,
      toImage: null,
      digest: null,
      forced: false,
      status: 'registered',
      detail: null,
      platform: ctx.caller.platform,
      userId: ctx.caller.userId,
      userName: ctx.caller.displayName,
      createdAt: startedAt,
    });
    let after: ServiceSummary;
    try {
      after = await ecs.updateService(choice.target, service.name, { taskDefinition: token.before });
    } catch (e) {
      await store.update(id, { status: 'failed', detail: (e instanceof Error ? e.message : String(e)).slice(0, 500) }, ctx.ports.clock.now());
      throw e;
    }
    await store.update(id, { status: 'updated' }, ctx.ports.clock.now());
    const primary = primaryOf(after);
    const deploymentId = primary && primary.taskDefinition === token.before ? primary.id : undefined;
    return {
      reply: changeReply(ctx, choice, `Undoing the ${token.summary}: ${shortName(service.taskDefinition)} → ${shortName(token.before)}. I'll post here when it is steady.`, `Undo: ${service.name} → ${shortName(token.before)}`),
      followUp: followRollout(
        ctx,
        choice,
        { kind: 'undo', service: service.name, desired: after.desiredCount, ...(deploymentId ? { deploymentId } : {}), fromTaskDefinition: service.taskDefinition, timeoutMs: DEPLOY_TIMEOUT_MS, label: `the undo of the ${token.summary}` },
        startedAt,
      ),
    };
  },
});
