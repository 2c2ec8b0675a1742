/**
 * The crash watcher: one poll per cluster reads services (10 a call) and the stopped tasks
 * ECS still lists, describes only the stopped tasks it has not handled (100 a call), applies
 * the crash rules, groups crash loops into incidents, and writes alerts to the outbox in the
 * same SQLite transaction that marks the task handled, so a kill at any moment neither loses
 * nor repeats an alert. node-cron runs the polls; tests call poll() directly with a stepped clock.
 * Each decision reads first and then hands its writes to one `store.apply()` (a write set whose
 * `claimTask` guard makes a second watcher racing on the same task write nothing; see write-set.ts).
 *
 * The first poll of a cluster dockhand has never watched sums up its history instead of posting
 * an hour of old crashes one by one: old crashes are recorded (so crash loops are recognised) and
 * each crash loop found gets one message; crashes of the last two poll intervals are posted as usual.
 * Later polls, also after a restart, post everything they have not handled.
 */
import { isUserError, userMessage } from '../core/errors.ts';
import cron from 'node-cron';
import type { Logger } from '../core/logger.ts';
import type { Reply } from '../core/reply.ts';
import type { Clock } from '../ports/clock.ts';
import type { ClusterTarget, ContainerService, ServiceSummary, TaskDefinitionInfo, TaskInfo } from '../ports/container-service.ts';
import { isCloudError, shortName } from '../ports/container-service.ts';
import type { Incident, IncidentStore, WatchCondition } from '../ports/incident-store.ts';
import type { LogSource } from '../ports/log-source.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { Outbox } from '../ports/outbox.ts';
import type { Write } from '../ports/write-set.ts';
import type { CrashEvidence } from './alerts.ts';
import { backToDesired, crashAlert, deploymentFailed, incidentOpened, incidentParentNow, incidentRecovered, incidentUpdate, underDesired } from './alerts.ts';
import type { Destination, WatcherSettings } from './config.ts';
import { destinationsFor } from './config.ts';
import type { AlertPolicy, StopVerdict } from './rules.ts';
import { classifyStop, firstPollKey, hasRecovered, isSettled, serviceOfTask, shouldAlert } from './rules.ts';

/** What the watcher needs. */
export interface CrashWatcherDeps {
  /** ECS. */
  containers: ContainerService;
  /** CloudWatch Logs, for the evidence lines; alerts go out without them when absent. */
  logs?: LogSource;
  /** CloudWatch metrics, for the memory trend an out-of-memory alert shows; absent, the alert says so. */
  metrics?: Metrics;
  /** The watcher's memory. */
  store: IncidentStore;
  /** Where alerts are written. */
  outbox: Outbox;
  /** The time crash windows and recovery are measured in (the sandbox clock in sandbox mode). */
  clock: Clock;
  /**
   * The time mutes are kept in: `/ecs mute` stamps them with the bot's own clock, which differs
   * from the sandbox's when it runs faster than real time. Defaults to `clock`.
   */
  muteClock?: Clock;
  /** Real time, which handled marks and outbox rows are stamped in (delivery reads them in it). Defaults to `clock`. */
  realClock?: Clock;
  /** Warnings (throttling, failed calls) and info. */
  log: Logger;
  /** Thresholds and routes. */
  settings: WatcherSettings;
  /** The clusters to watch. */
  clusters: readonly ClusterTarget[];
  /** Called after a poll wrote alerts, so delivery can start at once. */
  onAlerts?: () => void;
  /** Told how long each poll of a cluster took (for /metrics). */
  onPollFinished?: (ms: number) => void;
  /** True when the cloud is the local sandbox, so error notes name it instead of AWS. */
  sandbox?: boolean;
}

/** What one poll of one cluster did. */
export interface PollReport {
  /** The cluster. */
  cluster: string;
  /** Services read (null when reading them failed). */
  services: number | null;
  /** Stopped tasks ECS listed (null when listing failed). */
  stoppedListed: number | null;
  /** Stopped tasks described this poll. */
  described: number;
  /** Tasks decided and marked handled this poll. */
  handled: number;
  /** Crashes recorded. */
  crashes: number;
  /** Outbox messages written. */
  messages: number;
  /** Incidents opened. */
  incidentsOpened: number;
  /** Incidents recovered. */
  incidentsRecovered: number;
  /** Calls that failed (each also logged as a warning); the poll went on without them. */
  warnings: string[];
  /** Wall time, ms. */
  ms: number;
}

/** What a decision writes, and what it adds to the poll's report once it landed. */
interface Decision {
  writes: Write[];
  crash: boolean;
  opened: boolean;
  onApplied?: () => void;
}

/** One stopped task on its way through a poll. */
interface Plan {
  task: TaskInfo;
  service: string;
  verdict: StopVerdict;
  alert: boolean;
  /** On a cluster's first poll: an old stop, recorded for the crash-loop count but not posted on its own. */
  history: boolean;
  evidence?: CrashEvidence;
}

const DESCRIBE_BATCH = 100;
const LOG_FETCH_PARALLEL = 5;
/** ECS forgets stopped tasks after about an hour, so a handled task this old can never be listed again. */
const HANDLED_RETENTION_MS = 3 * 60 * 60_000;
/** Delivered or abandoned alert messages are kept this long (threads of open incidents keep their parent). */
const OUTBOX_RETENTION_MS = 7 * 86_400_000;
/** Crashes are kept this long for `/ecs alerts` and crash-loop history. */
const CRASH_RETENTION_MS = 30 * 86_400_000;
/**
 * With `source: events`, the sweep leaves stops this recent to the events (one is likely still on
 * its way through EventBridge and SQS), so only crashes the events really missed are reported as missed.
 */
const EVENTS_GRACE_MS = 2 * 60_000;
/**
 * Events about stops older than this are not alerted: ECS itself lists stopped tasks for about an
 * hour, and handled marks are kept for HANDLED_RETENTION_MS, so an older redelivery could repeat an alert.
 */
const EVENT_MAX_AGE_MS = 2 * 60 * 60_000;
/** How often the watcher prunes its tables; pruning is cheap but need not run every poll. */
const PRUNE_EVERY_MS = 60 * 60_000;
/**
 * How often a decision is taken again when the incident it was about changed between reading and
 * writing (another watcher wrote it); each retry reads afresh, so two are rare and five unheard of.
 */
const MAX_DECIDE_ATTEMPTS = 5;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Turns a poll interval into a node-cron pattern, plus the elapsed-time check intervals cron cannot express need. */
export function cronFor(everyMs: number): { pattern: string; gateMs: number } {
  const s = Math.round(everyMs / 1000);
  if (s * 1000 === everyMs && s < 60 && 60 % s === 0) return { pattern: `*/${s} * * * * *`, gateMs: 0 };
  if (s % 60 === 0 && s / 60 < 60 && 60 % (s / 60) === 0) return { pattern: `0 */${s / 60} * * * *`, gateMs: 0 };
  return { pattern: '* * * * * *', gateMs: everyMs };
}

/** Watches ECS clusters for crashes and writes alerts to the outbox. */
export class CrashWatcher {
  private readonly d: CrashWatcherDeps;
  private readonly policy: AlertPolicy;
  private readonly taskDefs = new Map<string, Promise<TaskDefinitionInfo | null>>();
  private readonly running = new Set<string>();
  private tasks: Array<{ stop(): void | Promise<void>; destroy(): void | Promise<void> }> = [];
  private lastRun = new Map<string, number>();
  private lastPruneAt = Number.NEGATIVE_INFINITY;
  /** The polls start() runs at once, one per cluster (settled, never rejected). */
  private firstRound: Promise<void> = Promise.resolve();
  /** Polls started by the cron jobs and not finished yet; stop() waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(deps: CrashWatcherDeps) {
    this.d = deps;
    this.policy = { spot: deps.settings.alertSpot, user: deps.settings.alertUserStops, scaleIn: deps.settings.alertScaleIn };
  }

  /** Polls every configured cluster once (in parallel) and returns their reports. */
  async pollAll(): Promise<PollReport[]> {
    return Promise.all(this.d.clusters.map((c) => this.poll(c)));
  }

  /** Starts one node-cron job per cluster and polls each cluster once at once. */
  start(): void {
    if (this.tasks.length > 0 || !this.d.settings.enabled) return;
    const first: Array<Promise<unknown>> = [];
    // With events, the poll is the slow reconciliation sweep.
    const { pattern, gateMs } = cronFor(this.d.settings.source === 'events' ? this.d.settings.sweepEveryMs : this.d.settings.everyMs);
    for (const target of this.d.clusters) {
      const run = (): Promise<unknown> => {
        const key = `${target.region}/${target.cluster}`;
        const now = Date.now();
        if (gateMs > 0 && now - (this.lastRun.get(key) ?? 0) < gateMs - 500) return Promise.resolve();
        this.lastRun.set(key, now);
        const p = this.poll(target)
          .catch((e: unknown) => this.d.log.error({ cluster: target.cluster, err: errText(e) }, 'watcher: poll failed'))
          .finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
        return p;
      };
      const task = cron.schedule(pattern, run, { name: `watch:${target.region}/${target.cluster}`, noOverlap: true });
      this.tasks.push(task);
      first.push(run());
    }
    this.firstRound = Promise.all(first).then(() => undefined);
    this.d.log.info(
      { source: this.d.settings.source, every: this.d.settings.source === 'events' ? this.d.settings.sweepEveryMs : this.d.settings.everyMs, clusters: this.d.clusters.map((c) => c.cluster) },
      this.d.settings.source === 'events' ? 'watcher: started (events, with a sweep poll)' : 'watcher: started',
    );
  }

  /** Resolves once the first poll of every cluster after start() has ended, so events never race a first poll's history summary. */
  afterFirstPoll(): Promise<void> {
    return this.firstRound;
  }

  /**
   * Stops the cron jobs and waits for polls in flight, so whoever shuts AWS (or the sandbox)
   * down next does not cut a poll off halfway and log its calls as failures.
   */
  async stop(): Promise<void> {
    for (const t of this.tasks) {
      await t.stop();
      await t.destroy();
    }
    this.tasks = [];
    await Promise.allSettled([...this.inFlight]);
  }

  /** One poll of one cluster. Never throws for a failed AWS call: it logs a warning and goes on. */
  async poll(target: ClusterTarget): Promise<PollReport> {
    const started = performance.now();
    const key = `${target.region}/${target.cluster}`;
    const report: PollReport = {
      cluster: target.cluster,
      services: null,
      stoppedListed: null,
      described: 0,
      handled: 0,
      crashes: 0,
      messages: 0,
      incidentsOpened: 0,
      incidentsRecovered: 0,
      warnings: [],
      ms: 0,
    };
    if (this.running.has(key)) {
      report.warnings.push('a poll of this cluster is still running; skipped');
      return report;
    }
    this.running.add(key);
    try {
      const warn = (what: string, e: unknown): void => {
        const kind = isCloudError(e) ? e.kind : 'error';
        const msg = `${what}: ${errText(e)}`;
        report.warnings.push(msg);
        this.d.log.warn({ cluster: target.cluster, kind }, `watcher: ${msg}; the poll goes on and the next one tries again`);
      };
      const services = await this.readServices(target, warn);
      report.services = services?.length ?? null;
      let stopped: string[] | null = null;
      try {
        stopped = await this.d.containers.listTasks(target, { desiredStatus: 'STOPPED' });
      } catch (e) {
        warn('listing stopped tasks failed', e);
      }
      if (stopped) {
        report.stoppedListed = stopped.length;
        const handled = await this.d.store.handledAmong(target.cluster, stopped);
        const fresh = stopped.filter((a) => !handled.has(a));
        const described: TaskInfo[] = [];
        for (const batch of chunk(fresh, DESCRIBE_BATCH)) {
          try {
            described.push(...(await this.d.containers.describeTasks(target, batch)).items);
          } catch (e) {
            warn(`describing ${batch.length} stopped tasks failed`, e);
          }
        }
        report.described = described.length;
        const sweep = this.d.settings.source === 'events';
        const graceFrom = this.d.clock.now() - EVENTS_GRACE_MS;
        const ready = described
          .filter((t) => isSettled(t) && !(sweep && stopTime(t) > graceFrom))
          .sort((a, b) => stopTime(a) - stopTime(b) || a.arn.localeCompare(b.arn));
        const seenKey = firstPollKey(target.cluster);
        const baseline = (await this.d.store.condition(seenKey)) === null;
        await this.handleTasks(target, ready, report, warn, baseline);
        if (sweep && !baseline && report.crashes > 0) {
          this.d.log.warn(
            { cluster: target.cluster, crashes: report.crashes },
            `watcher: the sweep found ${report.crashes} crash${report.crashes === 1 ? '' : 'es'} the events missed (alerted now); check the EventBridge rule, its SQS target and the queue policy`,
          );
        }
        if (baseline) await this.d.store.apply([{ op: 'putCondition', condition: { key: seenKey, cluster: target.cluster, service: '', since: this.d.clock.now(), detail: 'first poll done' } }]);
      }
      if (services) await this.checkServices(target, services, report);
      await this.pruneIfDue();
    } finally {
      this.running.delete(key);
      report.ms = performance.now() - started;
    }
    this.d.onPollFinished?.(report.ms);
    if (report.messages > 0) this.d.onAlerts?.();
    return report;
  }

  /**
   * Decides stopped tasks that arrived as events, through the same path a poll takes (crash rules,
   * evidence, incidents, outbox); tasks already handled, or not settled yet, are skipped.
   */
  async handleStopped(target: ClusterTarget, tasks: readonly TaskInfo[]): Promise<{ failed: boolean; messages: number }> {
    const report = emptyReport(target.cluster);
    const warn = (what: string, e: unknown): void => {
      report.warnings.push(`${what}: ${errText(e)}`);
      this.d.log.warn({ cluster: target.cluster }, `watcher: ${what}: ${errText(e)}; the event stays in the queue and comes back`);
    };
    const now = this.d.clock.now();
    const handled = await this.d.store.handledAmong(target.cluster, tasks.map((t) => t.arn));
    const ready = tasks
      .filter((t) => !handled.has(t.arn) && isSettled(t) && (stopTime(t) || now) >= now - EVENT_MAX_AGE_MS)
      .sort((a, b) => stopTime(a) - stopTime(b) || a.arn.localeCompare(b.arn));
    // Before the cluster's first poll, old stops are history, summed up as that poll would.
    const baseline = (await this.d.store.condition(firstPollKey(target.cluster))) === null;
    if (ready.length > 0) await this.handleTasks(target, ready, report, warn, baseline);
    if (report.messages > 0) this.d.onAlerts?.();
    return { failed: report.warnings.length > 0, messages: report.messages };
  }

  /** Keeps the watcher's tables from growing forever; runs at most once per PRUNE_EVERY_MS. */
  private async pruneIfDue(): Promise<void> {
    const now = this.d.clock.now();
    if (now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    const { store, outbox } = this.d;
    // Open incidents and alerted under-desired conditions still post into their threads.
    const threads = [
      ...(await store.openIncidents()).map((i) => i.id),
      ...(await store.conditions('under:'))
        .filter((c) => c.alertedAt !== undefined)
        .map((c) => `${c.key}:${c.since}`),
    ];
    // Handled marks and outbox rows are stamped in real time (never in a faster sandbox's time).
    const handled = await store.pruneHandled(this.realNow() - HANDLED_RETENTION_MS);
    const messages = await outbox.prune(this.realNow() - OUTBOX_RETENTION_MS, threads);
    const crashes = await store.pruneCrashes(now - CRASH_RETENTION_MS);
    if (handled + messages + crashes > 0) this.d.log.info({ handled, messages, crashes }, 'watcher: pruned old rows');
  }

  private async readServices(target: ClusterTarget, warn: (what: string, e: unknown) => void): Promise<ServiceSummary[] | null> {
    try {
      const arns = await this.d.containers.listServices(target);
      if (arns.length === 0) return [];
      return (await this.d.containers.describeServices(target, arns.map(shortName))).items;
    } catch (e) {
      warn('reading services failed', e);
      return null;
    }
  }

  private taskDefinition(region: string, arn: string): Promise<TaskDefinitionInfo | null> {
    let p = this.taskDefs.get(arn);
    if (!p) {
      p = this.d.containers.describeTaskDefinition(region, arn).catch(() => {
        // Not cached, so the next crash of this revision tries again.
        this.taskDefs.delete(arn);
        return null;
      });
      this.taskDefs.set(arn, p);
    }
    return p;
  }

  private async evidence(target: ClusterTarget, task: TaskInfo, service: string, verdict: StopVerdict, withLogs: boolean): Promise<CrashEvidence> {
    const e: CrashEvidence = { cluster: target.cluster, service, task, verdict, logLines: null };
    if (!withLogs) return e;
    if (verdict.kind === 'oom') e.memory = await this.memoryTrend(target, service, task);
    if (task.startedAt === undefined && verdict.kind === 'failed-to-start') {
      e.logNote = 'The task never started, so its containers wrote no logs; the reason above is the evidence.';
      return e;
    }
    if (!this.d.logs) {
      e.logNote = 'Log lines are not available: no CloudWatch Logs connection.';
      return e;
    }
    const td = await this.taskDefinition(target.region, task.taskDefinition);
    const container = td?.containers.find((c) => c.name === verdict.container) ?? td?.containers.find((c) => c.essential && c.logs) ?? td?.containers.find((c) => c.logs);
    if (!container?.logs) {
      e.logNote = td ? 'The container does not log to CloudWatch Logs (no awslogs configuration).' : 'Log lines are not available: the task definition could not be read.';
      return e;
    }
    const stream = container.logs.streamPrefix ? `${container.logs.streamPrefix}/${container.name}/${task.id}` : task.id;
    try {
      e.logLines = await this.d.logs.streamTail(container.logs.region ?? target.region, container.logs.group, stream, this.d.settings.logLines);
      if (e.logLines.length === 0) e.logNote = `No log lines in ${container.logs.group} ${stream}.`;
    } catch (err) {
      e.logNote = `Log lines could not be read (${isUserError(err) ? userMessage(err, this.d.sandbox === true) : errText(err)}); use the Logs button.`;
    }
    return e;
  }

  /** The service's memory over the 30 minutes before now (and the task's own, where Container Insights records it). */
  private async memoryTrend(target: ClusterTarget, service: string, task: TaskInfo): Promise<NonNullable<CrashEvidence['memory']>> {
    if (!this.d.metrics) return { service: [], task: [], note: 'no CloudWatch metrics connection' };
    const end = this.d.clock.now();
    try {
      const m = await this.d.metrics.serviceUtilization({ region: target.region, cluster: target.cluster, service, start: end - 30 * 60_000, end, periodSeconds: 60, taskId: task.id, taskFamily: (shortName(task.taskDefinition).split(':')[0] ?? service) });
      return { service: m.memory, task: m.taskMemoryMiB ?? [] };
    } catch (err) {
      return { service: [], task: [], note: isUserError(err) ? userMessage(err, this.d.sandbox === true) : errText(err) };
    }
  }

  private async handleTasks(target: ClusterTarget, tasks: TaskInfo[], report: PollReport, warn: (what: string, e: unknown) => void, baseline: boolean): Promise<void> {
    // Essential-container sets come from task definitions; read each revision once, up front.
    const revisions = [...new Set(tasks.map((t) => t.taskDefinition))];
    await mapLimited(revisions, LOG_FETCH_PARALLEL, (arn) => this.taskDefinition(target.region, arn));
    const now = this.d.clock.now();
    const recentMs = Math.max(60_000, 2 * this.d.settings.everyMs);
    const plans: Plan[] = [];
    const openNow = new Set((await this.d.store.openIncidents()).filter((i) => i.cluster === target.cluster).map((i) => i.service));
    for (const task of tasks) {
      const td = await this.taskDefinition(target.region, task.taskDefinition);
      const essential = td ? new Set(td.containers.filter((c) => c.essential).map((c) => c.name)) : undefined;
      const verdict = classifyStop(task, essential);
      const service = serviceOfTask(task) ?? task.group ?? 'standalone';
      const alert = shouldAlert(verdict, this.policy);
      const history = baseline && (stopTime(task) || now) < now - recentMs;
      plans.push({ task, service, verdict, alert, history });
    }
    // Logs are the evidence of stand-alone alerts and incident openings; updates in a thread skip
    // them, and so does history on a first poll, except each service's latest stop.
    const latest = new Map<string, Plan>();
    const crashCount = new Map<string, number>();
    for (const p of plans) {
      if (p.alert) latest.set(p.service, p);
      if (p.verdict.crash) crashCount.set(p.service, (crashCount.get(p.service) ?? 0) + 1);
    }
    // On a first poll a service with a crash loop in its history gets one message, about its latest crash.
    const summed = (p: Plan): boolean => baseline && (crashCount.get(p.service) ?? 0) >= this.d.settings.crashLoopCrashes;
    const needLogs = plans.filter((p) => p.alert && !openNow.has(p.service) && (latest.get(p.service) === p || (!p.history && !summed(p))));
    await mapLimited(needLogs, LOG_FETCH_PARALLEL, async (p) => {
      p.evidence = await this.evidence(target, p.task, p.service, p.verdict, true);
    });
    const quietIncidents = new Map<string, CrashEvidence>();
    for (const p of plans) {
      const evidence = p.evidence ?? (await this.evidence(target, p.task, p.service, p.verdict, false));
      try {
        await this.decide(target, p, evidence, report, quietIncidents);
      } catch (e) {
        warn(`recording task ${p.task.id} failed`, e);
      }
    }
    // A first poll sums up the crash loops it found in history with one message each; on the
    // terminal all of them share one line, so a first start does not bury the prompt.
    const terminalLoops: string[] = [];
    for (const [id, evidence] of quietIncidents) {
      const incident = (await this.d.store.openIncidents()).find((i) => i.id === id);
      if (!incident) continue;
      const muted = (await this.d.store.activeMute(incident.cluster, incident.service, this.muteNow())) !== null;
      const writes: Write[] = [];
      for (const d of muted ? [] : destinationsFor(this.d.settings.routes, incident.cluster, incident.service)) {
        if (d.platform === 'console') {
          terminalLoops.push(incident.service);
          continue;
        }
        const reply = incidentOpened(incident, evidence);
        writes.push({ op: 'enqueue', message: { alertKey: `incident:${id}:open`, platform: d.platform, channelId: d.channelId, reply, service: incident.service, ...(d.mention ? { mention: d.mention } : {}) }, now: this.realNow() });
      }
      report.messages += await this.write(writes);
    }
    if (terminalLoops.length > 0) {
      const n = terminalLoops.length;
      const text = `${n === 1 ? '1 service is' : `${n} services are`} crash-looping in cluster ${target.cluster} (${terminalLoops.join(', ')}): /ecs alerts shows ${n === 1 ? 'it' : 'them'}.`;
      const reply: Reply = { visibility: 'channel', summary: text, blocks: [{ kind: 'text', text: `🔁 ${text}` }] };
      if (await this.d.outbox.enqueue({ alertKey: `first-poll:${target.cluster}:loops`, platform: 'console', channelId: 'terminal', reply }, this.realNow())) report.messages++;
    }
  }

  /**
   * Marks one stopped task handled and writes what it means, all in one write set. `quiet`
   * collects incidents opened from history on a first poll: their crashes are recorded without
   * a message each, and the caller posts one message per incident afterwards.
   */
  private async decide(target: ClusterTarget, plan: Plan, evidence: CrashEvidence, report: PollReport, quiet: Map<string, CrashEvidence>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const d = await this.decision(target, plan, evidence, quiet);
      const r = await this.d.store.apply(d.writes);
      if (r.applied) {
        report.handled++;
        report.messages += r.enqueued;
        if (d.crash) report.crashes++;
        if (d.opened) report.incidentsOpened++;
        d.onApplied?.();
        return;
      }
      // Another watcher (a second leader during a hand-over) or an earlier poll decided about this task.
      if (r.guard === 'claimTask') return;
      // The service's incident changed between reading and writing: read again and decide again.
      if (attempt >= MAX_DECIDE_ATTEMPTS) throw new Error(`the open incident of ${plan.service} kept changing while this task was decided; the next poll tries again`);
    }
  }

  /** Reads what one stopped task's decision depends on and returns the writes it means, claim first. */
  private async decision(target: ClusterTarget, plan: Plan, evidence: CrashEvidence, quiet: Map<string, CrashEvidence>): Promise<Decision> {
    const { store, settings } = this.d;
    const { task, service, verdict, alert } = plan;
    const cluster = target.cluster;
    const now = this.d.clock.now();
    const at = stopTime(task) || now;
    const writes: Write[] = [{ op: 'claimTask', cluster, taskArn: task.arn, at: this.realNow() }];
    const out: Decision = { writes, crash: false, opened: false };
    if (!alert) return out;
    const muted = (await store.activeMute(cluster, service, this.muteNow())) !== null;
    const open = verdict.crash ? await store.openIncident(cluster, service) : null;
    const silent = muted || plan.history || (open !== null && quiet.has(open.id));
    const dests = silent ? [] : destinationsFor(settings.routes, cluster, service);
    if (!verdict.crash) {
      writes.push(...this.sends(dests, `stop:${task.arn}`, crashAlert(evidence, `stop:${task.id}`), service));
      return out;
    }
    const crash = { cluster, service, taskArn: task.arn, taskId: task.id, kind: verdict.kind, at, reason: verdict.reason, ...(verdict.exitCode !== undefined ? { exitCode: verdict.exitCode } : {}) };
    out.crash = true;
    // The decision holds only while the service's incident is what was read above.
    writes.push({ op: 'openIncident', cluster, service, id: open?.id ?? null, ...(open ? { crashes: open.crashes } : {}) });
    writes.push({ op: 'recordCrash', crash });
    if (open) {
      open.crashes++;
      if (at >= open.lastCrashAt) {
        open.lastCrashAt = at;
        open.lastReason = verdict.reason;
        if (verdict.exitCode !== undefined) open.lastExitCode = verdict.exitCode;
        else delete open.lastExitCode;
      }
      open.firstCrashAt = Math.min(open.firstCrashAt, at);
      writes.push({ op: 'updateIncident', incident: open }, { op: 'attachCrash', crash: { taskArn: task.arn }, incidentId: open.id });
      writes.push(...this.sends(dests, `incident:${open.id}:crash:${task.arn}`, incidentUpdate(open, evidence), service));
      writes.push(...(await this.parentEdits(dests, open)));
      out.onApplied = () => {
        if (quiet.has(open.id)) quiet.set(open.id, evidence);
      };
      return out;
    }
    // This crash is not stored yet: the window is the unattached crashes before it, plus it.
    const earlier = (await store.crashesSince(cluster, service, at - settings.crashLoopWindowMs + 1)).filter((c) => !c.incidentId && c.at <= at && c.taskArn !== task.arn);
    if (earlier.length + 1 >= settings.crashLoopCrashes) {
      const first = earlier[0]?.at ?? at;
      const incident: Incident = {
        id: `inc:${cluster}:${service}:${at}`,
        cluster,
        service,
        openedAt: now,
        firstCrashAt: first,
        lastCrashAt: at,
        crashes: earlier.length + 1,
        lastReason: verdict.reason,
        status: 'open',
        ...(verdict.exitCode !== undefined ? { lastExitCode: verdict.exitCode } : {}),
      };
      writes.push({ op: 'createIncident', incident, crashes: [...earlier.map((c) => c.id), { taskArn: task.arn }] });
      out.opened = true;
      if (plan.history) {
        out.onApplied = () => quiet.set(incident.id, evidence);
        return out;
      }
      for (const d of dests) {
        const reply = incidentOpened(incident, evidence);
        writes.push({ op: 'enqueue', message: { alertKey: `incident:${incident.id}:open`, platform: d.platform, channelId: d.channelId, reply, service, ...(d.mention ? { mention: d.mention } : {}) }, now: this.realNow() });
      }
      return out;
    }
    writes.push(...this.sends(dests, `crash:${task.arn}`, crashAlert(evidence, `crash:${task.id}`), service));
    return out;
  }

  /** The writes of an edit of the incident's parent message so its heading shows the count now (platforms that cannot edit skip it). */
  private async parentEdits(dests: readonly Destination[], incident: Incident): Promise<Write[]> {
    const writes: Write[] = [];
    const openKey = `incident:${incident.id}:open`;
    for (const d of dests) {
      const parent = await this.d.outbox.find({ platform: d.platform, channelId: d.channelId }, openKey);
      if (!parent) continue;
      const key = `incident:${incident.id}:edit:${incident.status === 'recovered' ? 'recovered' : incident.crashes}`;
      // The edited message keeps the mention it was posted with (an edit does not page again).
      const mention = parent.mention ? { mention: parent.mention } : {};
      writes.push({ op: 'enqueue', message: { alertKey: key, platform: d.platform, channelId: d.channelId, reply: incidentParentNow(parent.reply, incident), updateOf: openKey, service: incident.service, ...mention }, now: this.realNow() });
    }
    return writes;
  }

  /** Applies writes that have no guard; returns how many outbox messages were new. */
  private async write(writes: Write[]): Promise<number> {
    if (writes.length === 0) return 0;
    const r = await this.d.store.apply(writes);
    return r.applied ? r.enqueued : 0;
  }

  /** Real time, for the moments dockhand itself records (handled marks, outbox rows): never a faster sandbox's time. */
  private realNow(): number {
    return (this.d.realClock ?? this.d.clock).now();
  }

  private muteNow(): number {
    return (this.d.muteClock ?? this.d.clock).now();
  }

  private sends(dests: readonly Destination[], alertKey: string, reply: Reply, service: string): Write[] {
    const now = this.realNow();
    return dests.map((d) => ({ op: 'enqueue', message: { alertKey, platform: d.platform, channelId: d.channelId, reply, service }, now }));
  }

  /** Failed deployments, services below their desired count, and recoveries. */
  private async checkServices(target: ClusterTarget, services: ServiceSummary[], report: PollReport): Promise<void> {
    const { store, settings } = this.d;
    const cluster = target.cluster;
    const now = this.d.clock.now();
    const underPrefix = `under:${cluster}/`;
    const under = new Map<string, WatchCondition>((await store.conditions(underPrefix)).map((c) => [c.key, c]));
    const open = new Map((await store.openIncidents()).filter((i) => i.cluster === cluster).map((i) => [i.service, i]));
    for (const s of services) {
      const dests = async (): Promise<Destination[]> => ((await store.activeMute(cluster, s.name, this.muteNow())) ? [] : destinationsFor(settings.routes, cluster, s.name));
      for (const dep of s.deployments) {
        if (dep.rolloutState !== 'FAILED') continue;
        const key = `deploy:${dep.id}`;
        if (await store.condition(key)) continue;
        report.messages += await this.write([
          { op: 'putCondition', condition: { key, cluster, service: s.name, since: now, alertedAt: now, detail: dep.rolloutStateReason ?? 'FAILED' } },
          ...this.sends(await dests(), key, deploymentFailed(cluster, s.name, dep.id, dep.taskDefinition, dep.rolloutStateReason), s.name),
        ]);
      }
      const key = `${underPrefix}${s.name}`;
      const cond = under.get(key);
      if (s.status === 'ACTIVE' && s.runningCount < s.desiredCount) {
        if (!cond) {
          await this.write([{ op: 'putCondition', condition: { key, cluster, service: s.name, since: now, detail: `${s.runningCount}/${s.desiredCount}` } }]);
        } else if (cond.alertedAt === undefined && now - cond.since >= settings.underDesiredForMs && !open.has(s.name)) {
          const thread = `${key}:${cond.since}`;
          report.messages += await this.write([
            { op: 'putCondition', condition: { ...cond, alertedAt: now, detail: `${s.runningCount}/${s.desiredCount}` } },
            ...this.sends(await dests(), thread, underDesired(cluster, s.name, s.runningCount, s.desiredCount, now - cond.since, thread), s.name),
          ]);
        }
      } else if (cond) {
        const writes: Write[] = [{ op: 'deleteCondition', key }];
        if (cond.alertedAt !== undefined) {
          const thread = `${key}:${cond.since}`;
          writes.push(...this.sends(await dests(), `${thread}:back`, backToDesired(s.name, s.desiredCount, thread), s.name));
        }
        report.messages += await this.write(writes);
      }
      const inc = open.get(s.name);
      if (inc && hasRecovered(s.runningCount, s.desiredCount, inc.lastCrashAt, now, settings.recoverAfterMs)) {
        const fresh = await store.openIncident(cluster, s.name);
        if (!fresh || fresh.id !== inc.id) continue;
        // A crash counted in between (by another watcher) means it has not recovered after all; the next poll looks again.
        const guard: Write = { op: 'openIncident', cluster, service: s.name, id: fresh.id, crashes: fresh.crashes };
        fresh.status = 'recovered';
        fresh.recoveredAt = now;
        const ds = await dests();
        const r = await store.apply([
          guard,
          { op: 'updateIncident', incident: fresh },
          ...this.sends(ds, `incident:${fresh.id}:recovered`, incidentRecovered(fresh), s.name),
          ...(await this.parentEdits(ds, fresh)),
        ]);
        if (r.applied) {
          report.incidentsRecovered++;
          report.messages += r.enqueued;
        }
      }
    }
  }
}

function emptyReport(cluster: string): PollReport {
  return { cluster, services: null, stoppedListed: null, described: 0, handled: 0, crashes: 0, messages: 0, incidentsOpened: 0, incidentsRecovered: 0, warnings: [], ms: 0 };
}

function stopTime(t: TaskInfo): number {
  return t.stoppedAt ?? t.stoppingAt ?? t.createdAt ?? 0;
}

async function mapLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
