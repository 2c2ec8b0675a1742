/**
 * `/ecs deploy <service> <image>`: a new image for one container of a service. The tag or digest
 * is resolved in the service's own ECR repository, the scan findings gate it, and only after
 * Confirm is a new task definition revision registered (the current one with that image changed)
 * and the service pointed at it. The deploy is recorded before anything is registered, so a crash
 * between the two calls is cleaned up at the next start (`recoverInterruptedDeploys`).
 */
import { defineSubcommand, type CommandContext } from '../src/core/command.ts';
import { clipInput, UserError } from '../src/core/errors.ts';
import type { Logger } from '../src/core/logger.ts';
import { closest } from '../src/core/parser.ts';
import type { Ports } from '../src/ports/index.ts';
import { isCloudError, shortName, type ServiceSummary, type TaskDefinitionInfo } from '../src/ports/container-service.ts';
import type { DeployStore } from '../src/ports/deploy-store.ts';
import type { ImageInfo, ScanSummary } from '../src/ports/image-registry.ts';
import { changeReply, followRollout, primaryOf } from './ecs-rollout.ts';
import {
  chooseCluster,
  clusterOption,
  containersOf,
  findService,
  imageRepository,
  imagesOf,
  shortDigest,
  unknownThing,
  where,
  whereIn,
  type ClusterChoice,
} from './ecs-common.ts';

/** How long a deploy is followed; a new image replaces every task and may wait on health checks. */
export const DEPLOY_TIMEOUT_MS = 15 * 60_000;
/** Severities that block a deploy unless config says otherwise. */
export const DEFAULT_BLOCK_ON: readonly string[] = ['CRITICAL'];
const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];
const DIGEST = /^sha256:[0-9a-f]{64}$/;
// Docker's tag grammar: a word character first, then up to 127 of [\w.-].
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** The deploy store, or a clear error when no database is wired. */
export function deploysOf(ctx: CommandContext): DeployStore {
  if (!ctx.ports.deploys) throw new UserError('not-configured', 'dockhand has no database for deploy records in this setup', 'Deploys are recorded before they change anything; run dockhand with its database (DOCKHAND_DB).');
  return ctx.ports.deploys;
}

/** The ECR registry host of the account and region a service lives in, from its ARN. */
export function registryOf(service: ServiceSummary, region: string): string | undefined {
  const account = service.arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? `${account}.dkr.ecr.${region}.amazonaws.com` : undefined;
}

/** "1 CRITICAL, 2 HIGH" in severity order; "none" for an empty scan. */
export function formatCounts(scan: ScanSummary): string {
  const parts = SEVERITIES.filter((s) => (scan.counts[s] ?? 0) > 0).map((s) => `${scan.counts[s]} ${s}`);
  return parts.length ? parts.join(', ') : 'no findings';
}

/** What a scan means for a deploy: blocking counts, or a warning that it is missing or failed. */
export interface ScanVerdict {
  /** Findings at blocking severities, as "1 CRITICAL". */
  blocking: string[];
  /** The names of up to three blocking findings. */
  names: string[];
  /** One line for the confirmation. */
  line: string;
}

/** "1 CRITICAL finding" or "2 CRITICAL, 1 HIGH findings". */
export function blockingFindings(blocking: readonly string[]): string {
  return `${blocking.join(', ')} finding${blocking.length === 1 && blocking[0]!.startsWith('1 ') ? '' : 's'}`;
}

/** Judges an image's scan against `deploy.blockOn`; asks ECR for finding names only when something blocks. */
export async function judgeScan(ctx: CommandContext, region: string, image: ImageInfo, label: string): Promise<ScanVerdict> {
  const blockOn = ctx.settings.deployBlockOn ?? DEFAULT_BLOCK_ON;
  const scan = image.scan;
  if (!scan) return { blocking: [], names: [], line: `⚠️ ${label} was never scanned: its vulnerabilities are unknown.` };
  if (scan.status === 'FAILED' || scan.status === 'UNSUPPORTED_IMAGE') {
    return { blocking: [], names: [], line: `⚠️ The scan of ${label} ${scan.status === 'FAILED' ? 'failed' : 'is not supported for this image'}: its vulnerabilities are unknown.` };
  }
  if (scan.status === 'IN_PROGRESS' || scan.status === 'PENDING') return { blocking: [], names: [], line: `⚠️ The scan of ${label} is still running.` };
  const blocking = blockOn.filter((s) => (scan.counts[s] ?? 0) > 0).map((s) => `${scan.counts[s]} ${s}`);
  let names: string[] = [];
  if (blocking.length > 0) {
    try {
      const detail = await imagesOf(ctx).scanFindings(region, image.repository, image.digest);
      names = (detail?.findings ?? []).filter((f) => blockOn.includes(f.severity)).slice(0, 3).map((f) => f.name);
    } catch {
      // The counts already decide; names are a courtesy.
    }
  }
  return { blocking, names, line: `Scan of ${label}: ${formatCounts(scan)}.` };
}

/** A deploy worked out from the arguments, before anything changes. */
export interface DeployPlan {
  choice: ClusterChoice;
  service: ServiceSummary;
  current: TaskDefinitionInfo;
  container: string;
  repository: string;
  fromImage: string;
  fromDigest: string | undefined;
  /** The image reference to register, as the user gave it (tag or digest). */
  toImage: string;
  /** The tag or short digest the user gave, for messages. */
  given: string;
  image: ImageInfo;
  scan: ScanVerdict;
  /** True when the digest asked for is what every running task already runs. */
  alreadyRunning: boolean;
}

/** The digest the service's running tasks run in `container` (one, when they agree). */
async function runningDigest(ctx: CommandContext, choice: ClusterChoice, service: ServiceSummary, container: string): Promise<string | undefined> {
  const ecs = containersOf(ctx);
  const arns = await ecs.listTasks(choice.target, { serviceName: service.name, desiredStatus: 'RUNNING', limit: 100 });
  if (arns.length === 0) return undefined;
  const digests = new Set(
    (await ecs.describeTasks(choice.target, arns)).items
      .filter((t) => t.taskDefinition === service.taskDefinition && t.lastStatus === 'RUNNING')
      .map((t) => t.containers.find((c) => c.name === container)?.imageDigest),
  );
  return digests.size === 1 ? [...digests][0] : undefined;
}

function pickContainer(ctx: CommandContext, choice: ClusterChoice, td: TaskDefinitionInfo, registry: string | undefined, wanted: string | undefined) {
  const inEcr = (image: string): boolean => registry !== undefined && image.startsWith(`${registry}/`);
  const outside = (name: string, image: string) =>
    new UserError(
      'image-outside-ecr',
      `container ${name} runs ${clipInput(image, 120)}, which is not in the ECR registry of this cluster's account and region${registry ? ` (${registry})` : ''}; deploying such images is not supported yet`,
      'dockhand deploys images of the service\'s own ECR repositories, where it can check the tag and the scan findings.',
    );
  if (wanted !== undefined) {
    const c = td.containers.find((x) => x.name === wanted);
    if (!c) throw unknownThing('container', wanted, td.containers.map((x) => x.name), `task definition ${shortName(td.arn)}`);
    if (!inEcr(c.image)) throw outside(c.name, c.image);
    return c;
  }
  const candidates = td.containers.filter((c) => inEcr(c.image));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    const first = td.containers[0];
    if (td.containers.length === 1 && first) throw outside(first.name, first.image);
    throw new UserError('image-outside-ecr', `no container of ${shortName(td.arn)} runs an image of this cluster's ECR registry${registry ? ` (${registry})` : ''}; deploying other registries' images is not supported yet`);
  }
  throw new UserError(
    'container-needed',
    `${shortName(td.arn)} has ${candidates.length} containers with ECR images (${candidates.map((c) => c.name).join(', ')}); say which with --container`,
    `For example: /ecs deploy ${shortName(td.arn).split(':')[0]} <tag> --container ${candidates[0]!.name}${choice.ref === ctx.settings.clusters[0] ? '' : ` --cluster ${choice.ref.name}`}`,
  );
}

/** Splits what the user typed into a tag or a digest, with an optional repository that must be the container's. */
function parseImageArg(arg: string, repository: string, registry: string): { tag?: string; digest?: string } {
  let rest = arg.trim();
  if (!DIGEST.test(rest) && (rest.includes('/') || rest.includes(':') || rest.includes('@'))) {
    const at = rest.indexOf('@');
    const repoPart = at >= 0 ? rest.slice(0, at) : rest.slice(0, rest.lastIndexOf(':') > rest.lastIndexOf('/') ? rest.lastIndexOf(':') : rest.length);
    const bare = repoPart.startsWith(`${registry}/`) ? repoPart.slice(registry.length + 1) : repoPart;
    if (bare !== repository) {
      throw new UserError('wrong-repository', `the image must come from ${repository}, the repository the container already runs; got ${clipInput(repoPart, 120)}`, `Give only the tag or digest: /ecs deploy <service> <tag>.`);
    }
    rest = at >= 0 ? rest.slice(at + 1) : rest.slice(repoPart.length + 1);
    if (rest === '') rest = 'latest';
  }
  if (DIGEST.test(rest)) return { digest: rest };
  if (TAG.test(rest)) return { tag: rest };
  throw new UserError('invalid-argument', `image must be a tag such as 1.4.1 or a digest sha256:<64 hex digits>, got '${clipInput(rest)}'`, 'Usage: /ecs deploy <service> <tag or digest>');
}

function unknownImage(given: { tag?: string; digest?: string }, repository: string, images: readonly ImageInfo[]): UserError {
  const newest = [...images].sort((a, b) => (b.pushedAt ?? 0) - (a.pushedAt ?? 0));
  const tags = newest.flatMap((i) => i.tags);
  if (given.digest) {
    return new UserError('unknown-image', `no image ${shortDigest(given.digest)} in ${repository}`, tags.length ? `Newest tags: ${tags.slice(0, 5).join(', ')}. /ecs images ${repository} lists them.` : `${repository} has no tagged images.`);
  }
  // The closest tags (typos, neighbouring versions), newest first; else simply the newest.
  const close = [...new Set(tags.filter((t) => closest(given.tag ?? '', [t]) !== undefined))].slice(0, 3);
  const shown = close.length ? `closest: ${close.join(', ')}` : tags.length ? `newest: ${[...new Set(tags)].slice(0, 3).join(', ')}` : 'it has no tagged images';
  return new UserError('unknown-tag', `no tag ${clipInput(given.tag ?? '')} in ${repository} — ${shown}`, `/ecs images ${repository} lists every tag with its age and scan findings.`);
}

/** Works out a deploy from its arguments, refusing what cannot or may not be deployed. Changes nothing. */
export async function planDeploy(ctx: CommandContext, args: { service: string; image: string; container?: string | undefined; cluster?: string | undefined; force?: boolean | undefined }): Promise<DeployPlan> {
  const choice = chooseCluster(ctx, args.cluster);
  if (args.force && ctx.role !== 'admin') {
    throw new UserError('force-needs-admin', '--force (deploying past the scan gate) needs the admin role; you are an operator', 'Deploy an image without blocking findings, or ask an admin.');
  }
  const service = await findService(ctx, choice, args.service);
  const current = await containersOf(ctx).describeTaskDefinition(choice.target.region, service.taskDefinition);
  const registry = registryOf(service, choice.target.region);
  const container = pickContainer(ctx, choice, current, registry, args.container);
  const repository = imageRepository(container.image).slice((registry?.length ?? -1) + 1);
  const given = parseImageArg(args.image, repository, registry ?? '');
  const images = await imagesOf(ctx).listImages(choice.target.region, repository);
  const image = images.find((i) => (given.digest ? i.digest === given.digest : i.tags.includes(given.tag ?? '')));
  if (!image) throw unknownImage(given, repository, images);
  const label = given.tag ?? shortDigest(image.digest);
  const scan = await judgeScan(ctx, choice.target.region, image, `${repository} ${label}`);
  if (scan.blocking.length > 0 && !args.force) {
    throw new UserError(
      'image-blocked',
      `${repository} ${label} has ${blockingFindings(scan.blocking)}${scan.names.length ? ` (${scan.names.join(', ')})` : ''}; deploys of images with ${(ctx.settings.deployBlockOn ?? DEFAULT_BLOCK_ON).join(' or ')} findings are refused. Nothing was changed.`,
      'Deploy a fixed image, or an admin may add --force (recorded as forced in the audit log).',
    );
  }
  const fromImage = container.image;
  const fromDigest = (await runningDigest(ctx, choice, service, container.name)) ?? images.find((i) => imageMatches(fromImage, i))?.digest;
  const toImage = `${registry}/${repository}${given.digest ? `@${given.digest}` : `:${given.tag}`}`;
  return {
    choice,
    service,
    current,
    container: container.name,
    repository,
    fromImage,
    fromDigest,
    toImage,
    given: label,
    image,
    scan,
    alreadyRunning: fromDigest === image.digest && primaryOf(service)?.rolloutState !== 'IN_PROGRESS' && service.deployments.length <= 1,
  };
}

/** True when an image reference names this image by tag or digest. */
function imageMatches(ref: string, image: ImageInfo): boolean {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(at + 1) === image.digest;
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return image.tags.includes(colon > slash ? ref.slice(colon + 1) : 'latest');
}

/** `web 1.4.0 (0a1b2c3d4e5f)` */
function describeImage(ref: string, digest: string | undefined): string {
  const at = ref.indexOf('@');
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const tag = at >= 0 ? shortDigest(ref.slice(at + 1)) : colon > slash ? ref.slice(colon + 1) : 'latest';
  return `${tag}${digest && at < 0 ? ` (${shortDigest(digest)})` : ''}`;
}

function inProgressNote(s: ServiceSummary): string | undefined {
  const primary = primaryOf(s);
  if (s.deployments.length <= 1 && primary?.rolloutState !== 'IN_PROGRESS') return undefined;
  return `⚠️ Another deployment of ${s.name} is still in progress (${primary ? `${primary.id}, ${shortName(primary.taskDefinition)}, ` : ''}${s.runningCount}/${s.desiredCount} running); this one replaces it.`;
}

function alreadyReply(ctx: CommandContext, plan: DeployPlan) {
  return changeReply(
    ctx,
    plan.choice,
    `${plan.service.name} already runs ${plan.repository} ${plan.given} (${shortDigest(plan.image.digest)}) in container ${plan.container}; nothing was changed.`,
    `${plan.service.name} already runs ${plan.given}`,
  );
}

const deployOptions = [
  { name: 'service', type: 'string', description: 'The service name', positional: true, required: true, example: 'web' },
  { name: 'image', type: 'string', description: 'The image tag (1.4.1) or digest (sha256:…) in the service\'s ECR repository', positional: true, required: true, max: 300, example: '1.4.1' },
  { name: 'container', type: 'string', description: 'The container to change, when several run ECR images', example: 'app' },
  { name: 'force', type: 'boolean', description: 'Admin: deploy even with blocking scan findings (recorded as forced)' },
  clusterOption,
] as const;

/** `/ecs deploy <service> <image>`. */
export const deploySub = defineSubcommand({
  name: 'deploy',
  description: 'Deploy another image tag or digest from the service\'s ECR repository (scan-gated, confirmed)',
  options: deployOptions,
  role: 'operator',
  changes: true,
  example: '/ecs deploy web 1.4.1',
  confirm: async (args, ctx) => {
    const plan = await planDeploy(ctx, args);
    if (plan.alreadyRunning) return null;
    const lines = [
      `Deploy ${plan.repository} ${plan.given} to ${plan.service.name} in ${whereIn(ctx, plan.choice.ref)}?`,
      `Container ${plan.container}: ${describeImage(plan.fromImage, plan.fromDigest)} → ${plan.given} (${shortDigest(plan.image.digest)}).`,
      `Current revision ${shortName(plan.current.arn)}; a new revision of ${plan.current.family} is registered with only that image changed.`,
      plan.scan.line,
    ];
    if (plan.scan.blocking.length > 0) lines.push(`🚨 FORCED past the scan gate: ${plan.scan.blocking.join(', ')}${plan.scan.names.length ? ` (${plan.scan.names.join(', ')})` : ''}.`);
    const busy = inProgressNote(plan.service);
    if (busy) lines.push(busy);
    return lines.join('\n');
  },
  handler: async (args, ctx) => {
    // Worked out again: the confirmation may be answered after the service or the repository changed.
    const plan = await planDeploy(ctx, args);
    if (plan.alreadyRunning) return alreadyReply(ctx, plan);
    const store = deploysOf(ctx);
    const ecs = containersOf(ctx);
    const region = plan.choice.target.region;
    const now = (): number => ctx.ports.clock.now();
    const id = await store.create({
      kind: 'deploy',
      cluster: plan.choice.ref.name,
      region,
      service: plan.service.name,
      container: plan.container,
      fromTaskDefinition: plan.current.arn,
      toTaskDefinition: null,
      registered: false,
      fromImage: plan.fromImage,
      toImage: plan.toImage,
      digest: plan.image.digest,
      forced: plan.scan.blocking.length > 0,
      status: 'registering',
      detail: null,
      platform: ctx.caller.platform,
      userId: ctx.caller.userId,
      userName: ctx.caller.displayName,
      createdAt: now(),
    });
    let next: TaskDefinitionInfo;
    try {
      next = await ecs.registerImageRevision(region, plan.current.arn, { [plan.container]: plan.toImage });
    } catch (e) {
      await store.update(id, { status: 'failed', detail: detailOf(e) }, now());
      throw e;
    }
    await store.update(id, { toTaskDefinition: next.arn, registered: true, status: 'registered' }, now());
    const startedAt = now();
    let after: ServiceSummary;
    try {
      after = await ecs.updateService(plan.choice.target, plan.service.name, { taskDefinition: next.arn });
    } catch (e) {
      throw await undoRegistration(ctx, store, id, region, next.arn, plan.service.name, plan.current.arn, e);
    }
    await store.update(id, { status: 'updated' }, now());
    const primary = primaryOf(after);
    const deploymentId = primary && primary.taskDefinition === next.arn ? primary.id : undefined;
    const label = `the deploy of ${plan.given} to ${plan.service.name}`;
    return {
      reply: changeReply(
        ctx,
        plan.choice,
        `Deploying ${plan.repository} ${plan.given} to ${plan.service.name} in ${where(plan.choice.ref)}: ${shortName(plan.current.arn)} → ${shortName(next.arn)}${deploymentId ? ` (deployment ${deploymentId})` : ''}${plan.scan.blocking.length ? ', forced past the scan gate' : ''}. I'll post here when it is steady.`,
        `Deploying ${plan.given} to ${plan.service.name}`,
      ),
      followUp: followRollout(
        ctx,
        plan.choice,
        {
          kind: 'deploy',
          service: plan.service.name,
          desired: after.desiredCount,
          ...(deploymentId ? { deploymentId } : {}),
          fromTaskDefinition: plan.current.arn,
          timeoutMs: DEPLOY_TIMEOUT_MS,
          label,
          undo: { kind: 'task-definition', before: plan.current.arn, after: next.arn, summary: `deploy of ${plan.given} to ${plan.service.name} (${shortName(plan.current.arn)} → ${shortName(next.arn)})` },
        },
        startedAt,
      ),
    };
  },
});

/** A short, secret-free description of a failure for the deploy record. */
function detailOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 500);
}

/**
 * UpdateService failed after the revision was registered: the service still runs the old one, so
 * the unused revision is deregistered (ECS keeps it listed as INACTIVE) and the user told exactly that.
 */
async function undoRegistration(ctx: CommandContext, store: DeployStore, id: number, region: string, arn: string, service: string, from: string, cause: unknown): Promise<unknown> {
  let cleaned = true;
  try {
    await containersOf(ctx).deregisterTaskDefinition(region, arn);
  } catch (e) {
    cleaned = false;
    ctx.log.warn({ err: e, taskDefinition: arn }, 'could not deregister the unused revision');
  }
  await store.update(id, { status: cleaned ? 'failed' : 'registered', detail: detailOf(cause) }, ctx.ports.clock.now());
  if (!(cause instanceof UserError)) return cause;
  const tail = cleaned
    ? `${service} still runs ${shortName(from)}; the unused revision ${shortName(arn)} was deregistered.`
    : `${service} still runs ${shortName(from)}; the unused revision ${shortName(arn)} could not be deregistered yet (dockhand retries at its next start).`;
  const e = new UserError(cause.id, `${cause.message.replace(/\.$/, '')}. ${tail}`, cause.hint);
  if (cause.sandboxMessage !== undefined) e.sandboxMessage = `${cause.sandboxMessage.replace(/\.$/, '')}. ${tail}`;
  return e;
}

/**
 * Finds deploys a crash or kill interrupted between RegisterTaskDefinition and UpdateService and
 * settles them: a revision the service runs is kept (the update went through), an orphan revision is
 * deregistered. Each outcome is audited. Returns how many were settled.
 */
export async function recoverInterruptedDeploys(ports: Ports, log: Logger): Promise<number> {
  const store = ports.deploys;
  const ecs = ports.containers;
  if (!store || !ecs) return 0;
  let settled = 0;
  for (const rec of await store.unfinished()) {
    const target = { cluster: rec.cluster, region: rec.region };
    try {
      const service = (await ecs.describeServices(target, [rec.service])).items[0];
      let orphan = rec.toTaskDefinition;
      if (!orphan && rec.toImage && rec.container) {
        // Killed before the new ARN was recorded: a revision newer than the old one with exactly this image is ours.
        const from = await ecs.describeTaskDefinition(rec.region, rec.fromTaskDefinition);
        for (const arn of await ecs.listTaskDefinitions(rec.region, from.family, { limit: 5 })) {
          const td = await ecs.describeTaskDefinition(rec.region, arn);
          if (td.revision > from.revision && td.containers.some((c) => c.name === rec.container && c.image === rec.toImage)) {
            orphan = td.arn;
            break;
          }
        }
      }
      const now = ports.clock.now();
      let outcome: string;
      if (orphan && service && service.deployments.some((d) => d.taskDefinition === orphan)) {
        await store.update(rec.id, { toTaskDefinition: orphan, registered: true, status: 'updated', detail: 'the update had gone through before dockhand stopped' }, now);
        outcome = `kept ${shortName(orphan)}: ${rec.service} runs it`;
      } else if (orphan) {
        await ecs.deregisterTaskDefinition(rec.region, orphan);
        await store.update(rec.id, { toTaskDefinition: orphan, status: 'abandoned', detail: 'interrupted before UpdateService; the orphan revision was deregistered' }, now);
        outcome = `deregistered the orphan revision ${shortName(orphan)}; ${rec.service} still runs ${shortName(service?.taskDefinition ?? rec.fromTaskDefinition)}`;
      } else {
        await store.update(rec.id, { status: 'abandoned', detail: 'interrupted before a revision was registered' }, now);
        outcome = 'nothing had been registered';
      }
      const auditId = await ports.audit.begin({ at: now, platform: rec.platform, workspaceId: 'dockhand', channelId: 'startup', userId: 'dockhand', userName: 'dockhand (start-up)', command: `recover interrupted ${rec.kind} #${rec.id} of ${rec.service} by ${rec.userName}` });
      await ports.audit.target?.(auditId, rec.cluster, rec.service);
      await ports.audit.finish(auditId, 'ok', 0, outcome);
      log.warn({ deploy: rec.id, service: rec.service }, `interrupted ${rec.kind} settled: ${outcome}`);
      settled++;
    } catch (e) {
      // Left as it is, to be tried again at the next start; the service itself is unaffected.
      log.warn({ err: isCloudError(e) ? e.message : e, deploy: rec.id }, 'could not settle an interrupted deploy yet');
    }
  }
  return settled;
}
