/**
 * `/ecs rollback <service> [--to n]`: back to the task definition that ran before the latest
 * deployment (from dockhand's own deploy records when the latest deploy was dockhand's, otherwise the
 * previous ACTIVE revision of the family), or to a given revision. Always confirmed, followed like a
 * deploy; an image with blocking scan findings only warns here, since this is the emergency path.
 */
import { defineSubcommand, type CommandContext } from '../src/core/command.ts';
import { UserError } from '../src/core/errors.ts';
import { isCloudError, shortName, type ServiceSummary, type TaskDefinitionInfo } from '../src/ports/container-service.ts';
import { blockingFindings, DEPLOY_TIMEOUT_MS, deploysOf, judgeScan, registryOf } from './ecs-deploy.ts';
import { changeReply, followRollout, primaryOf } from './ecs-rollout.ts';
import { ago, chooseCluster, clusterOption, containersOf, findService, imageRepository, imageTag, imagesOf, unknownThing, where, whereIn, type ClusterChoice } from './ecs-common.ts';

/** A rollback worked out from its arguments, before anything changes. */
interface RollbackPlan {
  choice: ClusterChoice;
  service: ServiceSummary;
  current: TaskDefinitionInfo;
  target: TaskDefinitionInfo;
  /** Why this revision: "the revision before alice's deploy 12m ago". */
  why: string;
  /** Scan warnings of the target's images. */
  warnings: string[];
}

function images(td: TaskDefinitionInfo): string {
  return td.containers.map((c) => `${c.name} ${imageTag(c.image)}`).join(', ');
}

async function revisionOfFamily(ctx: CommandContext, region: string, family: string, n: number): Promise<TaskDefinitionInfo> {
  const ecs = containersOf(ctx);
  let td: TaskDefinitionInfo | undefined;
  try {
    td = await ecs.describeTaskDefinition(region, `${family}:${n}`);
  } catch (e) {
    if (!isCloudError(e, 'invalid-request')) throw e;
  }
  if (!td) {
    const revs = (await ecs.listTaskDefinitions(region, family, { limit: 100 })).map((a) => shortName(a).split(':')[1] ?? '');
    throw unknownThing('revision', String(n), revs, `task definition family ${family}`);
  }
  if (td.status === 'INACTIVE') {
    throw new UserError('revision-inactive', `${family}:${n} is deregistered (INACTIVE); ECS does not deploy inactive revisions. Nothing was changed.`, `/ecs history ${family} lists the revisions; pick an ACTIVE one.`);
  }
  return td;
}

/** Scan warnings for the target's ECR images: blocking findings warn, and never block a rollback. */
async function scanWarnings(ctx: CommandContext, choice: ClusterChoice, service: ServiceSummary, td: TaskDefinitionInfo): Promise<string[]> {
  const registry = registryOf(service, choice.target.region);
  const out: string[] = [];
  for (const c of td.containers) {
    if (!registry || !c.image.startsWith(`${registry}/`)) continue;
    const repo = imageRepository(c.image).slice(registry.length + 1);
    try {
      const list = await imagesOf(ctx).listImages(choice.target.region, repo);
      const at = c.image.indexOf('@');
      const image = list.find((i) => (at >= 0 ? i.digest === c.image.slice(at + 1) : i.tags.includes(imageTag(c.image))));
      if (!image) {
        out.push(`⚠️ ${repo} ${imageTag(c.image)} is no longer in ECR: its tasks will fail to start (CannotPullContainerError).`);
        continue;
      }
      const scan = await judgeScan(ctx, choice.target.region, image, `${repo} ${imageTag(c.image)}`);
      if (scan.blocking.length > 0) out.push(`⚠️ ${repo} ${imageTag(c.image)} has ${blockingFindings(scan.blocking)}${scan.names.length ? ` (${scan.names.join(', ')})` : ''}; a rollback goes ahead anyway (it is the emergency path).`);
    } catch {
      // A warning only: an unreadable repository does not stop an emergency rollback.
    }
  }
  return out;
}

async function planRollback(ctx: CommandContext, args: { service: string; to?: number | undefined; cluster?: string | undefined }): Promise<RollbackPlan> {
  const choice = chooseCluster(ctx, args.cluster);
  const service = await findService(ctx, choice, args.service);
  const region = choice.target.region;
  const ecs = containersOf(ctx);
  const current = await ecs.describeTaskDefinition(region, service.taskDefinition);
  let target: TaskDefinitionInfo;
  let why: string;
  if (args.to !== undefined) {
    if (args.to === current.revision) throw new UserError('already-there', `${service.name} already runs ${shortName(current.arn)}; nothing was changed`);
    target = await revisionOfFamily(ctx, region, current.family, args.to);
    why = `revision ${args.to}, as asked`;
  } else {
    const records = ctx.ports.deploys ? await ctx.ports.deploys.forService(choice.ref.name, service.name, 20) : [];
    const mine = records.find((r) => r.status === 'updated' && r.toTaskDefinition === service.taskDefinition);
    if (mine) {
      target = await ecs.describeTaskDefinition(region, mine.fromTaskDefinition);
      why = `what ran before ${mine.userName}'s ${mine.kind} ${ago(mine.createdAt, ctx.ports.clock.now())}`;
    } else {
      // DescribeServices keeps only deployments still running, so the family's revisions say what came before.
      const arns = await ecs.listTaskDefinitions(region, current.family, { limit: 100 });
      const previous = arns.find((a) => Number(shortName(a).split(':')[1]) < current.revision);
      if (!previous) throw new UserError('nothing-to-roll-back', `${current.family} has no ACTIVE revision before ${shortName(current.arn)} to roll back to; nothing was changed`, `Deploy a known-good image instead: /ecs deploy ${service.name} <tag>.`);
      target = await ecs.describeTaskDefinition(region, previous);
      why = `the previous ACTIVE revision of ${current.family}`;
    }
    if (target.status === 'INACTIVE') {
      throw new UserError('revision-inactive', `${shortName(target.arn)}, ${why}, is deregistered (INACTIVE); ECS does not deploy inactive revisions. Nothing was changed.`, `Give an ACTIVE revision with --to <n>.`);
    }
  }
  return { choice, service, current, target, why, warnings: await scanWarnings(ctx, choice, service, target) };
}

const rollbackOptions = [
  { name: 'service', type: 'string', description: 'The service name', positional: true, required: true, example: 'web' },
  { name: 'to', type: 'integer', description: 'The revision number of the family to go back to (default: what ran before the latest deployment)', min: 1 },
  clusterOption,
] as const;

/** `/ecs rollback <service> [--to n]`. */
export const rollbackSub = defineSubcommand({
  name: 'rollback',
  description: 'Go back to the revision that ran before the latest deployment (or --to n), confirmed and followed',
  options: rollbackOptions,
  role: 'operator',
  changes: true,
  example: '/ecs rollback web',
  confirm: async (args, ctx) => {
    const plan = await planRollback(ctx, args);
    const lines = [
      `Roll back ${plan.service.name} in ${whereIn(ctx, plan.choice.ref)}: ${shortName(plan.current.arn)} (${images(plan.current)}) → ${shortName(plan.target.arn)} (${images(plan.target)}), ${plan.why}?`,
      ...plan.warnings,
    ];
    if (plan.service.deployments.length > 1) lines.push(`⚠️ Another deployment of ${plan.service.name} is still in progress; this one replaces it.`);
    return lines.join('\n');
  },
  handler: async (args, ctx) => {
    const plan = await planRollback(ctx, args);
    const store = deploysOf(ctx);
    const startedAt = ctx.ports.clock.now();
    const id = await store.create({
      kind: 'rollback',
      cluster: plan.choice.ref.name,
      region: plan.choice.target.region,
      service: plan.service.name,
      container: null,
      fromTaskDefinition: plan.current.arn,
      toTaskDefinition: plan.target.arn,
      registered: false,
      fromImage: null,
      toImage: null,
      digest: null,
      forced: false,
      status: 'registered',
      detail: plan.why,
      platform: ctx.caller.platform,
      userId: ctx.caller.userId,
      userName: ctx.caller.displayName,
      createdAt: startedAt,
    });
    let after: ServiceSummary;
    try {
      after = await containersOf(ctx).updateService(plan.choice.target, plan.service.name, { taskDefinition: plan.target.arn });
    } catch (e) {
      await store.update(id, { status: 'failed', detail: (e instanceof Error ? e.message : String(e)).slice(0, 500) }, ctx.ports.clock.now());
      throw e;
    }
    await store.update(id, { status: 'updated' }, ctx.ports.clock.now());
    const primary = primaryOf(after);
    const deploymentId = primary && primary.taskDefinition === plan.target.arn ? primary.id : undefined;
    const from = shortName(plan.current.arn);
    const to = shortName(plan.target.arn);
    return {
      reply: changeReply(ctx, plan.choice, `Rolling back ${plan.service.name} in ${where(plan.choice.ref)}: ${from} → ${to}${deploymentId ? ` (deployment ${deploymentId})` : ''}. I'll post here when it is steady.`, `Rolling back ${plan.service.name} to ${to}`),
      followUp: followRollout(
        ctx,
        plan.choice,
        {
          kind: 'rollback',
          service: plan.service.name,
          desired: after.desiredCount,
          ...(deploymentId ? { deploymentId } : {}),
          fromTaskDefinition: plan.current.arn,
          timeoutMs: DEPLOY_TIMEOUT_MS,
          label: `the rollback of ${plan.service.name} to ${to}`,
          undo: { kind: 'task-definition', before: plan.current.arn, after: plan.target.arn, summary: `rollback of ${plan.service.name} (${from} → ${to})` },
        },
        startedAt,
      ),
    };
  },
});
