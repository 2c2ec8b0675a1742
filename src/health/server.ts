import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One readiness check: its name and whether it passes now (a string says why not). */
export interface ReadinessCheck {
  /** Shown in the /readyz answer, such as `database` or `slack`. */
  name: string;
  /** true when ready; otherwise a short reason. */
  check(): true | string;
}

/** dockhand's health endpoints, running. */
export interface HealthServer {
  /** The port it listens on (the one asked for, or the one the OS picked for 0). */
  port: number;
  /** From now on /readyz answers 503 `stopping`, so a load balancer or ECS stops sending work here. */
  draining(): void;
  /** Closes the listener. */
  stop(): Promise<void>;
}

/** What /readyz answers: 200 when every check passes, 503 naming the ones that fail. */
export function readiness(checks: readonly ReadinessCheck[], stopping: boolean): { status: number; body: Record<string, unknown> } {
  const results: Record<string, string> = {};
  for (const c of checks) {
    let r: true | string;
    try {
      r = c.check();
    } catch (e) {
      r = e instanceof Error ? e.message : String(e);
    }
    results[c.name] = r === true ? 'ok' : r;
  }
  if (stopping) results.dockhand = 'stopping';
  const ready = Object.values(results).every((r) => r === 'ok');
  return { status: ready ? 200 : 503, body: { ready, checks: results } };
}

/**
 * Serves `GET /healthz` (the process answers), `GET /metrics` (Prometheus) and `GET /readyz` (database usable, every chat adapter
 * connected). AWS is deliberately not a readiness check: an AWS incident must not make ECS replace every
 * replica exactly when the team needs the bot.
 */
export async function startHealthServer(options: {
  port: number;
  host?: string;
  checks: readonly ReadinessCheck[];
  /** Prometheus metrics for `GET /metrics` (never served on Slack's public port). */
  metrics?: { contentType: string; text(): Promise<string> };
}): Promise<HealthServer> {
  let stopping = false;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'only GET' });
    if (path === '/healthz') return send(200, { alive: true });
    if (path === '/readyz') {
      const r = readiness(options.checks, stopping);
      return send(r.status, r.body);
    }
    if (path === '/metrics' && options.metrics) {
      const m = options.metrics;
      void m.text().then(
        (body) => {
          res.writeHead(200, { 'content-type': m.contentType });
          res.end(body);
        },
        () => send(500, { error: 'metrics could not be collected' }),
      );
      return;
    }
    send(404, { error: `not found; try /healthz, /readyz${options.metrics ? ' or /metrics' : ''}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    draining: () => {
      stopping = true;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
