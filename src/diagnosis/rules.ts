/**
 * Diagnosis rules: pure functions that read what ECS, ECR, CloudWatch Logs and CloudWatch metrics
 * said about one service and say what is wrong, how often, and one next step. No I/O, so a table
 * test covers every rule; `/ecs diagnose` and the scale follow-up gather the evidence and render it.
 *
 * The hints follow AWS's documentation: "Stopped tasks error codes" and "CannotPullContainer task
 * errors" in the Amazon ECS Developer Guide, the exit codes as cited at EXIT_CODE_MEANINGS; the
 * circuit breaker as "Deployment circuit breaker" describes it.
 */
import type { ServiceSummary, TaskDefinitionInfo, TaskInfo } from '../ports/container-service.ts';
import type { MetricPoint, ServiceMetrics } from '../ports/metrics.ts';
import { percentSparkline } from '../core/sparkline.ts';
import { classifyStop, type StopVerdict } from '../watcher/rules.ts';
import { span } from '../core/time.ts';

/** The stable id of a finding, for tests, buttons and anyone scripting on the output. */
export type FindingId =
  | 'oom'
  | 'exit-code'
  | 'image-not-found'
  | 'pull-auth'
  | 'image-pull'
  | 'health-check'
  | 'resource-init'
  | 'placement'
  | 'stuck-pending'
  | 'deployment-failed'
  | 'below-desired'
  | 'healthy';

/** How much a finding matters: a problem to fix, a warning to watch, or the all-clear. */
export type Severity = 'problem' | 'warning' | 'ok';

/** One conclusion with its evidence and what to do about it. */
export interface Finding {
  /** Which rule found it. */
  id: FindingId;
  /** How much it matters. */
  severity: Severity;
  /** The first line a person reads, such as `out of memory: 7 of the last 10 crashes`. */
  title: string;
  /** What was seen, one fact a line. */
  evidence: string[];
  /** Log lines that back it (the last lines before recent exits), as `task id → lines`. */
  logs?: Array<{ task: string; lines: string[] }>;
  /** One concrete next step, in words. */
  next?: string;
  /** The dockhand command that takes that step, when there is one (shown as a button). */
  command?: string;
}

/** What ECR says about the image the tasks could not pull. */
export interface RegistryEvidence {
  /** The image reference the tasks asked for. */
  image: string;
  /** The ECR repository name it points at. */
  repository: string;
  /** The tag asked for (`latest` when none was given). */
  tag: string;
  /** False when the repository itself does not exist. */
  exists: boolean;
  /** The repository's tags, newest image first. */
  tags: string[];
}

/** Everything the rules read about one service. */
export interface DiagnosisEvidence {
  /** Now, on the clock AWS stamps times with. */
  now: number;
  /** The service as DescribeServices returns it. */
  service: ServiceSummary;
  /** Its tasks: the running ones and those stopped in the last hour (ECS keeps them about that long). */
  tasks: readonly TaskInfo[];
  /** The primary deployment's task definition, when it could be read. */
  taskDefinition?: TaskDefinitionInfo;
  /** ECR's answer for an image that failed to pull, when there was one to ask about. */
  registry?: RegistryEvidence;
  /** CPU and memory of the service, when CloudWatch answered. */
  metrics?: ServiceMetrics;
  /** Why metrics are missing (denied, throttled, none yet), to say so instead of guessing. */
  metricsProblem?: string;
  /** The last log lines of recently exited tasks, by task id. */
  logsBeforeExit?: ReadonlyMap<string, string[]>;
}

/** One rule: evidence in, a finding (or nothing) out. */
export type Rule = (e: DiagnosisEvidence) => Finding | null;

const MINUTE = 60_000;
/** Tasks waiting this long before RUNNING count as stuck (Fargate usually starts a task within a minute or two). */
export const STUCK_PENDING_MS = 5 * MINUTE;
/** A rollout in progress this long counts as stuck. */
export const STUCK_DEPLOYMENT_MS = 30 * MINUTE;
/** Running below desired for at least this long is worth saying (shorter is a task starting). */
export const BELOW_DESIRED_MS = 3 * MINUTE;

/**
 * What exit codes usually mean. AWS's own sources: StopTask sends SIGTERM, waits the stop timeout
 * (30 s by default) and then sends SIGKILL, so 143 is a container that stopped on SIGTERM and 137 one
 * that was killed (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html); a
 * container over its memory is stopped ("OutOfMemoryError: Container killed due to memory usage",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/out-of-memory.html); AWS's ECS
 * troubleshooting guide lists 1 application error, 134 SIGABRT, 137 SIGKILL (OOM kill or stopTimeout
 * passed), 139 SIGSEGV (https://github.com/aws/agent-toolkit-for-aws, skills/core-skills/aws-containers/
 * references/ecs-troubleshooting-guide.md). The others follow the shell's 128+signal convention.
 */
export const EXIT_CODE_MEANINGS: Readonly<Record<number, string>> = {
  0: 'exited normally (an essential container that ends stops the task)',
  1: 'application error: the program exited with a failure; its last log lines usually say why',
  2: 'misuse of a shell built-in or a bad argument to the entrypoint',
  126: 'the command cannot be executed (permission, or not an executable)',
  127: 'command not found: check the entrypoint/command and the image',
  134: 'aborted (SIGABRT), often a failed assertion or a runtime abort',
  137: 'killed with SIGKILL: out of memory, or it did not stop within the stop timeout after SIGTERM',
  139: 'segmentation fault (SIGSEGV): the program touched memory it may not',
  143: 'terminated with SIGTERM: ECS stopped it (deployment, scale-in, failed health check) or the program was asked to stop',
  255: 'exit status out of range (the program exited with -1 or similar)',
};

/** The meaning of an exit code, or a generic note. */
export function exitCodeMeaning(code: number): string {
  return EXIT_CODE_MEANINGS[code] ?? (code > 128 && code < 160 ? `killed by signal ${code - 128}` : 'application-specific exit code');
}

function essentialNames(td: TaskDefinitionInfo | undefined): ReadonlySet<string> | undefined {
  return td ? new Set(td.containers.filter((c) => c.essential).map((c) => c.name)) : undefined;
}

function stoppedAt(t: TaskInfo): number {
  return t.stoppedAt ?? t.stoppingAt ?? t.createdAt ?? 0;
}

/** A stopped task with the crash rules' verdict. */
export interface ClassifiedStop {
  /** The task. */
  task: TaskInfo;
  /** What the crash rules made of it. */
  verdict: StopVerdict;
}

/** The stopped tasks of the evidence, newest first, each with its verdict. */
export function stops(e: DiagnosisEvidence): ClassifiedStop[] {
  const essential = essentialNames(e.taskDefinition);
  return e.tasks
    .filter((t) => t.desiredStatus === 'STOPPED' || t.lastStatus === 'STOPPED')
    .filter((t) => t.stopCode !== undefined || t.lastStatus === 'STOPPED')
    .sort((a, b) => stoppedAt(b) - stoppedAt(a))
    .map((task) => ({ task, verdict: classifyStop(task, essential) }));
}

/** The crashes among the stops (exits, OOM kills, failed starts, failed health checks), newest first. */
export function crashes(e: DiagnosisEvidence): ClassifiedStop[] {
  return stops(e).filter((s) => s.verdict.crash);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function reasonOf(t: TaskInfo): string {
  const c = t.containers.find((x) => x.reason);
  return [t.stoppedReason ?? '', c?.reason ?? ''].join(' ');
}

/** Summary of a metric series: min, average and max of its values. */
export function summarize(points: readonly MetricPoint[]): { min: number; avg: number; max: number } | undefined {
  if (points.length === 0) return undefined;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const p of points) {
    min = Math.min(min, p.v);
    max = Math.max(max, p.v);
    sum += p.v;
  }
  return { min, avg: sum / points.length, max };
}

function pct(v: number): string {
  return `${v >= 10 ? Math.round(v) : v.toFixed(1)}%`;
}

/** "memory ▂▃▅▇█ avg 61%, max 99%", or undefined without points. */
export function metricLine(label: string, points: readonly MetricPoint[]): string | undefined {
  const s = summarize(points);
  if (!s) return undefined;
  return `${label} ${percentSparkline(points.map((p) => p.v))} avg ${pct(s.avg)}, max ${pct(s.max)}`;
}

function memoryLimits(e: DiagnosisEvidence, containerName: string | undefined): string {
  const td = e.taskDefinition;
  if (!td) return 'memory limits unknown (the task definition could not be read)';
  const c = td.containers.find((x) => x.name === containerName) ?? td.containers.find((x) => x.essential);
  const parts = [`task ${td.memory !== undefined ? `${td.memory} MiB` : 'no task-level limit'}`];
  if (c) {
    parts.push(`container ${c.name} hard limit ${c.memory !== undefined ? `${c.memory} MiB` : 'none'}`);
    parts.push(`reservation ${c.memoryReservation !== undefined ? `${c.memoryReservation} MiB` : 'none'}`);
  }
  return `memory: ${parts.join(', ')}`;
}

function taskRef(t: TaskInfo): string {
  return t.id.slice(0, 8);
}

function withLogs(e: DiagnosisEvidence, tasks: readonly TaskInfo[]): Array<{ task: string; lines: string[] }> {
  const out: Array<{ task: string; lines: string[] }> = [];
  for (const t of tasks) {
    const lines = e.logsBeforeExit?.get(t.id);
    if (lines && lines.length) out.push({ task: taskRef(t), lines: lines.slice(-10) });
  }
  return out;
}

/** Out-of-memory kills among the last crashes, with the limits and the memory trend before them. */
export const oomRule: Rule = (e) => {
  const recent = crashes(e).slice(0, 10);
  const ooms = recent.filter((s) => s.verdict.kind === 'oom');
  if (ooms.length === 0) return null;
  const latest = ooms[0] as ClassifiedStop;
  const evidence = [memoryLimits(e, latest.verdict.container), `latest kill ${span(e.now - stoppedAt(latest.task))} ago: task ${taskRef(latest.task)} — ${latest.verdict.reason}`];
  const mem = e.metrics?.memory ?? [];
  const line = metricLine('service memory', mem);
  if (line) evidence.push(`${line} (one-minute averages over all tasks)`);
  else evidence.push(`memory trend unavailable: ${e.metricsProblem ?? 'CloudWatch has no memory data for the service yet'}`);
  const name = e.service.name;
  return {
    id: 'oom',
    severity: 'problem',
    title: `out of memory: ${ooms.length} of the last ${plural(recent.length, 'crash', 'crashes')}`,
    evidence,
    next: `Raise the memory in the task definition${e.taskDefinition?.memory ? ` (now ${e.taskDefinition.memory} MiB)` : ''}, or look for a leak in the logs.`,
    command: `/ecs logs ${name} --filter heap`,
  };
};

/** Non-zero exits of essential containers by exit code, with what each code usually means. */
export const exitCodeRule: Rule = (e) => {
  const exits = crashes(e).filter((s) => s.verdict.kind === 'crash' && s.verdict.exitCode !== undefined);
  if (exits.length === 0) return null;
  const byCode = new Map<number, number>();
  for (const s of exits) byCode.set(s.verdict.exitCode as number, (byCode.get(s.verdict.exitCode as number) ?? 0) + 1);
  const ranked = [...byCode.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const [topCode, topCount] = ranked[0] as [number, number];
  const latest3 = exits.slice(0, 3).map((s) => s.task);
  const first = exits[0] as ClassifiedStop;
  return {
    id: 'exit-code',
    severity: 'problem',
    title: `essential container exits: exit ${topCode} in ${topCount} of ${plural(exits.length, 'exit')} in the last hour`,
    evidence: [
      ...ranked.map(([code, n]) => `exit ${code} ×${n}: ${exitCodeMeaning(code)}`),
      `latest ${span(e.now - stoppedAt(first.task))} ago: task ${taskRef(first.task)} (${first.verdict.container ?? 'container'})`,
    ],
    logs: withLogs(e, latest3),
    next: 'Read the lines before the exit for the error the program hit.',
    command: `/ecs logs ${e.service.name} --task ${first.task.id.slice(0, 12)}`,
  };
};

const PULL = /CannotPullContainerError/i;
const PULL_NOT_FOUND = /not found|manifest unknown|does not exist/i;
const PULL_AUTH = /access ?denied|403|forbidden|pull access denied|no basic auth credentials|unauthorized|not authorized|registry auth/i;

function pullFailures(e: DiagnosisEvidence): ClassifiedStop[] {
  return stops(e).filter((s) => PULL.test(reasonOf(s.task)));
}

/** Tasks that cannot pull their image because the tag (or repository) is not in ECR. */
export const imageNotFoundRule: Rule = (e) => {
  const fails = pullFailures(e);
  if (fails.length === 0) return null;
  const reg = e.registry;
  const reason = reasonOf((fails[0] as ClassifiedStop).task);
  const confirmed = reg !== undefined && (!reg.exists || !reg.tags.includes(reg.tag));
  if (!confirmed && !(reg === undefined && PULL_NOT_FOUND.test(reason) && !PULL_AUTH.test(reason))) return null;
  const name = e.service.name;
  if (reg && !reg.exists) {
    return {
      id: 'image-not-found',
      severity: 'problem',
      title: `image repository ${reg.repository} does not exist in ECR`,
      evidence: [`${plural(fails.length, 'task')} failed to pull ${reg.image} in the last hour`, `CannotPullContainerError: ${clip(reason.replace(/^.*?CannotPullContainerError:\s*/, ''), 160)}`],
      next: 'Push the image to that repository, or point the task definition at one that exists.',
      command: '/ecs images',
    };
  }
  const existing = reg?.tags ?? [];
  const suggestion = existing.find((t) => t !== 'latest' && !/^git-|^sha/.test(t)) ?? existing[0];
  return {
    id: 'image-not-found',
    severity: 'problem',
    title: reg ? `image tag ${reg.tag} is not in ECR repository ${reg.repository}` : 'image not found: the registry has no such image',
    evidence: [
      `${plural(fails.length, 'task')} failed to start in the last hour (CannotPullContainerError)`,
      ...(reg ? [existing.length ? `tags it has (newest first): ${existing.slice(0, 8).join(', ')}` : 'the repository has no tagged images'] : [clip(reason, 200)]),
    ],
    next: suggestion ? `Deploy a tag that exists, such as ${suggestion}, or push ${reg?.tag ?? 'the tag'}.` : 'Push the image the task definition names.',
    ...(suggestion ? { command: `/ecs deploy ${name} ${suggestion}` } : {}),
  };
};

/** Tasks that cannot pull their image because the execution role or registry refuses them. */
export const pullAuthRule: Rule = (e) => {
  const fails = pullFailures(e).filter((s) => PULL_AUTH.test(reasonOf(s.task)));
  if (fails.length === 0) return null;
  const td = e.taskDefinition;
  return {
    id: 'pull-auth',
    severity: 'problem',
    title: `image pull refused: ${plural(fails.length, 'task')} could not authenticate to the registry`,
    evidence: [clip(reasonOf((fails[0] as ClassifiedStop).task).trim(), 220), ...(td ? [`task definition ${td.family}:${td.revision}`] : [])],
    next:
      "Give the task execution role (not the task role) ecr:GetAuthorizationToken, ecr:BatchGetImage and ecr:GetDownloadUrlForLayer (the AmazonECSTaskExecutionRolePolicy managed policy has them); for a private registry outside ECR, set repositoryCredentials to a secret the execution role can read.",
  };
};

/** Other pull failures (timeouts, no route to the registry, rate limits). */
export const imagePullRule: Rule = (e) => {
  const fails = pullFailures(e).filter((s) => !PULL_AUTH.test(reasonOf(s.task)) && !PULL_NOT_FOUND.test(reasonOf(s.task)));
  if (fails.length === 0) return null;
  const reason = reasonOf((fails[0] as ClassifiedStop).task);
  const network = /timeout|i\/o|dial tcp|request canceled|connection/i.test(reason);
  return {
    id: 'image-pull',
    severity: 'problem',
    title: `image pull failed: ${plural(fails.length, 'task')} in the last hour${network ? ' (could not reach the registry)' : ''}`,
    evidence: [clip(reason.trim(), 220)],
    next: network
      ? 'Give the task subnets a route to the registry: a public IP or a NAT gateway, or VPC endpoints for ECR (ecr.api, ecr.dkr) and an S3 gateway endpoint.'
      : 'Read the full reason in /ecs status and check the image reference.',
    command: `/ecs status ${e.service.name}`,
  };
};

/** Tasks replaced because they failed their health checks. */
export const healthCheckRule: Rule = (e) => {
  const all = stops(e);
  const failed = all.filter((s) => s.verdict.kind === 'health-check');
  if (failed.length === 0) return null;
  const started = e.tasks.filter((t) => t.startedAt !== undefined).length;
  const elb = failed.some((s) => /ELB|target.group|load balancer/i.test(s.task.stoppedReason ?? ''));
  const withCheck = e.taskDefinition?.containers.find((c) => c.healthCheck?.length);
  const evidence = [
    `${plural(failed.length, 'task')} of ${started} started in the last hour failed ${elb ? 'load balancer' : 'container'} health checks`,
    withCheck?.healthCheck
      ? `health check of ${withCheck.name}: ${withCheck.healthCheck.join(' ')}`
      : elb
        ? 'the target group health check decides (no container health check in the task definition)'
        : 'no container health check in the task definition',
  ];
  const latest = failed[0] as ClassifiedStop;
  evidence.push(`latest ${span(e.now - stoppedAt(latest.task))} ago: task ${taskRef(latest.task)} — ${latest.task.stoppedReason ?? 'failed health checks'}`);
  return {
    id: 'health-check',
    severity: 'problem',
    title: `failing health checks: ${plural(failed.length, 'task')} replaced in the last hour`,
    evidence,
    logs: withLogs(e, failed.slice(0, 3).map((s) => s.task)),
    next: elb
      ? "Check that the container answers the target group's health check path and port, and that its security group lets the load balancer in; a longer health check grace period helps slow starters."
      : 'Run the health check command inside the image and read the task logs for why it fails; a longer startPeriod helps slow starters.',
    command: `/ecs logs ${e.service.name} --task ${latest.task.id.slice(0, 12)}`,
  };
};

/** Which part of ResourceInitializationError failed, and what fixes it. */
export function resourceInitPart(reason: string): { part: string; next: string } {
  if (/secret|ssm|asm|secretsmanager|parameter/i.test(reason) && !/ecr registry auth/i.test(reason)) {
    return {
      part: 'secrets',
      next: 'Let the task execution role read the secrets the task definition references (secretsmanager:GetSecretValue, ssm:GetParameters, kms:Decrypt for a customer key), and give the subnets a route to Secrets Manager / SSM (NAT or VPC endpoints).',
    };
  }
  if (/registry auth|ecr/i.test(reason)) {
    return { part: 'registry auth', next: 'Give the task execution role ecr:GetAuthorizationToken and the subnets a route to ECR (NAT gateway or VPC endpoints).' };
  }
  if (/log(ging)? driver|log group|logs|CreateLogStream/i.test(reason)) {
    return {
      part: 'log group',
      next: 'Create the awslogs log group the task definition names (or set awslogs-create-group with logs:CreateLogGroup), and let the execution role call logs:CreateLogStream and logs:PutLogEvents.',
    };
  }
  if (/\bENI\b|network interface|eni/i.test(reason)) {
    return { part: 'network interface (ENI)', next: 'Check the subnets have free IP addresses and the account is under its ENI quota; tasks in awsvpc mode each need one.' };
  }
  if (/volume|efs/i.test(reason)) {
    return { part: 'volume', next: 'Check the EFS file system, its mount targets in the task subnets, and that the security groups allow NFS (port 2049).' };
  }
  return { part: 'task resources', next: 'Read the full reason in /ecs status; a VPC without DNS resolution is a common cause.' };
}

/** Tasks that stopped with ResourceInitializationError (Fargate could not set up what they need). */
export const resourceInitRule: Rule = (e) => {
  const fails = stops(e).filter((s) => /ResourceInitializationError/i.test(reasonOf(s.task)));
  if (fails.length === 0) return null;
  const reason = reasonOf((fails[0] as ClassifiedStop).task).trim();
  const { part, next } = resourceInitPart(reason);
  return {
    id: 'resource-init',
    severity: 'problem',
    title: `tasks cannot start: ResourceInitializationError (${part}) in ${plural(fails.length, 'task')}`,
    evidence: [clip(reason, 240)],
    next,
  };
};

const PLACE = /unable to place a task/i;

/** Service events saying ECS could not place tasks. */
export const placementRule: Rule = (e) => {
  const events = e.service.events.filter((ev) => PLACE.test(ev.message) && e.now - ev.createdAt <= 60 * MINUTE);
  if (events.length === 0) return null;
  const latest = events[0] as (typeof events)[number];
  const m = latest.message;
  const next = /no container instances/i.test(m)
    ? 'The cluster has no container instances: register EC2 instances (an Auto Scaling group with a capacity provider) or run the service on Fargate.'
    : /memory|cpu|port|attribute|constraint/i.test(m)
      ? 'No instance has the CPU, memory, ports or attributes the task needs: add capacity, lower the task size, or relax placement constraints.'
      : /capacity provider/i.test(m)
        ? "The capacity provider cannot add instances: check its Auto Scaling group's maximum size and managed scaling."
        : 'Read the event for the reason and add capacity that fits the task.';
  return {
    id: 'placement',
    severity: 'problem',
    title: `cannot place tasks: ${plural(events.length, '"unable to place a task" event')} in the last hour`,
    evidence: [`latest ${span(e.now - latest.createdAt)} ago: ${clip(m, 240)}`],
    next,
  };
};

const WAITING = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);

/** Tasks that have waited too long to start. */
export const stuckPendingRule: Rule = (e) => {
  const stuck = e.tasks.filter((t) => t.desiredStatus === 'RUNNING' && WAITING.has(t.lastStatus) && t.createdAt !== undefined && e.now - t.createdAt >= STUCK_PENDING_MS);
  if (stuck.length === 0) return null;
  const oldest = Math.min(...stuck.map((t) => t.createdAt as number));
  const states = [...new Set(stuck.map((t) => t.lastStatus))].join('/');
  return {
    id: 'stuck-pending',
    severity: 'problem',
    title: `${plural(stuck.length, 'task')} stuck in ${states} for ${span(e.now - oldest)}`,
    evidence: stuck.slice(0, 5).map((t) => `task ${taskRef(t)} ${t.lastStatus} since ${span(e.now - (t.createdAt as number))} ago`),
    next: 'A long PENDING is usually an image pull or network setup that hangs (no route to ECR, Secrets Manager or CloudWatch Logs), or EC2 capacity that never arrives.',
    command: `/ecs status ${e.service.name}`,
  };
};

/** A rollout the circuit breaker failed, or one that has been in progress too long. */
export const deploymentRule: Rule = (e) => {
  const primary = e.service.deployments.find((d) => d.status === 'PRIMARY') ?? e.service.deployments[0];
  if (!primary) return null;
  const rev = primary.taskDefinition.slice(primary.taskDefinition.lastIndexOf('/') + 1);
  const since = primary.updatedAt ?? primary.createdAt;
  if (primary.rolloutState === 'FAILED') {
    return {
      id: 'deployment-failed',
      severity: 'problem',
      title: `deployment failed: ${primary.rolloutStateReason || 'the rollout failed'}`,
      evidence: [
        `revision ${rev}, ${plural(primary.failedTasks, 'failed task')}${since !== undefined ? `, failed ${span(e.now - since)} ago` : ''}`,
        'By default the deployment circuit breaker fails a rollout once half the desired count of tasks (at least 3, at most 200) failed, and stops launching; its threshold configuration can change that. With rollback on, ECS returns to the last completed deployment.',
      ],
      next: 'Fix what made the new tasks fail (the findings above or its stopped tasks), then deploy again.',
      command: `/ecs status ${e.service.name}`,
    };
  }
  if (primary.rolloutState === 'IN_PROGRESS' && primary.createdAt !== undefined && e.now - primary.createdAt >= STUCK_DEPLOYMENT_MS) {
    return {
      id: 'deployment-failed',
      severity: 'problem',
      title: `deployment stuck: revision ${rev} in progress for ${span(e.now - primary.createdAt)}`,
      evidence: [`${primary.runningCount}/${primary.desiredCount} of its tasks running, ${plural(primary.failedTasks, 'failed task')}`, 'without the circuit breaker, ECS keeps retrying a rollout that cannot finish'],
      next: 'Turn on the deployment circuit breaker (with rollback) so a rollout that cannot finish fails and rolls back.',
      command: `/ecs status ${e.service.name}`,
    };
  }
  return null;
};

/** Running below the desired count for longer than a task takes to start. */
export const belowDesiredRule: Rule = (e) => {
  const s = e.service;
  if (s.runningCount >= s.desiredCount) return null;
  const steady = s.events.find((ev) => /has reached a steady state/i.test(ev.message));
  const primary = s.deployments.find((d) => d.status === 'PRIMARY') ?? s.deployments[0];
  const since = steady?.createdAt ?? primary?.createdAt ?? s.createdAt;
  if (since === undefined || e.now - since < BELOW_DESIRED_MS) return null;
  return {
    id: 'below-desired',
    severity: 'warning',
    title: `below desired: ${s.runningCount}/${s.desiredCount} running, ${steady ? `last steady ${span(e.now - since)} ago` : `not steady for ${span(e.now - since)}`}`,
    evidence: [`pending ${s.pendingCount}`, ...(s.events[0] ? [`latest event: ${clip(s.events[0].message, 200)}`] : [])],
    next: 'The findings above say why tasks do not stay up.',
    command: `/ecs status ${s.name}`,
  };
};

/** The rules in the order their findings are shown: causes first, symptoms last. */
export const RULES: readonly Rule[] = [
  imageNotFoundRule,
  pullAuthRule,
  imagePullRule,
  resourceInitRule,
  placementRule,
  oomRule,
  exitCodeRule,
  healthCheckRule,
  stuckPendingRule,
  deploymentRule,
  belowDesiredRule,
];

/** The all-clear, with the numbers that show it. */
export function healthyFinding(e: DiagnosisEvidence): Finding {
  const s = e.service;
  const last = crashes(e)[0];
  const evidence: string[] = [];
  const cpu = metricLine('cpu', e.metrics?.cpu ?? []);
  const mem = metricLine('memory', e.metrics?.memory ?? []);
  if (cpu) evidence.push(cpu);
  if (mem) evidence.push(mem);
  if (!cpu && !mem) evidence.push(`cpu and memory unavailable: ${e.metricsProblem ?? 'CloudWatch has no data for the service yet'}`);
  const crashText = last ? `last crash ${span(e.now - stoppedAt(last.task))} ago` : 'no crash in the last hour';
  return { id: 'healthy', severity: 'ok', title: `healthy: ${s.runningCount}/${s.desiredCount} running, ${crashText}`, evidence };
}

/** Runs every rule; a service none of them finds fault with gets the healthy finding. */
export function diagnose(e: DiagnosisEvidence): Finding[] {
  const found = RULES.map((r) => r(e)).filter((f): f is Finding => f !== null);
  return found.length ? found : [healthyFinding(e)];
}

/** True when the tasks' stops include an image pull failure, so ECR is worth asking. */
export function needsRegistry(tasks: readonly TaskInfo[]): boolean {
  return tasks.some((t) => PULL.test(reasonOf(t)));
}

/**
 * The stopped tasks whose last log lines the findings show: the latest 3 exits, or, with none,
 * the latest 3 failed health checks. At most 3, so reading them stays under CloudWatch Logs' 5 requests a second.
 */
export function tasksNeedingLogs(e: Pick<DiagnosisEvidence, 'tasks' | 'taskDefinition'>): TaskInfo[] {
  const essential = essentialNames(e.taskDefinition);
  const classified = e.tasks
    .filter((t) => (t.desiredStatus === 'STOPPED' || t.lastStatus === 'STOPPED') && t.startedAt !== undefined)
    .map((task) => ({ task, verdict: classifyStop(task, essential) }))
    .sort((a, b) => stoppedAt(b.task) - stoppedAt(a.task));
  const exits = classified.filter((s) => s.verdict.kind === 'crash');
  const pick = exits.length ? exits : classified.filter((s) => s.verdict.kind === 'health-check');
  return pick.slice(0, 3).map((s) => s.task);
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

