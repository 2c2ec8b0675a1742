/**
 * The alert messages as platform-neutral Replies: a crash with its evidence, a crash loop's
 * incident, its updates and recovery, failed deployments, services below their desired count,
 * and the summary a rate-limited channel gets instead of a storm.
 */
import { formatDuration } from '../core/parser.ts';
import type { Block, Button, Reply } from '../core/reply.ts';
import type { Incident } from '../ports/incident-store.ts';
import type { LogLine } from '../ports/log-source.ts';
import type { MetricPoint } from '../ports/metrics.ts';
import { percentSparkline, sparkline } from '../core/sparkline.ts';
import type { TaskInfo } from '../ports/container-service.ts';
import { shortName } from '../ports/container-service.ts';
import type { StopVerdict } from './rules.ts';
import { imageTag } from './rules.ts';
import { utcTime } from '../core/time.ts';

/** Everything an alert about one stopped task shows. */
export interface CrashEvidence {
  /** The cluster name. */
  cluster: string;
  /** The service name. */
  service: string;
  /** The task as ECS described it. */
  task: TaskInfo;
  /** What the rules made of it. */
  verdict: StopVerdict;
  /** The last log lines of the crashed container, oldest first; null when they could not be read. */
  logLines: LogLine[] | null;
  /** Why there are no log lines, when there are none. */
  logNote?: string;
  /** For an out-of-memory kill: the memory before it, as CloudWatch had it at alert time. */
  memory?: MemoryTrend;
}

/** The memory before an out-of-memory kill. */
export interface MemoryTrend {
  /** The service's MemoryUtilization (percent, one-minute averages over all tasks), the last 30 minutes. */
  service: MetricPoint[];
  /** The crashed task's own MemoryUtilized (MiB) where Container Insights is on; empty where it is off. */
  task: MetricPoint[];
  /** Why there is no trend (metrics denied, throttled or not wired), when there is none. */
  note?: string;
}

/** The lines an OOM alert shows about memory: the service's trend, and the task's own where recorded. */
export function memoryTrendText(m: MemoryTrend): string {
  if (m.note) return `Memory before the kill unavailable: ${m.note}`;
  const lines: string[] = [];
  if (m.service.length) {
    const max = Math.max(...m.service.map((p) => p.v));
    const last = m.service[m.service.length - 1] as MetricPoint;
    lines.push(
      `Service memory, last 30 min: ${percentSparkline(m.service.map((p) => p.v), 30)} max ${Math.round(max)}%, last ${Math.round(last.v)}% (one-minute averages over all tasks; a task that lives under a minute is blurred into them)`,
    );
  } else {
    lines.push('Service memory, last 30 min: CloudWatch has no data yet (service metrics arrive with a delay of a few minutes).');
  }
  if (m.task.length) {
    const peak = Math.max(...m.task.map((p) => p.v));
    lines.push(`This task (Container Insights): ${sparkline(m.task.map((p) => p.v), { min: 0, width: 30 })} peak ${Math.round(peak)} MiB`);
  } else {
    lines.push("This task's own memory is not recorded (Container Insights with enhanced observability is off).");
  }
  return lines.join('\n');
}

const KIND_TITLE: Record<string, string> = {
  crash: 'crashed',
  oom: 'was killed for memory (OOM)',
  'failed-to-start': 'failed to start',
  'health-check': 'failed its health checks',
  spot: 'was interrupted (Spot)',
  user: 'was stopped by a user',
  'scale-in': 'was stopped by the scheduler',
  other: 'stopped',
};

const KIND_ICON: Record<string, string> = { crash: '💥', oom: '🧠', 'failed-to-start': '🚫', 'health-check': '🩺', spot: '⚡', user: '✋', 'scale-in': '↘️', other: 'ℹ️' };

/** The buttons every alert about a service carries: logs, status, mute for 1h. */
export function alertButtons(cluster: string, service: string, taskId?: string): Button[] {
  return [
    // The default 15 minutes would show nothing once the alert is older; ECS lists a stopped task for about an hour.
    { label: 'Logs', action: `run:/ecs logs ${service} --cluster ${cluster}${taskId ? ` --task ${taskId} --since 1h` : ''}` },
    { label: 'Status', action: `run:/ecs status ${service} --cluster ${cluster}` },
    { label: 'Mute 1h', action: `run:/ecs mute ${service} 1h --cluster ${cluster}`, style: 'danger' },
  ];
}

function ranFor(task: TaskInfo): string {
  const start = task.startedAt;
  const stop = task.stoppedAt ?? task.stoppingAt;
  const iso = (t: number): string => utcTime(t, true);
  if (start === undefined) return stop === undefined ? 'never started' : `never started (stopped ${iso(stop)})`;
  if (stop === undefined) return `started ${iso(start)}`;
  return `${iso(start)} → ${iso(stop)} (ran ${formatDuration(Math.max(0, stop - start))})`;
}

function taskDefShort(arn: string): string {
  return shortName(arn);
}

/** The fields and blocks that describe one stopped task. */
function evidenceBlocks(e: CrashEvidence): Block[] {
  const t = e.task;
  const image = t.containers.find((c) => c.name === e.verdict.container)?.image ?? t.containers[0]?.image;
  const blocks: Block[] = [
    {
      kind: 'fields',
      fields: [
        { label: 'Service', value: e.service },
        { label: 'Cluster', value: e.cluster },
        { label: 'Task', value: t.id },
        { label: 'Task definition', value: taskDefShort(t.taskDefinition) },
        { label: 'Image tag', value: imageTag(image) ?? 'unknown' },
        { label: 'Stop code', value: t.stopCode ?? 'none' },
        { label: 'Reason', value: t.stoppedReason ?? e.verdict.reason },
        { label: 'Ran', value: ranFor(t) },
      ],
    },
  ];
  if (t.containers.length > 0) {
    blocks.push({
      kind: 'table',
      columns: ['Container', 'Exit', 'Reason'],
      // A container's reason that the task's Reason above already says is not printed again.
      rows: t.containers.map((c) => [c.name, c.exitCode === undefined ? '-' : String(c.exitCode), c.reason && t.stoppedReason?.includes(c.reason) ? '(as above)' : (c.reason ?? '')]),
    });
  }
  if (e.memory) blocks.push({ kind: 'text', text: memoryTrendText(e.memory) });
  if (e.logLines && e.logLines.length > 0) {
    // The excerpt may be shortened or left out where a platform's message is too small for it;
    // the Logs button's command shows the same lines in full.
    const droppable = { readWith: `/ecs logs ${e.service} --cluster ${e.cluster} --task ${t.id} --since 1h` };
    blocks.push({ kind: 'context', text: `Last ${e.logLines.length} log lines of ${e.verdict.container ?? 'the container'}:`, droppable });
    blocks.push({ kind: 'code', text: e.logLines.map((l) => l.message).join('\n'), droppable });
  } else {
    blocks.push({ kind: 'context', text: e.logNote ?? 'No log lines were found for this container.' });
  }
  return blocks;
}

function headline(e: CrashEvidence): string {
  const exit = e.verdict.exitCode !== undefined ? ` — exit ${e.verdict.exitCode}` : '';
  return `${KIND_ICON[e.verdict.kind] ?? '⚠️'} ${e.service} ${KIND_TITLE[e.verdict.kind] ?? 'stopped'}${exit} (${e.cluster})`;
}

/** The alert for one stopped task, starting its own thread. */
export function crashAlert(e: CrashEvidence, threadKey: string): Reply {
  return {
    visibility: 'channel',
    thread: { key: threadKey, parent: true },
    summary: `${headline(e)}: ${e.verdict.reason}`,
    blocks: [{ kind: 'heading', text: headline(e) }, ...evidenceBlocks(e), { kind: 'actions', buttons: alertButtons(e.cluster, e.service, e.task.id) }],
  };
}

// In whole minutes: people read "12 min" at a glance, "11m42s" they have to parse.
function span(i: Incident): string {
  const ms = Math.max(60_000, i.lastCrashAt - i.firstCrashAt);
  return ms < 120 * 60_000 ? `${Math.round(ms / 60_000)} min` : formatDuration(Math.round(ms / 60_000) * 60_000);
}

/** The reason without the `exit N — ` the crash rules start it with, so the code is not said twice. */
function reasonOnly(i: Incident): string {
  if (i.lastExitCode === undefined) return i.lastReason.trim();
  return i.lastReason.replace(/^exit -?\d+(?:\s+—\s*)?/, '').trim();
}

/** The last crash in full: `exit 137 — OutOfMemoryError: Container killed due to memory usage`. */
function lastExit(i: Incident): string {
  const code = i.lastExitCode !== undefined ? `exit ${i.lastExitCode}` : '';
  return [code, reasonOnly(i)].filter(Boolean).join(' — ') || 'an unknown reason';
}

/** The last crash in brief, for the recovery line: `exit 137 OutOfMemoryError`. */
function lastExitBrief(i: Incident): string {
  const code = i.lastExitCode !== undefined ? `exit ${i.lastExitCode}` : '';
  const reason = reasonOnly(i);
  // An error name says it; the sentence after it belongs in the thread, not the summary line.
  const name = /^([A-Za-z][\w.]*(?:Error|Exception))\b/.exec(reason)?.[1] ?? (reason.length > 80 ? `${reason.slice(0, 79)}…` : reason);
  return [code, name].filter(Boolean).join(' ') || 'an unknown reason';
}

/**
 * The message that opens an incident (the parent of its thread). The on-call mention is not part
 * of it: it travels as a delivery option, because each platform pings in its own syntax.
 */
export function incidentOpened(i: Incident, e: CrashEvidence): Reply {
  const what = e.verdict.kind === 'failed-to-start' ? 'failed to start' : 'crashed';
  const head = `🔥 Crash loop: ${i.service} ${what} ${i.crashes} times in ${span(i)} (${i.cluster})`;
  const blocks: Block[] = [{ kind: 'heading', text: head }];
  blocks.push({ kind: 'text', text: `Latest: ${e.verdict.reason}. Later crashes are counted in this thread until the service recovers.` });
  blocks.push(...evidenceBlocks(e), { kind: 'actions', buttons: alertButtons(i.cluster, i.service, e.task.id) });
  return { visibility: 'channel', thread: { key: i.id, parent: true }, summary: `${head}: last ${lastExit(i)}`, blocks };
}

/**
 * The incident's parent message as it should read now: the original (with the evidence of the
 * crash that opened it) under a new heading with the count, the latest reason, or the recovery.
 */
export function incidentParentNow(original: Reply, i: Incident): Reply {
  const verb = (original.blocks[0]?.kind === 'heading' && original.blocks[0].text.includes(' failed to start ')) ? 'failed to start' : 'crashed';
  const head =
    i.status === 'recovered'
      ? `✅ Recovered: ${i.service} ${verb} ${i.crashes} times in ${span(i)} (${i.cluster})`
      : `🔥 Crash loop: ${i.service} ${verb} ${i.crashes} times in ${span(i)} (${i.cluster})`;
  const latest = i.status === 'recovered' ? `Recovered; the last crash was ${lastExit(i)}.` : `Latest: ${lastExit(i)}. Later crashes are counted in this thread until the service recovers.`;
  const blocks = original.blocks.map((b, n): Block => {
    if (n === 0 && b.kind === 'heading') return { kind: 'heading', text: head };
    if (b.kind === 'text' && b.text.startsWith('Latest: ')) return { kind: 'text', text: latest };
    return b;
  });
  return { ...original, blocks, summary: `${head}: last ${lastExit(i)}` };
}

/** A later crash of an open incident, posted in its thread. */
export function incidentUpdate(i: Incident, e: CrashEvidence): Reply {
  const stop = e.task.stoppedAt ?? e.task.stoppingAt;
  const ran = e.task.startedAt !== undefined && stop !== undefined ? ` after ${formatDuration(Math.max(0, stop - e.task.startedAt))}` : '';
  const text = `Crash #${i.crashes} of ${i.service}${ran}: ${e.verdict.reason} (task ${e.task.id}, ${taskDefShort(e.task.taskDefinition)}).`;
  return { visibility: 'channel', thread: { key: i.id, parent: false }, summary: text, blocks: [{ kind: 'text', text }] };
}

/** The recovery note of an incident, posted in its thread. */
export function incidentRecovered(i: Incident): Reply {
  const text = `✅ ${i.service} recovered: ${i.crashes} crashes in ${span(i)}, last ${lastExitBrief(i)}`;
  return { visibility: 'channel', thread: { key: i.id, parent: false }, summary: text, blocks: [{ kind: 'text', text }] };
}

/** A deployment whose rollout failed. */
export function deploymentFailed(cluster: string, service: string, deploymentId: string, taskDefinition: string, reason: string | undefined): Reply {
  const head = `❌ Deployment of ${service} failed (${cluster})`;
  return {
    visibility: 'channel',
    thread: { key: `deploy:${deploymentId}`, parent: true },
    summary: `${head}: ${reason ?? 'rollout FAILED'}`,
    blocks: [
      { kind: 'heading', text: head },
      {
        kind: 'fields',
        fields: [
          { label: 'Deployment', value: deploymentId },
          { label: 'Task definition', value: taskDefShort(taskDefinition) },
          { label: 'Reason', value: reason ?? 'rollout FAILED' },
        ],
      },
      // Rolling back is always confirmed (and needs a second person where the cluster asks for one).
      { kind: 'actions', buttons: [{ label: 'Roll back', action: `run:/ecs rollback ${service} --cluster ${cluster}`, style: 'danger' }, ...alertButtons(cluster, service)] },
    ],
  };
}

/** A service that has stayed below its desired count. */
export function underDesired(cluster: string, service: string, running: number, desired: number, sinceMs: number, threadKey: string): Reply {
  const head = `📉 ${service} has run ${running} of ${desired} tasks for ${formatDuration(sinceMs)} (${cluster})`;
  return {
    visibility: 'channel',
    thread: { key: threadKey, parent: true },
    summary: head,
    blocks: [{ kind: 'heading', text: head }, { kind: 'actions', buttons: alertButtons(cluster, service) }],
  };
}

/** The note in the thread of an under-desired alert once the service is back. */
export function backToDesired(service: string, desired: number, threadKey: string): Reply {
  const text = `✅ ${service} is back at ${desired} running task${desired === 1 ? '' : 's'}.`;
  return { visibility: 'channel', thread: { key: threadKey, parent: false }, summary: text, blocks: [{ kind: 'text', text }] };
}

/** The one message that stands for alerts a rate-limited channel did not get one by one. */
export function foldSummary(items: readonly { service?: string; summary?: string }[]): Reply {
  const byService = new Map<string, number>();
  for (const it of items) byService.set(it.service ?? 'other', (byService.get(it.service ?? 'other') ?? 0) + 1);
  const top = [...byService.entries()].sort((a, b) => b[1] - a[1]);
  const head = `🌩️ ${items.length} more alert${items.length === 1 ? '' : 's'} held back to keep this channel readable`;
  const lines = items.slice(0, 10).map((it) => `• ${it.summary ?? it.service ?? 'alert'}`);
  if (items.length > 10) lines.push(`• … and ${items.length - 10} more`);
  return {
    visibility: 'channel',
    summary: head,
    blocks: [
      { kind: 'heading', text: head },
      { kind: 'table', columns: ['Service', 'Alerts'], rows: top.slice(0, 15).map(([s, n]) => [s, String(n)]), align: ['left', 'right'] },
      { kind: 'text', text: lines.join('\n') },
      { kind: 'context', text: 'Run /ecs alerts for open incidents and mutes.' },
      { kind: 'actions', buttons: [{ label: 'Open incidents', action: 'run:/ecs alerts' }] },
    ],
  };
}
