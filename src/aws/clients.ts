/**
 * How the SDK clients are built: the standard credential chain and region resolution,
 * adaptive retries, and endpoint overrides for the sandbox or an emulator.
 */

/** Static credentials, for the sandbox and emulators (real AWS uses the default chain). */
export interface StaticCredentials {
  /** The access key id. */
  accessKeyId: string;
  /** The secret access key. */
  secretAccessKey: string;
  /** A session token for temporary credentials. */
  sessionToken?: string;
}

/** Options shared by the Sdk* port implementations. */
export interface AwsClientOptions {
  /**
   * Send every call to this URL instead of AWS (the sandbox, moto). Without it the SDK
   * itself honours `AWS_ENDPOINT_URL` and the per-service `AWS_ENDPOINT_URL_ECS`,
   * `AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, `AWS_ENDPOINT_URL_CLOUDWATCH` and `AWS_ENDPOINT_URL_SQS`.
   */
  endpoint?: string;
  /** Fixed credentials; without them the SDK's default chain (env, profile, SSO, container, instance) applies. */
  credentials?: StaticCredentials;
  /** Attempts per call including the first (default 3); retries use the SDK's adaptive mode. */
  maxAttempts?: number;
  /** Give up on one HTTP request after this long, ms (default 10,000). */
  requestTimeoutMs?: number;
  /** Told of every AWS call as it ends (for /metrics): the service, the operation and the error name, if any. */
  onCall?: (service: string, operation: string, error: string | undefined) => void;
}

/** The part of an SDK client the call counter hooks into (its middleware stack, read loosely: every v3 client has one). */
interface Instrumentable {
  middlewareStack?: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/** The constructor options every SDK client gets, for one region. */
export function clientConfig(region: string, options: AwsClientOptions): {
  region: string;
  retryMode: string;
  maxAttempts: number;
  customUserAgent: string;
  endpoint?: string;
  credentials?: StaticCredentials;
  requestHandler: { requestTimeout: number; connectionTimeout: number };
} {
  const timeout = options.requestTimeoutMs ?? 10_000;
  return {
    region,
    // Adaptive mode adds client-side rate limiting on top of backoff, which is what a
    // chat bot sharing an account's API quota with deploy tooling needs.
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? 3,
    // Lets an account's CloudTrail tell dockhand's calls from other tooling.
    customUserAgent: 'dockhand/0.1',
    requestHandler: { requestTimeout: timeout, connectionTimeout: Math.min(timeout, 5_000) },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
}

/** One client per region, built on first use, so clusters in several regions share nothing by accident. */
export class RegionalClients<C extends { destroy(): void }> {
  private readonly byRegion = new Map<string, C>();

  constructor(
    private readonly make: (region: string) => C,
    private readonly options: Pick<AwsClientOptions, 'onCall'> = {},
  ) {}

  /** The client for a region. */
  get(region: string): C {
    let c = this.byRegion.get(region);
    if (!c) {
      c = this.make(region);
      const onCall = this.options.onCall;
      const stack = (c as unknown as Instrumentable).middlewareStack;
      // Counted once per command, after the SDK's own retries: what the operator's dashboards want.
      if (onCall && stack) {
        stack.add(
          (next, context) => async (args) => {
            const service = (context.clientName ?? 'aws').replace(/Client$/, '');
            const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
            try {
              const out = await next(args);
              onCall(service, operation, undefined);
              return out;
            } catch (e) {
              onCall(service, operation, e instanceof Error ? e.name : 'Error');
              throw e;
            }
          },
          { step: 'initialize', name: 'dockhandCallCounter' },
        );
      }
      this.byRegion.set(region, c);
    }
    return c;
  }

  /** Closes every client's sockets. */
  destroy(): void {
    for (const c of this.byRegion.values()) c.destroy();
    this.byRegion.clear();
  }
}
