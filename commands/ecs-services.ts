/** `/ecs clusters`, `/ecs services` and `/ecs status`: what runs where, read-only. */
import { defineSubcommand, type CommandContext } from '../src/core/command.ts';
import { userMessage } from '../src/core/errors.ts';
import type { Block } from '../src/core/reply.ts';
import { reply } from '../src/core/reply.ts';
import type { ClusterRef } from '../src/core/settings.ts';
import { isCloudError, shortName, type ServiceSummary, type TaskInfo } from '../src/ports/container-service.ts';
import {
  ago,
  awsNow,
  chooseCluster,
  clockTime,
  clusterOption,
  containersOf,
  count,
  findService,
  fitRows,
  footer,
  imageTag,
  revisionOf,
  rolloutOf,
  textBudget,
  type ClusterChoice,
  where,
} from './ecs-common.ts';
import { DEFAULT_METRICS_WINDOW_MS, readMetrics, statusMetricFields } from './ecs-metrics.ts';

/** Maps over items with a few calls in flight at once. */
export async function mapFew<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, limit = 5): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

/** Images by task definition ARN, and why some could not be read when the user can fix it. */
export class TaskDefinitionImages extends Map<string, string> {
  /** Set when task definitions could not be read for lack of a permission (the AWS message). */
  problem: string | undefined;
}

/** The image each task definition runs (its first essential container's), looked up once per revision. */
export async function imagesOfTaskDefinitions(ctx: CommandContext, region: string, arns: readonly string[]): Promise<TaskDefinitionImages> {
  const ecs = containersOf(ctx);
  const unique = [...new Set(arns.filter(Boolean))];
  const out = new TaskDefinitionImages();
  await mapFew(unique, async (arn) => {
    try {
      const td = await ecs.describeTaskDefinition(region, arn);
      const main = td.containers.find((c) => c.essential) ?? td.containers[0];
      if (main) out.set(arn, main.image);
    } catch (e) {
      // A deregistered revision should not hide the whole table; the image column shows a dash.
      // A missing permission would blank every image, so that one is said.
      if (isCloudError(e, 'access-denied')) out.problem = userMessage(e, ctx.settings.sandbox);
      ctx.log.debug({ err: e, taskDefinition: arn }, 'could not describe task definition');
    }
  });
  return out;
}

/** Every service of a cluster, described, sorted by name. */
export async function allServices(ctx: CommandContext, choice: ClusterChoice): Promise<ServiceSummary[]> {
  const ecs = containersOf(ctx);
  const arns = await ecs.listServices(choice.target);
  const described = await ecs.describeServices(choice.target, arns);
  return described.items.filter((s) => s.status !== 'INACTIVE').sort((a, b) => a.name.localeCompare(b.name));
}

/** `/ecs clusters`. */
export const clustersSub = defineSubcommand({
  name: 'clusters',
  description: 'List the configured clusters with their service and task counts',
  options: [] as const,
  role: 'viewer',
  changes: false,
  example: '/ecs clusters',
  handler: async (_args, ctx) => {
    const ecs = containersOf(ctx);
    const byRegion = new Map<string, ClusterRef[]>();
    for (const c of ctx.settings.clusters) byRegion.set(c.region, [...(byRegion.get(c.region) ?? []), c]);
    const rows: string[][] = [];
    for (const [region, refs] of byRegion) {
      const out = await ecs.describeClusters(region, refs.map((r) => r.name));
      for (const ref of refs) {
        const c = out.items.find((x) => x.name === ref.name);
        const mark = ref === ctx.settings.clusters[0] ? `${ref.name} (default)` : ref.name;
        rows.push(
          c
            ? [mark, region, ref.alias ?? '', c.status, String(c.activeServicesCount), String(c.runningTasksCount), String(c.pendingTasksCount)]
            : [mark, region, ref.alias ?? '', 'NOT FOUND', '—', '—', '—'],
        );
      }
    }
    const regions = [...byRegion.keys()].join(', ');
    return reply(
      [
        { kind: 'heading', text: `Clusters — ${ctx.settings.clusters.length} configured` },
        {
          kind: 'table',
          columns: ['Cluster', 'Region', 'Account', 'Status', 'Services', 'Running', 'Pending'],
          rows,
          align: ['left', 'left', 'left', 'left', 'right', 'right', 'right'],
        },
        {
          kind: 'context',
          text: `regions ${regions}${ctx.settings.sandbox ? ' · sandbox data (not real AWS)' : ''} · pick one with --cluster <name>`,
        },
      ],
      { summary: `${rows.length} clusters` },
    );
  },
});

/** `/ecs services [--cluster c]`. */
export const servicesSub = defineSubcommand({
  name: 'services',
  description: 'List the services of a cluster: desired / running / pending, rollout, revision and image tag',
  options: [clusterOption] as const,
  role: 'viewer',
  changes: false,
  example: '/ecs services --cluster demo',
  handler: async (args, ctx) => {
    const choice = chooseCluster(ctx, args.cluster);
    const services = await allServices(ctx, choice);
    const budget = textBudget(ctx.caller.platform);
    const base = services.map((s) => [s.name, String(s.desiredCount), String(s.runningCount), String(s.pendingCount), rolloutOf(s), revisionOf(s.taskDefinition)]);
    // Estimate with a typical tag width before looking images up, so only shown rows cost a call.
    const fit = fitRows(base.map((r) => [...r, 'x'.repeat(12)]), budget);
    const shown = services.slice(0, fit.rows.length);
    const images = await imagesOfTaskDefinitions(ctx, choice.target.region, shown.map((s) => s.taskDefinition));
    const rows = shown.map((s, i) => [...(base[i] as string[]), imageTag(images.get(s.taskDefinition))]);
    const unhealthy = services.filter((s) => s.runningCount < s.desiredCount).length;
    const blocks: Block[] = [
      { kind: 'heading', text: `Services in ${where(choice.ref)} — ${count(services.length)}` },
      {
        kind: 'table',
        columns: ['Service', 'Desired', 'Running', 'Pending', 'Rollout', 'Task def', 'Image'],
        rows,
        align: ['left', 'right', 'right', 'right', 'left', 'left', 'left'],
      },
    ];
    if (fit.omitted > 0) {
      blocks.push({ kind: 'text', text: `… ${count(fit.omitted)} more services not shown (message limit). /ecs status <service> shows one.` });
    }
    if (images.problem) blocks.push({ kind: 'context', text: `Images unknown: ${images.problem}` });
    blocks.push(footer(ctx, choice.ref, unhealthy > 0 ? `${unhealthy} below desired` : undefined));
    return reply(blocks, { summary: `${services.length} services in ${choice.ref.name}${unhealthy ? `, ${unhealthy} below desired` : ''}` });
  },
});

function taskLine(t: TaskInfo, now: number): string {
  const failed = t.containers.find((c) => c.exitCode !== undefined && c.exitCode !== 0) ?? t.containers.find((c) => c.reason);
  const parts = [t.id.slice(0, 8), ago(t.stoppedAt ?? t.stoppingAt, now), `${t.stopCode ?? 'no stop code'}: ${t.stoppedReason ?? 'no reason given'}`];
  if (failed) {
    // Image pull failures repeat the task's reason on the container; say it once.
    const reason = failed.reason && !(t.stoppedReason ?? '').includes(failed.reason) ? failed.reason : undefined;
    if (failed.exitCode !== undefined) parts.push(`${failed.name} exit ${failed.exitCode}${reason ? ` (${reason})` : ''}`);
    else if (reason) parts.push(`${failed.name}: ${reason}`);
  }
  const line = parts.join(' · ');
  return line.length > 240 ? `${line.slice(0, 239)}…` : line;
}

/** `/ecs status <service>`. */
export const statusSub = defineSubcommand({
  name: 'status',
  description: 'Show a service: deployments, latest events, tasks by status, stop reasons and the image it runs',
  options: [{ name: 'service', type: 'string', description: 'The service name', positional: true, required: true, example: 'web' }, clusterOption] as const,
  role: 'viewer',
  changes: false,
  example: '/ecs status web',
  handler: async (args, ctx) => {
    const choice = chooseCluster(ctx, args.cluster);
    const ecs = containersOf(ctx);
    const s = await findService(ctx, choice, args.service);
    const now = awsNow(ctx);
    const [running, stopped, metrics] = await Promise.all([
      ecs.listTasks(choice.target, { serviceName: s.name, desiredStatus: 'RUNNING' }),
      ecs.listTasks(choice.target, { serviceName: s.name, desiredStatus: 'STOPPED', limit: 100 }),
      // Denied or throttled metrics leave the sparklines out with a note; the status still answers.
      readMetrics(ctx, choice, s.name, DEFAULT_METRICS_WINDOW_MS, { end: now }),
    ]);
    const tasks = (await ecs.describeTasks(choice.target, [...running, ...stopped])).items;
    const byStatus = new Map<string, number>();
    for (const t of tasks) byStatus.set(t.lastStatus, (byStatus.get(t.lastStatus) ?? 0) + 1);
    const stops = tasks
      .filter((t) => t.lastStatus === 'STOPPED' || t.desiredStatus === 'STOPPED')
      .sort((a, b) => (b.stoppedAt ?? b.stoppingAt ?? 0) - (a.stoppedAt ?? a.stoppingAt ?? 0))
      .slice(0, 3);
    const live = tasks.find((t) => t.lastStatus === 'RUNNING');
    const liveContainer = live?.containers.find((c) => c.image) ?? undefined;
    const tdImages = await imagesOfTaskDefinitions(ctx, choice.target.region, [s.taskDefinition]);
    const image = liveContainer?.image ?? tdImages.get(s.taskDefinition);
    const digest = liveContainer?.imageDigest;

    const blocks: Block[] = [
      { kind: 'heading', text: `${s.name} in ${where(choice.ref)}` },
      {
        kind: 'fields',
        fields: [
          { label: 'Desired', value: String(s.desiredCount) },
          { label: 'Running', value: String(s.runningCount) },
          { label: 'Pending', value: String(s.pendingCount) },
          { label: 'Rollout', value: rolloutOf(s) },
          { label: 'Task definition', value: revisionOf(s.taskDefinition) },
          { label: 'Image', value: image ? `${image}${digest ? ` (${digest.replace(/^sha256:/, '').slice(0, 12)})` : ''}` : tdImages.problem ? `unknown: ${tdImages.problem}` : '—' },
          ...statusMetricFields(metrics),
        ],
      },
      { kind: 'text', text: '*Deployments*' },
      {
        kind: 'table',
        columns: ['Deployment', 'Status', 'Task def', 'Desired', 'Running', 'Pending', 'Failed', 'Rollout', 'Started'],
        align: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'left', 'left'],
        rows: s.deployments.map((d) => [
          shortName(d.id),
          d.status,
          revisionOf(d.taskDefinition),
          String(d.desiredCount),
          String(d.runningCount),
          String(d.pendingCount),
          String(d.failedTasks),
          `${d.rolloutState ?? '—'}${d.rolloutStateReason && d.rolloutState === 'FAILED' ? `: ${d.rolloutStateReason}` : ''}`,
          ago(d.createdAt, now),
        ]),
      },
      {
        kind: 'fields',
        fields:
          byStatus.size === 0
            ? [{ label: 'Tasks', value: 'none' }]
            : [...byStatus.entries()].map(([status, n]) => ({
                label: `Tasks ${status.toLowerCase()}`,
                // Running tasks' short ids are what `/ecs logs <service> --task <id>` takes.
                value:
                  status === 'RUNNING'
                    ? `${n} (${tasks
                        .filter((t) => t.lastStatus === 'RUNNING')
                        .map((t) => t.id.slice(0, 8))
                        .join(', ')})`
                    : String(n),
              })),
      },
      { kind: 'text', text: '*Latest events*' },
      {
        kind: 'code',
        text:
          s.events.length === 0
            ? '(no events)'
            : s.events
                .slice(0, 5)
                .map((e) => `${clockTime(e.createdAt)}  ${e.message}`)
                .join('\n'),
      },
    ];
    if (stops.length > 0) {
      blocks.push({ kind: 'text', text: '*Latest stopped tasks*' }, { kind: 'code', text: stops.map((t) => taskLine(t, now)).join('\n') });
    }
    blocks.push(footer(ctx, choice.ref, 'times UTC'));
    return reply(blocks, { summary: `${s.name}: ${s.runningCount}/${s.desiredCount} running, ${rolloutOf(s)}` });
  },
});
