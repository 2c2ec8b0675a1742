/**
 * The log lines sandbox tasks write: access logs, API request logs, job logs, and the
 * last lines a crashing app prints before it dies.
 */
import type { Rng } from './rng.ts';
import type { LogStyle } from './model.ts';

const PATHS = ['/', '/products', '/products/42', '/cart', '/checkout', '/static/app.js', '/static/app.css', '/login', '/search?q=boots', '/favicon.ico'];
const API_PATHS = ['/v1/orders', '/v1/orders/8812', '/v1/users/me', '/v1/inventory', '/v1/payments/intents', '/v1/health'];
const JOBS = ['send-invoice-email', 'resize-image', 'sync-inventory', 'nightly-report', 'refresh-search-index'];
const AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'ELB-HealthChecker/2.0',
  'curl/8.5.0',
];

function iso(at: number): string {
  return new Date(at).toISOString();
}

function clf(at: number): string {
  const d = new Date(at);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** The lines an app prints when its container starts. */
export function startupLines(style: LogStyle, at: number, image: string): string[] {
  const version = image.split(':').pop() ?? 'latest';
  switch (style) {
    case 'web':
      return [
        '/docker-entrypoint.sh: Configuration complete; ready for start up',
        `${iso(at).replace('T', ' ').slice(0, 19)} [notice] 1#1: nginx/1.27.0`,
        `${iso(at).replace('T', ' ').slice(0, 19)} [notice] 1#1: start worker processes`,
      ];
    case 'api':
      return [`${iso(at)} INFO  starting api ${version} (node v20.15.1)`, `${iso(at)} INFO  connected to postgres api-db.internal:5432`, `${iso(at)} INFO  listening on :8080`];
    case 'worker':
      return [`${iso(at)} INFO  worker ${version} started`, `${iso(at)} INFO  polling queue jobs-default (concurrency 4)`];
    case 'payments':
      return [`${iso(at)} INFO  payments-service ${version} starting`, `${iso(at)} INFO  connecting to postgres at payments-db.internal:5432`];
    case 'quiet':
      return [];
  }
}

/** One or two lines of normal traffic from a running app. */
export function runningLines(style: LogStyle, at: number, rng: Rng): string[] {
  switch (style) {
    case 'web': {
      const r = rng.next();
      const status = r < 0.9 ? 200 : r < 0.97 ? 404 : r < 0.99 ? 304 : 502;
      const path = rng.pick(PATHS);
      const ip = `10.0.${rng.int(0, 3)}.${rng.int(2, 250)}`;
      return [`${ip} - - [${clf(at)}] "GET ${path} HTTP/1.1" ${status} ${rng.int(120, 48000)} "-" "${rng.pick(AGENTS)}"`];
    }
    case 'api': {
      const r = rng.next();
      const status = r < 0.93 ? 200 : r < 0.97 ? 201 : r < 0.99 ? 400 : 500;
      const method = status === 201 ? 'POST' : rng.pick(['GET', 'GET', 'GET', 'PUT']);
      const line = `${iso(at)} INFO  request method=${method} path=${rng.pick(API_PATHS)} status=${status} duration_ms=${rng.int(3, 420)} request_id=${rng.hex(16)}`;
      return status === 500 ? [line, `${iso(at)} ERROR upstream timeout calling inventory-service after 5000ms`] : [line];
    }
    case 'worker': {
      const job = rng.pick(JOBS);
      const id = rng.int(10000, 99999);
      const ok = rng.next() < 0.95;
      return ok
        ? [`${iso(at)} INFO  job=${job} id=${id} status=done duration=${(rng.int(2, 90) / 10).toFixed(1)}s`]
        : [`${iso(at)} WARN  job=${job} id=${id} status=retry attempt=${rng.int(1, 3)} error="rate limited by smtp relay"`];
    }
    case 'payments':
      return rng.next() < 0.5
        ? [`${iso(at)} WARN  pool: waiting for a connection to payments-db.internal:5432 (attempt ${rng.int(1, 5)})`]
        : [`${iso(at)} INFO  request method=POST path=/v1/charges status=503 duration_ms=${rng.int(900, 3000)}`];
    case 'quiet':
      return [];
  }
}

/** The last lines an app prints before it dies in the given way. */
export function crashLines(kind: 'crash' | 'oom' | 'health-check', style: LogStyle, at: number): string[] {
  if (style === 'quiet') return [];
  if (kind === 'oom') {
    return [
      `${iso(at)} WARN  heap usage 96% (491 MB of 512 MB), GC cannot keep up`,
      '<--- Last few GCs --->',
      'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
      'Killed',
    ];
  }
  if (kind === 'health-check') {
    return [`${iso(at)} WARN  GET /health 503 - dependency check failed: redis.internal:6379 timeout after 2000ms`];
  }
  return [
    `${iso(at)} ERROR Error: connect ECONNREFUSED 10.0.3.17:5432`,
    '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)',
    '    at Pool.connect (/app/node_modules/pg-pool/index.js:45:11)',
    '    at async main (/app/dist/server.js:88:5)',
    `${iso(at)} FATAL could not connect to database payments-db.internal:5432: connection refused`,
  ];
}
