import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OutboxStats } from '../ports/outbox.ts';
import type { Telemetry } from '../ports/telemetry.ts';

/** What the metrics read when scraped, rather than count as things happen. */
export interface MetricsSources {
  /** The alert outbox's counts (depth and oldest waiting message). */
  outboxStats?: () => Promise<OutboxStats>;
  /** Whether this replica runs the watcher and delivers alerts. */
  isLeader?: () => boolean;
  /** Real time, for the age of the oldest waiting alert. */
  now?: () => number;
}

/**
 * dockhand's Prometheus metrics: commands by name and outcome, ack latency per platform, AWS calls by
 * operation and error, the outbox's depth and oldest age, poll duration, leader status, and Node's own.
 */
export class PrometheusTelemetry implements Telemetry {
  /** The registry `/metrics` serializes. */
  readonly registry = new Registry();
  private readonly commands: Counter<'command' | 'outcome'>;
  private readonly commandSeconds: Histogram<'command'>;
  private readonly ackSeconds: Histogram<'platform'>;
  private readonly awsCalls: Counter<'service' | 'operation' | 'error'>;
  private readonly pollSeconds: Histogram;

  constructor(sources: MetricsSources = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'dockhand_' });
    this.commands = new Counter({ name: 'dockhand_commands_total', help: 'Commands by name and outcome', labelNames: ['command', 'outcome'], registers });
    this.commandSeconds = new Histogram({
      name: 'dockhand_command_duration_seconds',
      help: 'Time from a command arriving to its answer (confirmations: to the press)',
      labelNames: ['command'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    // Platforms drop a command not acknowledged within 3 s, hence the buckets around it.
    this.ackSeconds = new Histogram({
      name: 'dockhand_ack_duration_seconds',
      help: 'Time from a platform request arriving to its acknowledgement',
      labelNames: ['platform'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
      registers,
    });
    this.awsCalls = new Counter({ name: 'dockhand_aws_calls_total', help: 'AWS API calls by service, operation and error (empty when it succeeded)', labelNames: ['service', 'operation', 'error'], registers });
    this.pollSeconds = new Histogram({ name: 'dockhand_poll_duration_seconds', help: 'Duration of one watcher poll of one cluster', buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    const now = sources.now ?? Date.now;
    new Gauge({
      name: 'dockhand_outbox_pending',
      help: 'Alerts waiting for delivery',
      registers,
      async collect() {
        this.set((await sources.outboxStats?.())?.pending ?? 0);
      },
    });
    new Gauge({
      name: 'dockhand_outbox_oldest_age_seconds',
      help: 'Age of the oldest alert waiting for delivery (0 when none waits)',
      registers,
      async collect() {
        const at = (await sources.outboxStats?.())?.oldestPendingAt;
        this.set(at === undefined ? 0 : Math.max(0, (now() - at) / 1000));
      },
    });
    new Gauge({
      name: 'dockhand_leader',
      help: '1 when this replica runs the watcher and delivers alerts',
      registers,
      collect() {
        this.set(sources.isLeader?.() ? 1 : 0);
      },
    });
  }

  /** Counts a finished command. */
  commandFinished(command: string, outcome: string, durationMs: number): void {
    this.commands.inc({ command, outcome });
    this.commandSeconds.observe({ command }, durationMs / 1000);
  }

  /** Records an acknowledgement's latency. */
  acked(platform: string, durationMs: number): void {
    this.ackSeconds.observe({ platform }, durationMs / 1000);
  }

  /** Records one watcher poll. */
  pollFinished(durationMs: number): void {
    this.pollSeconds.observe(durationMs / 1000);
  }

  /** Counts an AWS call as the SDK layer reports it. */
  awsCall(service: string, operation: string, error: string | undefined): void {
    this.awsCalls.inc({ service, operation, error: error ?? '' });
  }

  /** The text `/metrics` answers. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
