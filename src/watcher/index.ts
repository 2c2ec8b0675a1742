/**
 * Crash alerts in one piece for main.ts: the watcher (polls on node-cron) and the delivery worker
 * (drains the outbox to the platforms), started and stopped together.
 */
import type { Logger } from '../core/logger.ts';
import type { Clock } from '../ports/clock.ts';
import type { ClusterTarget, ContainerService } from '../ports/container-service.ts';
import type { IncidentStore } from '../ports/incident-store.ts';
import type { LogSource } from '../ports/log-source.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { DeliveryTarget, Outbox } from '../ports/outbox.ts';
import type { EventQueue } from '../ports/event-queue.ts';
import { EventConsumer } from './events.ts';
import type { WatcherSettings } from './config.ts';
import { AlertDelivery } from './delivery.ts';
import { CrashWatcher } from './watcher.ts';

export { watcherSettings, watchSchema, routesSchema, type WatcherSettings } from './config.ts';
export { consoleTarget, slackTarget, discordTarget, withSandboxNote, SANDBOX_NOTE } from './targets.ts';
export { CrashWatcher } from './watcher.ts';
export { AlertDelivery } from './delivery.ts';
export { EventConsumer, parseEvent } from './events.ts';

/** What createAlerts needs. */
export interface AlertsOptions {
  /** ECS. */
  containers: ContainerService;
  /** CloudWatch Logs, for the evidence lines. */
  logs?: LogSource;
  /** Told how long each poll took (for /metrics). */
  onPollFinished?: (ms: number) => void;
  /** CloudWatch metrics, for the memory trend of out-of-memory alerts. */
  metrics?: Metrics;
  /** The watcher's memory (SqliteIncidentStore). */
  store: IncidentStore;
  /** The outbox (SqliteOutbox). */
  outbox: Outbox;
  /** The time tasks are stamped with: the sandbox's clock in sandbox mode, else the system clock. */
  clock: Clock;
  /** Real time, for retries and rate limits (the system clock). */
  deliveryClock: Clock;
  /** The clock `/ecs mute` stamps mutes with (the commands' `ports.clock`); defaults to `deliveryClock`. */
  muteClock?: Clock;
  /** The logger. */
  log: Logger;
  /** From watcherSettings(config.file.watch, config.file.routes, env.DOCKHAND_WATCH_EVERY). */
  settings: WatcherSettings;
  /** The clusters to watch. */
  clusters: readonly ClusterTarget[];
  /** One target per platform alerts are routed to. */
  targets: readonly DeliveryTarget[];
  /** True when the cloud is the local sandbox (error notes then name it, not AWS). */
  sandbox?: boolean;
  /** The SQS queue of ECS task state change events (`watch.source: events`); without it the watcher polls. */
  events?: EventQueue;
}

/** The watcher and its delivery, wired. */
export interface Alerts {
  /** The poller. */
  watcher: CrashWatcher;
  /** The outbox drain. */
  delivery: AlertDelivery;
  /** The events consumer, with `watch.source: events`. */
  consumer: EventConsumer | undefined;
  /** Starts delivery (every second) and the polls (first one at once). */
  start(): void;
  /**
   * Stops polling and waits for deliveries in flight; with `flushWithinMs`, first sends what is
   * already due in the outbox for up to that long (what is left stays there for the next start).
   */
  stop(flushWithinMs?: number): Promise<void>;
}

/** Builds the watcher and the delivery worker; a poll that writes alerts starts delivery at once. */
export function createAlerts(o: AlertsOptions): Alerts {
  const delivery = new AlertDelivery({
    outbox: o.outbox,
    targets: o.targets,
    clock: o.deliveryClock,
    log: o.log,
    rateLimitMessages: o.settings.rateLimitMessages,
    rateLimitWindowMs: o.settings.rateLimitWindowMs,
    giveUpAfterMs: o.settings.deliveryGiveUpAfterMs,
  });
  const watcher = new CrashWatcher({
    containers: o.containers,
    ...(o.logs ? { logs: o.logs } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
    store: o.store,
    outbox: o.outbox,
    clock: o.clock,
    // Mute deadlines must be read in the clock that wrote them, which is not the sandbox's.
    muteClock: o.muteClock ?? o.deliveryClock,
    realClock: o.deliveryClock,
    log: o.log,
    settings: o.settings,
    clusters: o.clusters,
    onAlerts: () => delivery.kick(),
    ...(o.onPollFinished ? { onPollFinished: o.onPollFinished } : {}),
    ...(o.sandbox ? { sandbox: true } : {}),
  });
  // Leadership seam: whatever decides that this replica runs the watcher also decides that it consumes.
  let stopping = false;
  const consumer = o.events && o.settings.source === 'events' ? new EventConsumer({ queue: o.events, sink: watcher, clusters: o.clusters, log: o.log }) : undefined;
  return {
    watcher,
    delivery,
    consumer,
    start() {
      if (!o.settings.enabled) return;
      delivery.start();
      watcher.start();
      // The first poll sums up each cluster's history; events start after it.
      stopping = false;
      if (consumer) void watcher.afterFirstPoll().then(() => stopping || consumer.start());
    },
    async stop(flushWithinMs = 0) {
      stopping = true;
      await consumer?.stop();
      await watcher.stop();
      let timer: NodeJS.Timeout | undefined;
      try {
        if (flushWithinMs > 0) await Promise.race([delivery.flush(), new Promise((resolve) => (timer = setTimeout(resolve, flushWithinMs)))]);
      } finally {
        // A flush that failed (the database went away) still stops the delivery timer.
        clearTimeout(timer);
        await delivery.stop();
      }
    },
  };
}
