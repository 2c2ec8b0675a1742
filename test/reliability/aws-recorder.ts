/**
 * A recording HTTP proxy in front of an AWS-compatible endpoint (the sandbox): every request is
 * forwarded unchanged and its operation (from `X-Amz-Target`, e.g. `ecs:UpdateService`) is
 * recorded, so a reliability test can say which AWS calls a whole dockhand process made.
 * Listens on 127.0.0.1 only.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** ECS, ECR, Logs and CloudWatch operations that change something (everything else only reads). */
export const MUTATING = /^(ecs|ecr|logs|cloudwatch):(Update|Register|Deregister|Create|Delete|Put|Run|Start|Stop|Tag|Untag|Set|Execute|Submit)/;

/** A running recorder. */
export interface AwsRecorder {
  /** The URL to give dockhand as AWS_ENDPOINT_URL. */
  endpoint: string;
  /** Every operation seen, in order, as `service:Operation`. */
  operations: string[];
  /** Stops listening. */
  close(): Promise<void>;
}

const SERVICE_BY_PREFIX: Record<string, string> = {
  AmazonEC2ContainerServiceV20141113: 'ecs',
  AmazonEC2ContainerRegistry_V20150921: 'ecr',
  Logs_20140328: 'logs',
  GraniteServiceVersion20100801: 'cloudwatch',
};

/** Starts a recorder that forwards to `target` (an http:// base URL on 127.0.0.1). */
export async function startAwsRecorder(target: string): Promise<AwsRecorder> {
  const to = new URL(target);
  const operations: string[] = [];
  const server: Server = createServer((req, res) => {
    const amzTarget = String(req.headers['x-amz-target'] ?? '');
    const [prefix = '', op = ''] = amzTarget.split('.');
    operations.push(amzTarget ? `${SERVICE_BY_PREFIX[prefix] ?? prefix}:${op}` : `${req.method} ${req.url}`);
    const upstream = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    operations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
