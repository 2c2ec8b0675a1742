import { hostname, tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { commands, jobResumers } from '../commands/index.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { JOB_LEASE_MS, JobRunner } from './core/job-runner.ts';
import { ConsoleAdapter } from './adapters/console/console-adapter.ts';
import type { Adapter } from './adapters/adapter.ts';
import { terminalAdapter } from './adapters/console/terminal-adapter.ts';
import { ConfigError, loadConfig, type Config } from './config/index.ts';
import { configuredSecrets, secretRedactor } from './config/redact.ts';
import { Dispatcher } from './core/dispatcher.ts';
import type { Logger } from './core/logger.ts';
import { parseDuration } from './core/parser.ts';
import type { Role } from './core/roles.ts';
import type { CoreSettings, Guardrail } from './core/settings.ts';
import { createAwsPorts, isLoopback, probeEndpoint, resolveDefaultRegion, SANDBOX_CREDENTIALS, type AwsPorts, type EndpointProbe } from './aws/index.ts';
import { lockReplica, type ReplicaLock } from './db/process-lock.ts';
import type { Coordination } from './ports/coordination.ts';
import { LeaderLoop } from './core/leader-loop.ts';
import { openStores } from './db/open.ts';
import { loadCatalog } from './quiz/catalog.ts';
import { formatPackError, QUIZZES_DIR } from './quiz/pack.ts';
import { QUIZ_TIMER_JOB, resumableTimers } from './quiz/service.ts';
import type { Ports } from './ports/index.ts';
import type { Stores } from './ports/stores.ts';
import { SystemClock } from './ports/clock.ts';
import type { Sandbox } from './sandbox/server.ts';
import { PrometheusTelemetry } from './health/metrics.ts';
import { startHealthServer, type HealthServer } from './health/server.ts';
import { recoverInterruptedDeploys } from '../commands/ecs-deploy.ts';
import { consoleTarget, createAlerts, watcherSettings, withSandboxNote } from './watcher/index.ts';

/** What the process was started with. */
export interface MainIo {
  /** Environment variables. */
  env: NodeJS.ProcessEnv;
  /** Where commands come from. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where replies go. */
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  /** Where the banner (when piped) and logs go. */
  stderr: NodeJS.WritableStream;
}

/** Builds the core's settings from validated config; `region` is the default for clusters that name none. */
export function settingsFrom(config: Config, terminalUser: string, region = 'us-east-1', sandboxEndpoint = false): CoreSettings {
  const userRoles = new Map<string, Role>(config.userRoles);
  // The terminal is the operator's own shell: admin unless config says otherwise.
  if (!userRoles.has(`console:${terminalUser}`)) userRoles.set(`console:${terminalUser}`, 'admin');
  const guardrails = new Map<string, Guardrail>();
  for (const [name, g] of Object.entries(config.file.guardrails ?? {})) {
    guardrails.set(name, { min: g.min ?? 0, max: g.max ?? 50 });
  }
  // The sandbox answers either embedded or at an AWS_ENDPOINT_URL that identified itself as the sandbox.
  const sandbox = config.backend === 'sandbox' || sandboxEndpoint;
  const clusters = config.file.clusters?.map((c) => ({ name: c.name, region: c.region ?? region, ...(c.alias ? { alias: c.alias } : {}), ...(c.approval ? { approval: c.approval } : {}) })) ??
    config.env.DOCKHAND_CLUSTERS?.split(',').map((name) => ({ name, region })) ?? [{ name: sandbox ? 'demo' : 'default', region }];
  return {
    defaultRole: config.file.roles?.default ?? 'viewer',
    userRoles,
    confirmExpiryMs: parseDuration(config.file.confirm?.expireAfter ?? '2m') ?? 120_000,
    approvalExpiryMs: parseDuration(config.file.approval?.expireAfter ?? '30m') ?? 1_800_000,
    operatorsMayConfirm: config.file.confirm?.operatorsMayConfirm ?? false,
    clusters,
    sandbox,
    guardrails,
    ...(config.filePath ? { configFile: config.env.DOCKHAND_CONFIG ?? 'dockhand.yaml' } : {}),
    ...(config.file.deploy?.blockOn ? { deployBlockOn: config.file.deploy.blockOn } : {}),
  };
}

/** Starts dockhand: config → ports → dispatcher → adapters. Resolves with the exit code. */
export async function main(io: MainIo): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr.write(`dockhand: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const terminalOnly = !config.env.SLACK_BOT_TOKEN && !config.env.DISCORD_TOKEN;
  const interactive = Boolean(io.stdin.isTTY && io.stdout.isTTY);
  const level = io.env.LOG_LEVEL ? config.env.LOG_LEVEL : terminalOnly ? 'warn' : 'info';
  // At an interactive prompt, JSON log lines on stderr would land in the middle of what the user
  // types; they go to a file next to the database instead (named in the banner).
  const logFile = interactive ? join(config.env.DOCKHAND_DB === ':memory:' ? tmpdir() : dirname(resolve(config.env.DOCKHAND_DB)), 'dockhand.log') : undefined;
  const log: Logger = pino(
    {
      level,
      redact: { paths: ['token', '*.token', 'secret', '*.secret', 'headers.authorization', '*.headers.authorization'], censor: '<hidden>' },
      // Keys are not enough: a secret can sit inside an error text or a URL, so every configured value is hidden wherever it appears.
      hooks: { streamWrite: secretRedactor(configuredSecrets(io.env)) },
    },
    logFile ? pino.destination({ dest: logFile, sync: true, mkdir: true }) : pino.destination({ fd: 2, sync: true }),
  );
  const terminalUser = config.env.DOCKHAND_USER ?? safeUserName();
  let region = config.env.AWS_REGION ?? config.env.AWS_DEFAULT_REGION;
  // A loopback endpoint (the sandbox CLI, moto, LocalStack) needs no real region or credentials: assume the usual test ones, and say so.
  const endpoint = config.awsEndpoint;
  const assumed: string[] = [];
  let endpointCredentials: typeof SANDBOX_CREDENTIALS | undefined;
  let endpointProbe: EndpointProbe | undefined;
  if (endpoint && isLoopback(endpoint.url)) {
    if (!region && !(await resolveDefaultRegion())) {
      region = 'us-east-1';
      assumed.push('region us-east-1');
    }
    if (!config.env.AWS_ACCESS_KEY_ID && !config.env.AWS_PROFILE) {
      endpointCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };
      assumed.push('test credentials');
    }
  }
  if (endpoint) endpointProbe = await probeEndpoint(endpoint.url);
  if (config.backend === 'aws' && !region) region = await resolveDefaultRegion();
  if (config.backend === 'aws' && !region && (config.file.clusters ?? [{}]).some((c) => !('region' in c) || !c.region)) {
    io.stderr.write('dockhand: no AWS region is set: set AWS_REGION, a region in your AWS profile (~/.aws/config), or clusters[].region in dockhand.yaml\n');
    return 2;
  }
  const settings = settingsFrom(config, terminalUser, region ?? 'us-east-1', endpointProbe?.kind === 'sandbox');
  // DATABASE_URL (PostgreSQL, for replicas) wins over DOCKHAND_DB (the SQLite file); either is migrated now.
  // Each sandbox is a world of its own (its seeded task ids repeat from run to run): the watcher's rows
  // carry it, so crash history from one sandbox run never shows in the next. '' is AWS itself.
  const sandboxWorld = config.backend === 'sandbox' ? randomUUID() : endpointProbe?.kind === 'sandbox' ? endpointProbe.world : undefined;
  const world = sandboxWorld === undefined ? '' : `sandbox-${sandboxWorld}`;
  let stores: Stores;
  try {
    stores = await openStores(config.env, { world, onIdleError: (e) => log.warn({}, `a PostgreSQL connection dropped while idle (${e.message}); the pool replaces it`) });
  } catch (e) {
    io.stderr.write(secretRedactor(configuredSecrets(io.env))(`dockhand: ${e instanceof Error ? e.message : String(e)}\n`));
    return 2;
  }
  // A process that runs the watcher or a chat adapter serves this database: with SQLite there is one such process.
  const serves = !terminalOnly || interactive || config.env.DOCKHAND_WATCH_EVERY !== undefined || config.env.DOCKHAND_EVENTS_QUEUE_URL !== undefined || config.file.watch !== undefined;
  let replicaLock: ReplicaLock | undefined;
  if (serves && stores.dialect === 'sqlite') {
    try {
      replicaLock = lockReplica(config.env.DOCKHAND_DB);
    } catch (e) {
      await stores.close();
      io.stderr.write(`dockhand: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
  }
  const clock = new SystemClock();
  // Counted always (it is cheap); served on /metrics when the health endpoints run.
  let watching = false;
  const telemetry = new PrometheusTelemetry({ outboxStats: () => alertOutbox.stats(), isLeader: () => watching, now: () => clock.now() });
  const onCall = telemetry.awsCall.bind(telemetry);
  // The sandbox is used only when nothing points at real AWS (or DOCKHAND_BACKEND=sandbox forces it).
  let sandbox: Sandbox | undefined;
  let aws: AwsPorts;
  if (config.backend === 'sandbox') {
    // Loaded only when used, like the chat platforms below: a start against AWS never loads the sandbox.
    const { startSandbox } = await import('./sandbox/server.ts');
    sandbox = await startSandbox({ world: sandboxWorld, scenario: 'demo', speed: config.env.DOCKHAND_SANDBOX_SPEED ?? 1, region: settings.clusters[0]?.region ?? 'us-east-1' });
    aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, onCall });
  } else {
    aws = createAwsPorts({ ...(endpointCredentials ? { credentials: endpointCredentials } : {}), onCall });
  }
  const incidents = stores.incidents;
  const catalog = loadCatalog(config.env.DOCKHAND_QUIZZES ? resolve(config.env.DOCKHAND_QUIZZES) : QUIZZES_DIR);
  // Claims, confirmations, jobs and thread parents live in the database, so any replica can serve any request.
  const coordination = stores.coordination;
  const alertOutbox = stores.outbox;
  const ports: Ports = {
    clock,
    // The sandbox may run faster than real time; ages and log windows are measured on its clock.
    ...(sandbox ? { awsClock: sandbox.clock } : {}),
    audit: stores.audit,
    containers: aws.containers,
    images: aws.images,
    logs: aws.logs,
    metrics: aws.metrics,
    quiz: stores.quiz,
    packs: catalog,
    incidents,
    alertOutbox,
    deploys: stores.deploys,
    jobs: coordination.jobs,
  };
  // A pack with errors is left out; say which and why at start.
  for (const e of ports.packs?.errors ?? []) log.warn({ file: e.file }, `quiz pack left out: ${formatPackError(e)}`);
  // Answer cues and miscalibrated scoring fail quiz:lint (and CI), but such a pack still loads.
  for (const e of catalog.warnings) log.warn({ file: e.file }, `quiz pack loaded with a problem: ${formatPackError(e)}`);
  // Follow-ups are jobs with leases: when this replica stops, another one (or the next start) finishes them.
  // Quiz timers are the leader's: a follower hands the timer of a question it asked to the leader, so
  // each reveal is posted by one replica. A piped script (no replica, no leader) runs its own.
  const jobRunner = new JobRunner({
    jobs: coordination.jobs,
    owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    clock,
    leaseMs: JOB_LEASE_MS,
    log,
    ...(serves ? { leaderKinds: [QUIZ_TIMER_JOB], isLeader: () => watching } : {}),
  });
  const dispatcher = new Dispatcher({ commands, ports, settings, log, telemetry, jobs: jobRunner, resumers: jobResumers, confirmations: coordination.confirmations });
  // A deploy killed between RegisterTaskDefinition and UpdateService left an orphan revision: settle it first.
  await recoverInterruptedDeploys(ports, log).catch((e: unknown) => log.warn({ err: e }, 'could not look for interrupted deploys'));

  // Chat platforms, each behind the one Adapter interface; a new platform is one more line here. Each is
  // loaded only when configured: @slack/bolt and discord.js take about 0.4 s to load, which a terminal never needs.
  const chat: Adapter[] = [];
  if (config.env.SLACK_BOT_TOKEN) {
    const { SlackAdapter } = await import('./adapters/slack/app.ts');
    chat.push(
      new SlackAdapter({
        dispatcher,
        botToken: config.env.SLACK_BOT_TOKEN,
        signingSecret: config.env.SLACK_SIGNING_SECRET,
        appToken: config.env.SLACK_APP_TOKEN,
        socketMode: config.file.slack?.socketMode,
        port: config.env.PORT,
        apiUrl: config.env.SLACK_API_URL,
        commands: config.file.slack?.commands,
        userGroupRoles: new Map(Object.entries(config.file.roles?.slackGroups ?? {})),
        // The adapter names itself in its log lines; a second `adapter` key here would repeat it.
        log,
        telemetry,
        coordination,
      }),
    );
  }
  if (config.env.DISCORD_TOKEN) {
    const { DiscordAdapter } = await import('./adapters/discord/discord-adapter.ts');
    chat.push(
      new DiscordAdapter({
        dispatcher,
        token: config.env.DISCORD_TOKEN,
        ...(config.env.DISCORD_API_URL ? { apiUrl: config.env.DISCORD_API_URL } : {}),
        guildRoles: new Map(Object.entries(config.file.roles?.discordRoles ?? {})),
        log,
        telemetry,
        coordination,
      }),
    );
  }
  const started: Adapter[] = [];
  for (const a of chat) {
    try {
      await a.start();
      started.push(a);
    } catch (e) {
      io.stderr.write(`dockhand: ${a.name} did not start: ${e instanceof Error ? e.message : String(e)}\n`);
      for (const s of started) await s.stop().catch(() => undefined);
      aws.destroy();
      await sandbox?.stop();
      await stores.close();
      replicaLock?.release();
      return 1;
    }
  }
  // With a chat platform configured the terminal runs only on a TTY; piped, dockhand is a server.
  const withTerminal = chat.length === 0 || interactive;
  const consoleAdapter = new ConsoleAdapter({
    dispatcher,
    input: io.stdin as unknown as import('node:stream').Readable,
    output: io.stdout as unknown as import('node:stream').Writable,
    interactive,
    user: terminalUser,
    color: interactive && !io.env.NO_COLOR,
    width: Number(io.env.COLUMNS) || undefined,
  });
  const adapters: Adapter[] = [...chat, ...(withTerminal ? [terminalAdapter(consoleAdapter)] : [])];
  const clusterList = settings.clusters.map((c) => `${c.name}@${c.region}`).join(', ');
  const backend = sandbox
    ? `sandbox at ${sandbox.endpoint} (${clusterList}; local, no AWS account needed${(config.env.DOCKHAND_SANDBOX_SPEED ?? 1) !== 1 ? `; ${config.env.DOCKHAND_SANDBOX_SPEED}× speed` : ''})`
    : endpoint
      ? `${endpointProbe?.kind === 'sandbox' ? 'the sandbox' : 'AWS API'} at ${endpoint.url} from ${endpoint.variable} (${clusterList}${assumed.length ? `; ${assumed.join(' and ')} assumed for a local endpoint` : ''}${endpointProbe?.kind === 'unreachable' ? `; nothing answers there yet: ${endpointProbe.why}` : ''})`
      : `AWS (${clusterList})`;
  const banner = `dockhand — adapters: ${adapters.map((a) => a.label).join(', ')} · AWS backend: ${backend} · database: ${stores.describe()}${logFile ? ` · log: ${logFile}` : ''}\n`;
  (interactive ? io.stdout : io.stderr).write(banner + (interactive ? 'Type /help to see what you can run, exit to leave.\n\n' : ''));

  const watchSettings = watcherSettings(config.file.watch, config.file.routes, config.env.DOCKHAND_WATCH_EVERY, config.env.DOCKHAND_EVENTS_QUEUE_URL);
  // With watch.source: events, the embedded sandbox's own queue serves when no URL is given.
  const queueUrl = watchSettings.source === 'events' ? (watchSettings.queueUrl ?? sandbox?.eventsQueueUrl) : undefined;
  const alerts = createAlerts({
    ...(queueUrl ? { events: aws.eventQueue(queueUrl, settings.clusters[0]?.region ?? 'us-east-1') } : {}),
    containers: aws.containers,
    logs: aws.logs,
    metrics: aws.metrics,
    store: incidents,
    outbox: alertOutbox,
    // Crash windows are measured in the time tasks are stamped with; retries and rate limits in real time.
    clock: sandbox?.clock ?? clock,
    deliveryClock: clock,
    onPollFinished: (ms) => telemetry.pollFinished(ms),
    log: log.child({ component: 'watcher' }),
    settings: watchSettings,
    clusters: settings.clusters.map((c) => ({ cluster: c.name, region: c.region })),
    sandbox: settings.sandbox,
    // Run as a server (piped, with a chat platform), console routes still print alerts to stdout.
    targets: [...adapters.map((a) => a.alertTarget), ...(withTerminal ? [] : [consoleTarget((r, prefix) => consoleAdapter.print(r, prefix))])].map((t) =>
      settings.sandbox ? withSandboxNote(t) : t,
    ),
  });
  // A route to a platform that is not connected is said once, here, not once per alert.
  const connected = new Set(adapters.map((a) => a.platform as string));
  const routed = new Set((config.file.routes ?? []).flatMap((r) => (['slack', 'discord'] as const).filter((p) => r[p] !== undefined)));
  for (const p of routed) {
    if (!connected.has(p)) io.stderr.write(`dockhand: warning: routes in ${config.env.DOCKHAND_CONFIG ?? 'dockhand.yaml'} send alerts to ${p}, but ${p} is not connected (no ${p === 'slack' ? 'SLACK_BOT_TOKEN' : 'DISCORD_TOKEN'}); those alerts are dropped\n`);
  }
  // Quiz questions whose timers were running when dockhand stopped get revealed on time again. A timer
  // recorded as a job is left to its owner while it lives and to the job runner's takeover when it dies.
  // `overdueByMs`: only questions left unrevealed that long after their time, which no live timer holds.
  const resumeQuizTimers = async (overdueByMs?: number): Promise<void> => {
    if (!ports.quiz || !ports.packs) return;
    for (const t of await resumableTimers({ store: ports.quiz, packs: ports.packs, clock }, overdueByMs === undefined ? {} : { overdueByMs })) {
      const jobs = overdueByMs === undefined ? await coordination.jobs.running(`${t.platform}:${t.workspaceId}:${t.channelId}`, [QUIZ_TIMER_JOB]) : [];
      if (jobs.some((j) => (j.args as { params?: { sessionId?: unknown } }).params?.sessionId === t.sessionId)) continue;
      const post = adapters.find((a) => a.platform === t.platform)?.quizTimerPost(t);
      if (!post) continue;
      // The leader's timers stop when it stops leading; the next leader resumes them.
      const stop = new AbortController();
      leaderTimers.add(stop);
      const task: typeof t.task = (p, signal) => t.task(p, AbortSignal.any([signal, stop.signal]));
      void dispatcher.runBackground(task, `quiz timer in ${t.platform}:${t.channelId}`, post).finally(() => leaderTimers.delete(stop));
    }
  };
  const leaderTimers = new Set<AbortController>();
  // One leader among the replicas runs the watcher, delivers the outbox and reveals resumed quiz timers;
  // a follower tries again every half poll, so it takes over within two polls of the leader's death.
  const leader = new LeaderLoop({
    leadership: coordination.leadership,
    everyMs: Math.min(15_000, Math.max(1_000, Math.floor(watchSettings.everyMs / 2))),
    log,
    onGain: async () => {
      // What an earlier sandbox run (another world) left behind is dropped before this world is watched.
      await incidents.pruneOtherWorlds().then(
        (n) => n > 0 && log.info({ rows: n }, 'watcher: dropped the crash history of an earlier sandbox run'),
        (e: unknown) => log.warn({ err: e instanceof Error ? e.message : String(e) }, 'watcher: could not drop the rows of an earlier sandbox run'),
      );
      alerts.start();
      watching = true;
      await resumeQuizTimers();
    },
    onLose: async () => {
      watching = false;
      // Another replica leads now: the quiz timers running here are its to reveal.
      const released = jobRunner.releaseLeaderJobs() + leaderTimers.size;
      for (const c of leaderTimers) c.abort(new Error('this replica no longer leads'));
      if (released > 0) log.info({ timers: released }, 'quiz timers left to the next leader');
      await alerts.stop();
    },
  });
  const housekeeping = setInterval(() => {
    if (!leader.isLeader) return;
    void pruneCoordination(coordination, clock.now()).catch((e: unknown) => log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not prune old claims, confirmations and jobs'));
  }, PRUNE_EVERY_MS);
  housekeeping.unref();
  // A timer whose replica died before its job was recorded (or whose job could not be) has nobody to
  // take it over: the leader reveals questions left two leases past their time (the reveal is
  // version-checked, so a late job takeover and this one cannot both post it).
  const orphanTimers = setInterval(() => {
    if (!leader.isLeader) return;
    void resumeQuizTimers(2 * JOB_LEASE_MS).catch((e: unknown) => log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not look for quiz questions left unrevealed'));
  }, JOB_LEASE_MS / 3);
  orphanTimers.unref();
  // A piped script that runs no watcher is no replica: it reveals its own channel's resumed timers at once, as before.
  if (!serves) await resumeQuizTimers();
  // Readiness is answered at once from the latest probe: a PostgreSQL ping is a network round trip.
  let databaseAnswers = await stores.ping();
  const databaseProbe = setInterval(() => void stores.ping().then((ok) => (databaseAnswers = ok)), 5_000).unref();
  // Health endpoints whenever dockhand runs as a server, or wherever HEALTH_PORT asks for them (the image sets it).
  let health: HealthServer | undefined;
  const healthPort = config.env.HEALTH_PORT ?? (chat.length > 0 && !interactive ? 8080 : undefined);
  if (healthPort !== undefined) {
    try {
      health = await startHealthServer({
        port: healthPort,
        metrics: { contentType: telemetry.registry.contentType, text: () => telemetry.text() },
        checks: [
          { name: 'database', check: () => (databaseAnswers ? true : 'the database does not answer') },
          ...chat.map((a) => ({ name: a.platform, check: () => a.readiness?.() ?? true })),
        ],
      });
    } catch (e) {
      log.warn({ port: healthPort }, `health endpoints not served: port ${healthPort} is not free (${e instanceof Error ? e.message : String(e)}); set HEALTH_PORT to another port`);
    }
  }
  // A piped script gets alerts only when it asks for them, so its output stays what it ran.
  if (serves) {
    await leader.start();
    jobRunner.start((job) => dispatcher.resumeJob(job, adapters.find((a) => a.platform === job.handle.platform)?.resumePost?.(job.handle)));
  }
  try {
    const terminal = adapters.find((a) => a.platform === 'console');
    if (terminal) {
      await terminal.start();
      await terminal.ended;
    } else await untilSignal(io.stderr);
  } finally {
    // Graceful stop: out of the load balancer's and ECS's rotation, no new commands, the answers being
    // worked on finished, follow-ups ended, confirmations expired, the outbox flushed: 10 s for each at most.
    health?.draining();
    if (!(await dispatcher.drain(SHUTDOWN_STEP_MS))) log.warn({}, `answers still in flight after ${SHUTDOWN_STEP_MS / 1000}s of shutdown were cut off`);
    // Nothing more is taken over here (a job released below would otherwise come straight back).
    jobRunner.stop();
    dispatcher.abortAll();
    // Stopped follow-ups release their jobs (for another replica) before the database closes.
    await Promise.race([dispatcher.idle(), new Promise((r) => setTimeout(r, 2_000).unref())]);
    // Nobody can answer a confirmation once dockhand has stopped: audit it as expired now, not never.
    // With SQLite this process was the only one that could take a press; replicas on PostgreSQL still can.
    if (stores.dialect === 'sqlite') {
      consoleAdapter.expiredAtStop(
        // With the database gone they cannot be marked; the stop goes on (they expire by their time anyway).
        await dispatcher.expirePending().catch((e: unknown) => {
          log.warn({}, `pending confirmations not marked expired at stop: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
          return [];
        }),
      );
    }
    clearInterval(housekeeping);
    clearInterval(orphanTimers);
    // A database that went away must not turn a clean stop into a crash: what is still in the outbox is sent after the next start.
    await leader.stop(() => alerts.stop(SHUTDOWN_STEP_MS).catch((e: unknown) => log.warn({}, `alerts not flushed at stop: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`)));
    watching = false;
    for (const a of adapters) await a.stop();
    aws.destroy();
    await sandbox?.stop();
    await health?.stop();
    clearInterval(databaseProbe);
    await stores.close();
    replicaLock?.release();
    log.info({}, 'dockhand stopped');
  }
  // A script learns from the exit code whether everything it ran went well (DESIGN.md's table).
  return withTerminal && !interactive ? consoleAdapter.exitCode : 0;
}

/** Signals closer together than this are one request to stop (a process group's signal forwarded by npm). */
const SAME_SIGNAL_MS = 1_000;

/** How often the leader forgets old claims, confirmations, jobs and thread parents. */
const PRUNE_EVERY_MS = 10 * 60_000;

/** Forgets what no request can need any more: ended claims, and confirmations, jobs and threads over a day old. */
async function pruneCoordination(c: Coordination, now: number): Promise<void> {
  await c.claims.prune(now);
  await c.confirmations.prune(now - 86_400_000);
  await c.jobs.prune(now - 86_400_000);
  await c.threads.prune(now - 86_400_000);
}

/** How long each step of a graceful stop may take (answers in flight, then the outbox flush). */
const SHUTDOWN_STEP_MS = 10_000;

/**
 * Resolves on SIGINT or SIGTERM, for running as a server. A second signal while dockhand is
 * stopping gracefully exits at once (exit 1), for an operator who will not wait.
 */
function untilSignal(stderr: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const first = (): void => {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      const firstAt = Date.now();
      const again = (): void => {
        // One Ctrl-C or `kill -- -pgid` reaches npm and node together, and npm forwards it once more: a
        // signal right after the first is that same request, not an operator insisting.
        if (Date.now() - firstAt < SAME_SIGNAL_MS) {
          process.once('SIGINT', again);
          process.once('SIGTERM', again);
          return;
        }
        stderr.write('dockhand: stopping at once (second signal); replies in flight and the outbox are left as they are\n');
        process.exit(1);
      };
      process.once('SIGINT', again);
      process.once('SIGTERM', again);
      resolve();
    };
    process.on('SIGINT', first);
    process.on('SIGTERM', first);
  });
}

function safeUserName(): string {
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // The SDK versions are pinned and tested on Node 20; its notice about future releases is noise in chat logs.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main({ env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`dockhand: could not start: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
