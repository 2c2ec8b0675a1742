/**
 * The AWS layer: the only place that imports @aws-sdk/*. main.ts builds the three ports with
 * createAwsPorts — with no options for real AWS (credential chain, region and AWS_ENDPOINT_URL*
 * from the environment), or `{ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS }` for the sandbox.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { SdkContainerService } from './container-service.ts';
import { SdkImageRegistry } from './image-registry.ts';
import { SdkLogSource } from './log-source.ts';
import { SdkMetrics } from './metrics.ts';
import { SdkEventQueue } from './event-queue.ts';
import type { AwsClientOptions, StaticCredentials } from './clients.ts';

export type { AwsClientOptions, StaticCredentials } from './clients.ts';
export { SdkContainerService } from './container-service.ts';
export { SdkImageRegistry } from './image-registry.ts';
export { SdkLogSource } from './log-source.ts';
export { SdkMetrics } from './metrics.ts';
export { SdkEventQueue } from './event-queue.ts';

/** Credentials for the sandbox, which does not check signatures but the SDK insists on signing. */
export const SANDBOX_CREDENTIALS: StaticCredentials = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

/** The AWS-backed ports, sharing one set of options, and a way to close their sockets. */
export interface AwsPorts {
  /** ECS. */
  containers: SdkContainerService;
  /** ECR. */
  images: SdkImageRegistry;
  /** CloudWatch Logs. */
  logs: SdkLogSource;
  /** CloudWatch metrics. */
  metrics: SdkMetrics;
  /** The SQS queue of crash events at `url` (one client per URL, closed by destroy). */
  eventQueue(url: string, region: string): SdkEventQueue;
  /** Closes every client. */
  destroy(): void;
}

/** Builds ContainerService, ImageRegistry, LogSource and Metrics on the AWS SDK with the same options. */
export function createAwsPorts(options: AwsClientOptions = {}): AwsPorts {
  const containers = new SdkContainerService(options);
  const images = new SdkImageRegistry(options);
  const logs = new SdkLogSource(options);
  const metrics = new SdkMetrics(options);
  const queues = new Map<string, SdkEventQueue>();
  return {
    containers,
    images,
    logs,
    metrics,
    eventQueue(url, region) {
      let q = queues.get(url);
      if (!q) queues.set(url, (q = new SdkEventQueue(url, region, options)));
      return q;
    },
    destroy() {
      for (const q of queues.values()) q.destroy();
      containers.destroy();
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
  const probe = new ECSClient({});
  try {
    return await probe.config.region();
  } catch {
    return undefined;
  } finally {
    probe.destroy();
  }
}
