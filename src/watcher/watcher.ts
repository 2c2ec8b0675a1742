/**
 * The crash watcher: one poll per cluster reads services (10 a call) and the stopped tasks
 * ECS still lists, describes only the stopped tasks it has not handled (100 a call), applies
 * the crash rules, groups crash loops into incidents, and writes alerts to the outbox in the
 * same SQLite transaction that marks the task handled, so a kill at any moment neither loses
 * nor repeats an alert. node-cron runs the polls; tests call poll() directly with a stepped clock.
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
/** How often the watcher prunes its tables; pruning is cheap but need not run every poll. */
const PRUNE_EVERY_MS = 60 * 60_000;

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
    const { pattern, gateMs } = cronFor(this.d.settings.everyMs);
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
      void run();
    }
    this.d.log.info({ every: this.d.settings.everyMs, clusters: this.d.clusters.map((c) => c.cluster) }, 'watcher: started');
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
        const handled = this.d.store.handledAmong(target.cluster, stopped);
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
        const ready = described.filter(isSettled).sort((a, b) => stopTime(a) - stopTime(b) || a.arn.localeCompare(b.arn));
        const seenKey = firstPollKey(target.cluster);
        const baseline = this.d.store.condition(seenKey) === null;
        await this.handleTasks(target, ready, report, warn, baseline);
        if (baseline) this.d.store.putCondition({ key: seenKey, cluster: target.cluster, service: '', since: this.d.clock.now(), detail: 'first poll done' });
      }
      if (services) this.checkServices(target, services, report);
      this.pruneIfDue();
    } finally {
      this.running.delete(key);
      report.ms = performance.now() - started;
    }
    this.d.onPollFinished?.(report.ms);
    if (report.messages > 0) this.d.onAlerts?.();
    return report;
  }

  /** Keeps the watcher's tables from growing forever; runs at most once per PRUNE_EVERY_MS. */
  private pruneIfDue(): void {
    const now = this.d.clock.now();
    if (now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    const { store, outbox } = this.d;
    // Open incidents and alerted under-desired conditions still post into their threads.
    const threads = [
      ...store.openIncidents().map((i) => i.id),
      ...store
        .conditions('under:')
        .filter((c) => c.alertedAt !== undefined)
        .map((c) => `${c.key}:${c.since}`),
    ];
    const handled = store.pruneHandled(now - HANDLED_RETENTION_MS);
    const messages = outbox.prune(now - OUTBOX_RETENTION_MS, threads);
    const crashes = store.pruneCrashes(now - CRASH_RETENTION_MS);
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
    const openNow = new Set(this.d.store.openIncidents().filter((i) => i.cluster === target.cluster).map((i) => i.service));
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
        this.decide(target, p, evidence, report, quietIncidents);
      } catch (e) {
        warn(`recording task ${p.task.id} failed`, e);
      }
    }
    // A first poll sums up the crash loops it found in history with one message each; on the
    // terminal all of them share one line, so a first start does not bury the prompt.
    const terminalLoops: string[] = [];
    for (const [id, evidence] of quietIncidents) {
      const incident = this.d.store.openIncidents().find((i) => i.id === id);
      if (!incident) continue;
      this.d.store.atomically(() => {
        const muted = this.d.store.activeMute(incident.cluster, incident.service, this.muteNow()) !== null;
        for (const d of muted ? [] : destinationsFor(this.d.settings.routes, incident.cluster, incident.service)) {
          if (d.platform === 'console') {
            terminalLoops.push(incident.service);
            continue;
          }
          const reply = incidentOpened(incident, evidence);
          if (this.d.outbox.enqueue({ alertKey: `incident:${id}:open`, platform: d.platform, channelId: d.channelId, reply, service: incident.service, ...(d.mention ? { mention: d.mention } : {}) }, now)) report.messages++;
        }
      });
    }
    if (terminalLoops.length > 0) {
      const n = terminalLoops.length;
      const text = `${n === 1 ? '1 service is' : `${n} services are`} crash-looping in cluster ${target.cluster} (${terminalLoops.join(', ')}): /ecs alerts shows ${n === 1 ? 'it' : 'them'}.`;
      const reply: Reply = { visibility: 'channel', summary: text, blocks: [{ kind: 'text', text: `🔁 ${text}` }] };
      if (this.d.outbox.enqueue({ alertKey: `first-poll:${target.cluster}:loops`, platform: 'console', channelId: 'terminal', reply }, now)) report.messages++;
    }
  }

  /**
   * Marks one stopped task handled and writes what it means, all in one transaction. `quiet`
   * collects incidents opened from history on a first poll: their crashes are recorded without
   * a message each, and the caller posts one message per incident afterwards.
   */
  private decide(target: ClusterTarget, plan: Plan, evidence: CrashEvidence, report: PollReport, quiet: Map<string, CrashEvidence>): void {
    const { store, settings } = this.d;
    const { task, service, verdict, alert } = plan;
    const cluster = target.cluster;
    const now = this.d.clock.now();
    const at = stopTime(task) || now;
    store.atomically(() => {
      if (store.handledAmong(cluster, [task.arn]).size > 0) return;
      store.markHandled(cluster, task.arn, now);
      report.handled++;
      if (!alert) return;
      const muted = store.activeMute(cluster, service, this.muteNow()) !== null;
      const open = verdict.crash ? store.openIncident(cluster, service) : null;
      const silent = muted || plan.history || (open !== null && quiet.has(open.id));
      const dests = silent ? [] : destinationsFor(settings.routes, cluster, service);
      if (!verdict.crash) {
        report.messages += this.send(dests, `stop:${task.arn}`, crashAlert(evidence, `stop:${task.id}`), service, now);
        return;
      }
      const crash = { cluster, service, taskArn: task.arn, taskId: task.id, kind: verdict.kind, at, reason: verdict.reason, ...(verdict.exitCode !== undefined ? { exitCode: verdict.exitCode } : {}) };
      const crashId = store.recordCrash(crash);
      report.crashes++;
      if (open) {
        open.crashes++;
        if (at >= open.lastCrashAt) {
          open.lastCrashAt = at;
          open.lastReason = verdict.reason;
          if (verdict.exitCode !== undefined) open.lastExitCode = verdict.exitCode;
          else delete open.lastExitCode;
        }
        open.firstCrashAt = Math.min(open.firstCrashAt, at);
        store.updateIncident(open);
        store.attachCrash(crashId, open.id);
        if (quiet.has(open.id)) quiet.set(open.id, evidence);
        report.messages += this.send(dests, `incident:${open.id}:crash:${task.arn}`, incidentUpdate(open, evidence), service, now);
        report.messages += this.editParent(dests, open, now);
        return;
      }
      const window = store.crashesSince(cluster, service, at - settings.crashLoopWindowMs + 1).filter((c) => !c.incidentId && c.at <= at);
      if (window.length >= settings.crashLoopCrashes) {
        const first = window[0]?.at ?? at;
        const incident: Incident = {
          id: `inc:${cluster}:${service}:${at}`,
          cluster,
          service,
          openedAt: now,
          firstCrashAt: first,
          lastCrashAt: at,
          crashes: window.length,
          lastReason: verdict.reason,
          status: 'open',
          ...(verdict.exitCode !== undefined ? { lastExitCode: verdict.exitCode } : {}),
        };
        store.createIncident(incident, window.map((c) => c.id));
        report.incidentsOpened++;
        if (plan.history) {
          quiet.set(incident.id, evidence);
          return;
        }
        for (const d of dests) {
          const reply = incidentOpened(incident, evidence);
          if (this.d.outbox.enqueue({ alertKey: `incident:${incident.id}:open`, platform: d.platform, channelId: d.channelId, reply, service, ...(d.mention ? { mention: d.mention } : {}) }, now)) report.messages++;
        }
        return;
      }
      report.messages += this.send(dests, `crash:${task.arn}`, crashAlert(evidence, `crash:${task.id}`), service, now);
    });
  }

  /** Queues an edit of the incident's parent message so its heading shows the count now (platforms that cannot edit skip it). */
  private editParent(dests: readonly Destination[], incident: Incident, now: number): number {
    let n = 0;
    const openKey = `incident:${incident.id}:open`;
    for (const d of dests) {
      const parent = this.d.outbox.find({ platform: d.platform, channelId: d.channelId }, openKey);
      if (!parent) continue;
      const key = `incident:${incident.id}:edit:${incident.status === 'recovered' ? 'recovered' : incident.crashes}`;
      // The edited message keeps the mention it was posted with (an edit does not page again).
      const mention = parent.mention ? { mention: parent.mention } : {};
      if (this.d.outbox.enqueue({ alertKey: key, platform: d.platform, channelId: d.channelId, reply: incidentParentNow(parent.reply, incident), updateOf: openKey, service: incident.service, ...mention }, now)) n++;
    }
    return n;
  }

  private muteNow(): number {
    return (this.d.muteClock ?? this.d.clock).now();
  }

  private send(dests: readonly Destination[], alertKey: string, reply: Reply, service: string, now: number): number {
    let n = 0;
    for (const d of dests) if (this.d.outbox.enqueue({ alertKey, platform: d.platform, channelId: d.channelId, reply, service }, now)) n++;
    return n;
  }

  /** Failed deployments, services below their desired count, and recoveries. */
  private checkServices(target: ClusterTarget, services: ServiceSummary[], report: PollReport): void {
    const { store, settings } = this.d;
    const cluster = target.cluster;
    const now = this.d.clock.now();
    const underPrefix = `under:${cluster}/`;
    const under = new Map<string, WatchCondition>(store.conditions(underPrefix).map((c) => [c.key, c]));
    const open = new Map(store.openIncidents().filter((i) => i.cluster === cluster).map((i) => [i.service, i]));
    for (const s of services) {
      const dests = (): Destination[] => (store.activeMute(cluster, s.name, this.muteNow()) ? [] : destinationsFor(settings.routes, cluster, s.name));
      for (const dep of s.deployments) {
        if (dep.rolloutState !== 'FAILED') continue;
        const key = `deploy:${dep.id}`;
        if (store.condition(key)) continue;
        store.atomically(() => {
          store.putCondition({ key, cluster, service: s.name, since: now, alertedAt: now, detail: dep.rolloutStateReason ?? 'FAILED' });
          report.messages += this.send(dests(), key, deploymentFailed(cluster, s.name, dep.id, dep.taskDefinition, dep.rolloutStateReason), s.name, now);
        });
      }
      const key = `${underPrefix}${s.name}`;
      const cond = under.get(key);
      if (s.status === 'ACTIVE' && s.runningCount < s.desiredCount) {
        if (!cond) {
          store.putCondition({ key, cluster, service: s.name, since: now, detail: `${s.runningCount}/${s.desiredCount}` });
        } else if (cond.alertedAt === undefined && now - cond.since >= settings.underDesiredForMs && !open.has(s.name)) {
          store.atomically(() => {
            store.putCondition({ ...cond, alertedAt: now, detail: `${s.runningCount}/${s.desiredCount}` });
            const thread = `${key}:${cond.since}`;
            report.messages += this.send(dests(), thread, underDesired(cluster, s.name, s.runningCount, s.desiredCount, now - cond.since, thread), s.name, now);
          });
        }
      } else if (cond) {
        store.atomically(() => {
          store.deleteCondition(key);
          if (cond.alertedAt !== undefined) {
            const thread = `${key}:${cond.since}`;
            report.messages += this.send(dests(), `${thread}:back`, backToDesired(s.name, s.desiredCount, thread), s.name, now);
          }
        });
      }
      const inc = open.get(s.name);
      if (inc && hasRecovered(s.runningCount, s.desiredCount, inc.lastCrashAt, now, settings.recoverAfterMs)) {
        store.atomically(() => {
          const fresh = store.openIncident(cluster, s.name);
          if (!fresh || fresh.id !== inc.id) return;
          fresh.status = 'recovered';
          fresh.recoveredAt = now;
          store.updateIncident(fresh);
          report.incidentsRecovered++;
          report.messages += this.send(dests(), `incident:${fresh.id}:recovered`, incidentRecovered(fresh), s.name, now);
          report.messages += this.editParent(dests(), fresh, now);
        });
      }
    }
  }
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
