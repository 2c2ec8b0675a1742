/**
 * The AWS layer: the only place that imports @aws-sdk/*. main.ts builds the three ports with
 * createAwsPorts — with no options for real AWS (credential chain, region and AWS_ENDPOINT_URL*
 * from the environment), or `{ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS }` for the sandbox.
 */
import type { ContainerService } from '../ports/container-service.ts';
import type { EventQueue } from '../ports/event-queue.ts';
import type { ImageRegistry } from '../ports/image-registry.ts';
import type { LogSource } from '../ports/log-source.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { AwsClientOptions, StaticCredentials } from './clients.ts';

export type { AwsClientOptions, StaticCredentials } from './clients.ts';

/** Credentials for the sandbox, which does not check signatures but the SDK insists on signing. */
export const SANDBOX_CREDENTIALS: StaticCredentials = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

/** The AWS-backed ports, sharing one set of options, and a way to close their sockets. */
export interface AwsPorts {
  /** ECS. */
  containers: ContainerService & Closable;
  /** ECR. */
  images: ImageRegistry & Closable;
  /** CloudWatch Logs. */
  logs: LogSource & Closable;
  /** CloudWatch metrics. */
  metrics: Metrics & Closable;
  /** The SQS queue of crash events at `url` (one client per URL, closed by destroy). */
  eventQueue(url: string, region: string): EventQueue;
  /** Closes every client. */
  destroy(): void;
}

/** A port whose SDK clients hold sockets until closed. */
export interface Closable {
  /** Closes the port's clients. */
  destroy(): void;
}

/**
 * A port built on its first call: the SDK's ECS client takes ~90 ms to load and the ECR, CloudWatch
 * Logs, CloudWatch and SQS ones ~100 ms together, which a start should not pay before its first AWS
 * call (a study session or /help never makes one; a server's first watcher poll loads ECS at once).
 */
class Lazy<T extends Closable> {
  private loading: Promise<T> | undefined;
  private loaded: T | undefined;

  constructor(private readonly build: () => Promise<T>) {}

  /** The port, loading its module on the first call. */
  get(): Promise<T> {
    return (this.loading ??= this.build().then((p) => (this.loaded = p)));
  }

  /** Closes the port's clients if it was ever built. */
  destroy(): void {
    this.loaded?.destroy();
  }
}

/** Builds ContainerService, ImageRegistry, LogSource and Metrics on the AWS SDK with the same options. */
export function createAwsPorts(options: AwsClientOptions = {}): AwsPorts {
  const ecs = new Lazy(async () => new (await import('./container-service.ts')).SdkContainerService(options));
  const images = new Lazy(async () => new (await import('./image-registry.ts')).SdkImageRegistry(options));
  const logs = new Lazy(async () => new (await import('./log-source.ts')).SdkLogSource(options));
  const metrics = new Lazy(async () => new (await import('./metrics.ts')).SdkMetrics(options));
  const queues = new Map<string, Lazy<EventQueue>>();
  return {
    containers: {
      listClusters: async (region) => (await ecs.get()).listClusters(region),
      describeClusters: async (region, names) => (await ecs.get()).describeClusters(region, names),
      listServices: async (target) => (await ecs.get()).listServices(target),
      describeServices: async (target, names) => (await ecs.get()).describeServices(target, names),
      updateService: async (target, service, update) => (await ecs.get()).updateService(target, service, update),
      listTasks: async (target, query) => (await ecs.get()).listTasks(target, query),
      describeTasks: async (target, taskArns) => (await ecs.get()).describeTasks(target, taskArns),
      describeTaskDefinition: async (region, taskDefinition) => (await ecs.get()).describeTaskDefinition(region, taskDefinition),
      stopTask: async (target, task, reason) => (await ecs.get()).stopTask(target, task, reason),
      registerImageRevision: async (region, from, images) => (await ecs.get()).registerImageRevision(region, from, images),
      deregisterTaskDefinition: async (region, taskDefinition) => (await ecs.get()).deregisterTaskDefinition(region, taskDefinition),
      listTaskDefinitions: async (region, family, opts) => (await ecs.get()).listTaskDefinitions(region, family, opts),
      destroy: () => ecs.destroy(),
    },
    images: {
      listRepositories: async (region) => (await images.get()).listRepositories(region),
      listImages: async (region, repository) => (await images.get()).listImages(region, repository),
      scanFindings: async (region, repository, digest) => (await images.get()).scanFindings(region, repository, digest),
      destroy: () => images.destroy(),
    },
    logs: {
      filterEvents: async (filter, opts) => (await logs.get()).filterEvents(filter, opts),
      streamTail: async (region, group, stream, limit) => (await logs.get()).streamTail(region, group, stream, limit),
      destroy: () => logs.destroy(),
    },
    metrics: {
      serviceUtilization: async (query) => (await metrics.get()).serviceUtilization(query),
      destroy: () => metrics.destroy(),
    },
    eventQueue(url, region) {
      let q = queues.get(url);
      if (!q) queues.set(url, (q = new Lazy(async () => new (await import('./event-queue.ts')).SdkEventQueue(url, region, options))));
      const queue = q;
      return {
        url,
        receive: async (opts) => (await queue.get()).receive(opts),
        deleteMany: async (receipts) => (await queue.get()).deleteMany(receipts),
        describe: async () => (await queue.get()).describe(),
        destroy: () => queue.destroy(),
      };
    },
    destroy() {
      for (const q of queues.values()) q.destroy();
      ecs.destroy();
      images.destroy();
      logs.destroy();
      metrics.destroy();
    },
  };
}

/** What answers at an endpoint: dockhand's sandbox (with its world id), something else, or nothing. */
export type EndpointProbe = { kind: 'sandbox'; world: string } | { kind: 'other' } | { kind: 'unreachable'; why: string };

/** True for an endpoint on this machine (127.0.0.0/8, localhost, ::1), where test credentials are the norm. */
export function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/** Asks an endpoint once, briefly, whether it is dockhand's sandbox (header `x-dockhand-sandbox`). */
export async function probeEndpoint(url: string, timeoutMs = 2_000): Promise<EndpointProbe> {
  try {
    const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    const world = res.headers.get('x-dockhand-sandbox');
    return world !== null ? { kind: 'sandbox', world: world || 'sandbox' } : { kind: 'other' };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    return { kind: 'unreachable', why: cause?.code ?? (e instanceof Error ? e.name : 'no answer') };
  }
}

/**
 * The region the SDK's own chain resolves (AWS_REGION, AWS_DEFAULT_REGION, then the profile in
 * ~/.aws/config), or undefined when none is set; it asks no network.
 */
export async function resolveDefaultRegion(): Promise<string | undefined> {
  const { ECSClient } = await import('@aws-sdk/client-ecs');
  const probe = new ECSClient({});
  try {
    return await probe.config.region();
  } catch {
    return undefined;
  } finally {
    probe.destroy();
  }
}
