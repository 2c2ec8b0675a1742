/**
 * `/ecs diagnose <service>`: gathers what ECS, ECR, CloudWatch Logs and CloudWatch metrics say about
 * one service in few calls, runs the pure diagnosis rules over it, and shows each finding with its
 * evidence and one next step.
 */
import { defineSubcommand, type CommandContext } from '../src/core/command.ts';
import { isUserError, userMessage } from '../src/core/errors.ts';
import type { Block, Button } from '../src/core/reply.ts';
import { reply } from '../src/core/reply.ts';
import {
  diagnose,
  needsRegistry,
  tasksNeedingLogs,
  type DiagnosisEvidence,
  type Finding,
  type RegistryEvidence,
} from '../src/diagnosis/rules.ts';
import { isCloudError, type ServiceSummary, type TaskDefinitionInfo, type TaskInfo } from '../src/ports/container-service.ts';
import { awsNow, chooseCluster, clusterOption, containersOf, findService, footer, imageRepository, imageTag, where, type ClusterChoice } from './ecs-common.ts';
import { DEFAULT_METRICS_WINDOW_MS, readMetrics } from './ecs-metrics.ts';

/** Lines read before each of the latest exits. */
const LINES_BEFORE_EXIT = 10;

const ICON: Record<Finding['severity'], string> = { problem: '🔴', warning: '🟡', ok: '🟢' };

/** What gathering found besides the evidence: reads that failed, said in the reply. */
export interface Gathered {
  /** The evidence for the rules. */
  evidence: DiagnosisEvidence;
  /** Parts that could not be read, with why. */
  gaps: string[];
}

async function readTaskDefinition(ctx: CommandContext, choice: ClusterChoice, s: ServiceSummary, gaps: string[]): Promise<TaskDefinitionInfo | undefined> {
  try {
    return await containersOf(ctx).describeTaskDefinition(choice.target.region, s.taskDefinition);
  } catch (e) {
    if (!isUserError(e)) throw e;
    gaps.push(`task definition: ${userMessage(e, ctx.settings.sandbox)}`);
    return undefined;
  }
}

async function readRegistry(ctx: CommandContext, choice: ClusterChoice, tasks: readonly TaskInfo[], td: TaskDefinitionInfo | undefined, gaps: string[]): Promise<RegistryEvidence | undefined> {
  if (!ctx.ports.images) return undefined;
  const failed = tasks.find((t) => /CannotPullContainerError/i.test(`${t.stoppedReason ?? ''} ${t.containers.map((c) => c.reason ?? '').join(' ')}`));
  const image = failed?.containers.find((c) => /CannotPullContainerError/i.test(c.reason ?? ''))?.image ?? failed?.containers[0]?.image ?? td?.containers.find((c) => c.essential)?.image;
  if (!image) return undefined;
  const repoUri = imageRepository(image);
  // Only ECR images of this account and region can be looked up; others (Docker Hub) are left to the pull reason.
  const m = /^\d{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(.+)$/.exec(repoUri);
  if (!m) return undefined;
  const repository = m[2] as string;
  const tag = image.includes('@') ? image.slice(image.indexOf('@') + 1) : imageTag(image);
  try {
    const images = await ctx.ports.images.listImages(m[1] as string, repository);
    const tags = [...images].sort((a, b) => (b.pushedAt ?? 0) - (a.pushedAt ?? 0)).flatMap((i) => i.tags);
    const digests = images.map((i) => i.digest);
    return { image, repository, tag, exists: true, tags: image.includes('@') ? (digests.includes(tag) ? [tag, ...tags] : tags) : tags };
  } catch (e) {
    if (isCloudError(e, 'repository-not-found')) return { image, repository, tag, exists: false, tags: [] };
    if (!isUserError(e)) throw e;
    gaps.push(`ECR: ${userMessage(e, ctx.settings.sandbox)}`);
    return undefined;
  }
}

async function readLogsBeforeExit(ctx: CommandContext, choice: ClusterChoice, tasks: readonly TaskInfo[], td: TaskDefinitionInfo | undefined, gaps: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const logs = ctx.ports.logs;
  if (!logs || !td) return out;
  const wanted = tasksNeedingLogs({ tasks, taskDefinition: td });
  // At most 3 stream reads, started together: under CloudWatch Logs' ~5 requests a second.
  await Promise.all(
    wanted.map(async (t) => {
      const failing = t.containers.find((c) => c.exitCode !== undefined && c.exitCode !== 0)?.name;
      const container = td.containers.find((c) => c.name === failing && c.logs) ?? td.containers.find((c) => c.essential && c.logs);
      if (!container?.logs) return;
      const stream = container.logs.streamPrefix ? `${container.logs.streamPrefix}/${container.name}/${t.id}` : t.id;
      try {
        const lines = await logs.streamTail(container.logs.region ?? choice.target.region, container.logs.group, stream, LINES_BEFORE_EXIT);
        out.set(
          t.id,
          lines.map((l) => l.message),
        );
      } catch (e) {
        if (!isUserError(e)) throw e;
        if (!gaps.some((g) => g.startsWith('logs:'))) gaps.push(`logs: ${userMessage(e, ctx.settings.sandbox)}`);
      }
    }),
  );
  return out;
}

/**
 * Gathers the evidence for one service: DescribeServices (done by the caller), ListTasks ×2,
 * DescribeTasks, DescribeTaskDefinition and GetMetricData in parallel, then ECR only for a pull
 * failure and at most 3 log stream tails. Reads that fail become gaps, not errors.
 */
export async function gatherEvidence(ctx: CommandContext, choice: ClusterChoice, s: ServiceSummary): Promise<Gathered> {
  const ecs = containersOf(ctx);
  const gaps: string[] = [];
  const now = awsNow(ctx);
  const [taskArns, td, read] = await Promise.all([
    Promise.all([
      ecs.listTasks(choice.target, { serviceName: s.name, desiredStatus: 'RUNNING' }),
      ecs.listTasks(choice.target, { serviceName: s.name, desiredStatus: 'STOPPED', limit: 100 }),
    ]).then(([a, b]) => [...a, ...b]),
    readTaskDefinition(ctx, choice, s, gaps),
    readMetrics(ctx, choice, s.name, DEFAULT_METRICS_WINDOW_MS, { end: now }),
  ]);
  const tasks = taskArns.length ? (await ecs.describeTasks(choice.target, taskArns)).items : [];
  const [registry, logsBeforeExit] = await Promise.all([
    needsRegistry(tasks) ? readRegistry(ctx, choice, tasks, td, gaps) : Promise.resolve(undefined),
    readLogsBeforeExit(ctx, choice, tasks, td, gaps),
  ]);
  const evidence: DiagnosisEvidence = {
    now,
    service: s,
    tasks,
    ...(td ? { taskDefinition: td } : {}),
    ...(registry ? { registry } : {}),
    ...(read.metrics && (read.metrics.cpu.length || read.metrics.memory.length) ? { metrics: read.metrics } : {}),
    ...(read.problem ? { metricsProblem: read.problem } : {}),
    ...(logsBeforeExit.size ? { logsBeforeExit } : {}),
  };
  return { evidence, gaps };
}

/** The blocks of one finding: its headline, evidence, log lines and next step. */
export function findingBlocks(f: Finding): Block[] {
  const blocks: Block[] = [{ kind: 'text', text: `${ICON[f.severity]} *${f.title}*` }];
  if (f.evidence.length) blocks.push({ kind: 'text', text: f.evidence.map((l) => `• ${l}`).join('\n') });
  for (const l of f.logs ?? []) blocks.push({ kind: 'code', text: [`task ${l.task}, last ${l.lines.length} lines:`, ...l.lines].join('\n') });
  if (f.next) blocks.push({ kind: 'text', text: `Next: ${f.next}${f.command ? ` (${'`'}${f.command}${'`'})` : ''}` });
  return blocks;
}

/** `/ecs diagnose <service>`. */
export const diagnoseSub = defineSubcommand({
  name: 'diagnose',
  description: 'What is wrong with a service and what to do: OOM kills, exits, image pulls, health checks, deploys',
  options: [{ name: 'service', type: 'string', description: 'The service name', positional: true, required: true }, clusterOption] as const,
  role: 'viewer',
  changes: false,
  example: '/ecs diagnose payments',
  handler: async (args, ctx) => {
    const choice = chooseCluster(ctx, args.cluster);
    const s = await findService(ctx, choice, args.service);
    const { evidence, gaps } = await gatherEvidence(ctx, choice, s);
    const findings = diagnose(evidence);
    const blocks: Block[] = [{ kind: 'heading', text: `Diagnosis of ${s.name} in ${where(choice.ref)}` }];
    for (const f of findings) blocks.push(...findingBlocks(f));
    const buttons: Button[] = [];
    for (const f of findings) {
      if (f.command && !buttons.some((b) => b.action === `run:${f.command}`) && !f.command.startsWith('/ecs deploy')) {
        buttons.push({ label: f.command.replace(/^\/ecs /, ''), action: `run:${f.command}` });
      }
    }
    if (buttons.length) blocks.push({ kind: 'actions', buttons: buttons.slice(0, 5) });
    if (evidence.metricsProblem && !findings.some((f) => f.evidence.some((l) => l.includes(evidence.metricsProblem as string)))) {
      gaps.push(`metrics: ${evidence.metricsProblem}`);
    }
    if (gaps.length) blocks.push({ kind: 'context', text: `Not read: ${gaps.join(' · ')}` });
    blocks.push(footer(ctx, choice.ref, `${evidence.tasks.length} task${evidence.tasks.length === 1 ? '' : 's'} read (running and stopped in the last hour)`));
    const first = findings[0] as Finding;
    return reply(blocks, { summary: `${s.name}: ${first.title}` });
  },
});
