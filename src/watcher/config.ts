/**
 * The crash watcher's part of dockhand.yaml: `watch` (how it decides) and `routes` (where alerts go),
 * with the defaults the issue names. src/config/index.ts plugs these schemas into the file schema.
 */
import { z } from 'zod';
import { parseDuration } from '../core/parser.ts';

const duration = (min: number, what: string) =>
  z
    .string()
    .refine((s) => parseDuration(s) !== undefined, { message: 'expected a duration such as 30s, 15m or 2h' })
    .refine((s) => (parseDuration(s) ?? 0) >= min, { message: `${what} must be at least ${Math.round(min / 1000)}s` });

const channelList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** What an SQS queue URL looks like: `https://sqs.<region>.amazonaws.com/<account>/<name>` (or a local endpoint's). */
const queueUrl = z
  .string()
  .refine((s) => /^https?:\/\/[^/\s]+\/\d{12}\/[A-Za-z0-9_-]{1,80}$/.test(s), {
    message: 'expected an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/dockhand-ecs-events',
  });

/** Checks an SQS queue URL from the environment (DOCKHAND_EVENTS_QUEUE_URL), with the same message as the file's. */
export const queueUrlSchema = queueUrl;

/** The `watch` section: thresholds and what counts as a crash. Every key is optional. */
export const watchSchema = z.strictObject({
  /** Poll interval of `source: poll`; DOCKHAND_WATCH_EVERY wins when both are set. */
  every: duration(5_000, 'watch.every').optional(),
  /**
   * Where crashes come from: `poll` (ECS every `every`) or `events` (EventBridge task state change
   * events through the SQS queue `queueUrl`, with a poll every `sweepEvery` to catch what they miss).
   */
  source: z.enum(['poll', 'events'], { error: "expected 'poll' (read ECS every watch.every) or 'events' (EventBridge events through SQS)" }).optional(),
  /** The SQS queue of `source: events`; DOCKHAND_EVENTS_QUEUE_URL wins when both are set. */
  queueUrl: queueUrl.optional(),
  /** How often `source: events` still polls ECS, to catch crashes the events missed (default 5m). */
  sweepEvery: duration(60_000, 'watch.sweepEvery').optional(),
  /** Set false to turn the watcher off. */
  enabled: z.boolean().optional(),
  crashLoop: z
    .strictObject({
      crashes: z.int().min(2).max(100).optional(),
      within: duration(60_000, 'watch.crashLoop.within').optional(),
    })
    .optional(),
  recoverAfter: duration(60_000, 'watch.recoverAfter').optional(),
  underDesiredFor: duration(60_000, 'watch.underDesiredFor').optional(),
  /** Which stops besides crashes are alerted. */
  alertOn: z
    .strictObject({
      spotInterruption: z.boolean().optional(),
      userInitiated: z.boolean().optional(),
      scaleIn: z.boolean().optional(),
    })
    .optional(),
  /** Top-level alert messages a channel gets per window before the rest fold into one summary. */
  rateLimit: z
    .strictObject({
      messages: z.int().min(1).max(100).optional(),
      per: duration(10_000, 'watch.rateLimit.per').optional(),
    })
    .optional(),
  /** Log lines of the crashed container shown in an alert. */
  logLines: z.int().min(0).max(50).optional(),
  /** How delivery treats a channel that keeps failing. */
  delivery: z
    .strictObject({
      /** How long a message failing with retryable errors (rate limits, outages) may hold its channel's later alerts back. */
      giveUpAfter: duration(60_000, 'watch.delivery.giveUpAfter').optional(),
    })
    .optional(),
});

/** One route: which clusters and services (globs with `*`), to which channels on which platforms. */
export const routeSchema = z
  .strictObject({
    clusters: z.array(z.string().min(1)).optional(),
    services: z.array(z.string().min(1)).optional(),
    slack: channelList.optional(),
    discord: channelList.optional(),
    console: z.boolean().optional(),
    /** Who to mention when an incident opens: a Slack user group id, a Discord role id. */
    mention: z.strictObject({ slack: z.string().min(1).optional(), discord: z.string().min(1).optional() }).optional(),
  })
  .refine((r) => r.slack !== undefined || r.discord !== undefined || r.console !== undefined, {
    message: 'a route needs at least one of slack, discord or console',
  });

/** The `routes` section: every matching route receives the alert. */
export const routesSchema = z.array(routeSchema);

/** The `watch` section after validation. */
export type WatchFileConfig = z.infer<typeof watchSchema>;
/** One route after validation. */
export type RouteConfig = z.infer<typeof routeSchema>;

/** Where one alert goes. */
export interface Destination {
  /** The platform of the channel. */
  platform: 'slack' | 'discord' | 'console';
  /** The channel id (`terminal` for the console). */
  channelId: string;
  /** The platform's mention token for incident openings, if configured. */
  mention?: string;
}

/** The watcher's settings with every default filled in. */
export interface WatcherSettings {
  /** Poll interval of `source: poll`, ms (at least 5 s). */
  everyMs: number;
  /** Where crashes come from: ECS polls, or EventBridge events through SQS (with a sweep poll). */
  source: 'poll' | 'events';
  /** The SQS queue URL of `source: events` (absent: the sandbox's own queue, when there is one). */
  queueUrl?: string;
  /** The reconciliation poll interval of `source: events`, ms (at least 1 min). */
  sweepEveryMs: number;
  /** False turns the watcher off. */
  enabled: boolean;
  /** Crashes within `crashLoopWindowMs` that open an incident. */
  crashLoopCrashes: number;
  /** The crash-loop window, ms. */
  crashLoopWindowMs: number;
  /** Quiet time (running = desired, no crash) before an incident recovers, ms. */
  recoverAfterMs: number;
  /** How long a service may stay below its desired count before it is reported, ms. */
  underDesiredForMs: number;
  /** Report Spot interruptions and termination notices. */
  alertSpot: boolean;
  /** Report stops a user asked for. */
  alertUserStops: boolean;
  /** Report scale-in and deployment replacements. */
  alertScaleIn: boolean;
  /** Top-level messages per channel per window before folding. */
  rateLimitMessages: number;
  /** The rate-limit window, ms. */
  rateLimitWindowMs: number;
  /** Log lines per alert. */
  logLines: number;
  /** How long a message failing with retryable errors may hold its lane, ms. */
  deliveryGiveUpAfterMs: number;
  /** The routes, in config order. */
  routes: readonly RouteConfig[];
}

/** The smallest poll interval allowed. */
export const MIN_WATCH_EVERY_MS = 5_000;

/**
 * Fills in the defaults (30 s polls; with `source: events`, a 5 min sweep, 3 crashes in 10 min, 5 min recovery and under-desired time,
 * 5 messages a minute per channel, 20 log lines, 6 h of retrying before a message is given up). Without routes, alerts go to the terminal.
 */
export function watcherSettings(watch: WatchFileConfig | undefined, routes: readonly RouteConfig[] | undefined, envEvery?: string, envQueueUrl?: string): WatcherSettings {
  const d = (s: string | undefined, def: number): number => (s === undefined ? def : (parseDuration(s) ?? def));
  const every = Math.max(MIN_WATCH_EVERY_MS, d(envEvery ?? watch?.every, 30_000));
  const url = envQueueUrl ?? watch?.queueUrl;
  return {
    everyMs: every,
    // A queue URL in the environment (as deploy/cloudformation.yaml sets it) means events, unless the file says poll.
    source: watch?.source ?? (envQueueUrl ? 'events' : 'poll'),
    ...(url ? { queueUrl: url } : {}),
    sweepEveryMs: Math.max(60_000, d(watch?.sweepEvery, 5 * 60_000)),
    enabled: watch?.enabled ?? true,
    crashLoopCrashes: watch?.crashLoop?.crashes ?? 3,
    crashLoopWindowMs: d(watch?.crashLoop?.within, 10 * 60_000),
    recoverAfterMs: d(watch?.recoverAfter, 5 * 60_000),
    underDesiredForMs: d(watch?.underDesiredFor, 5 * 60_000),
    alertSpot: watch?.alertOn?.spotInterruption ?? true,
    alertUserStops: watch?.alertOn?.userInitiated ?? false,
    alertScaleIn: watch?.alertOn?.scaleIn ?? false,
    rateLimitMessages: watch?.rateLimit?.messages ?? 5,
    rateLimitWindowMs: d(watch?.rateLimit?.per, 60_000),
    logLines: watch?.logLines ?? 20,
    deliveryGiveUpAfterMs: d(watch?.delivery?.giveUpAfter, 6 * 60 * 60_000),
    routes: routes && routes.length > 0 ? routes : [{ console: true }],
  };
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return re.test(value);
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The channels an alert about `service` in `cluster` goes to, each channel once. */
export function destinationsFor(routes: readonly RouteConfig[], cluster: string, service: string): Destination[] {
  const out = new Map<string, Destination>();
  for (const r of routes) {
    if (r.clusters && !r.clusters.some((p) => globMatch(p, cluster))) continue;
    if (r.services && !r.services.some((p) => globMatch(p, service))) continue;
    for (const ch of asList(r.slack)) {
      const key = `slack:${ch}`;
      if (!out.has(key)) out.set(key, { platform: 'slack', channelId: ch, ...(r.mention?.slack ? { mention: r.mention.slack } : {}) });
    }
    for (const ch of asList(r.discord)) {
      const key = `discord:${ch}`;
      if (!out.has(key)) out.set(key, { platform: 'discord', channelId: ch, ...(r.mention?.discord ? { mention: r.mention.discord } : {}) });
    }
    if (r.console && !out.has('console:terminal')) out.set('console:terminal', { platform: 'console', channelId: 'terminal' });
  }
  return [...out.values()];
}
