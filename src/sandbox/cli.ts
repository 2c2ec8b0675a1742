/**
 * `npm run sandbox -- --port N [--speed S] [--scenario demo|empty]`: runs the sandbox alone
 * so the aws CLI or another dockhand can be pointed at it. Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { startSandbox } from './server.ts';

/** Parsed command line of the sandbox CLI. */
export interface SandboxCliArgs {
  port: number;
  speed: number;
  scenario: 'demo' | 'empty';
}

/** Parses the CLI flags (speed falls back to DOCKHAND_SANDBOX_SPEED); throws a readable Error on bad input. */
export function parseSandboxArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): SandboxCliArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4566' },
      speed: { type: 'string' },
      scenario: { type: 'string', default: 'demo' },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number (0-65535), got ${values.port}`);
  const rawSpeed = values.speed ?? env['DOCKHAND_SANDBOX_SPEED'] ?? '1';
  const speed = Number(rawSpeed);
  if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`--speed (or DOCKHAND_SANDBOX_SPEED) must be a positive number, got ${rawSpeed}`);
  const scenario = values.scenario;
  if (scenario !== 'demo' && scenario !== 'empty') throw new Error(`--scenario must be demo or empty, got ${scenario}`);
  return { port, speed, scenario };
}

/** One line saying why the sandbox could not listen, and what to do (never a stack trace). */
export function startFailure(err: unknown, port: number): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === 'EADDRINUSE') return `sandbox: port ${port} on 127.0.0.1 is already in use; pick another with --port N (--port 0 picks a free one)`;
  if (code === 'EACCES') return `sandbox: not allowed to listen on port ${port}; use a port above 1023 (--port 0 picks a free one)`;
  return `sandbox: could not start: ${err instanceof Error ? err.message : String(err)}`;
}

async function main(): Promise<void> {
  let args: SandboxCliArgs;
  try {
    args = parseSandboxArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\nusage: npm run sandbox -- --port N [--speed S] [--scenario demo|empty]\n`);
    process.exitCode = 2;
    return;
  }
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    sandbox = await startSandbox({ port: args.port, speed: args.speed, scenario: args.scenario });
  } catch (err) {
    process.stderr.write(`${startFailure(err, args.port)}\n`);
    process.exitCode = 1;
    return;
  }
  const out = process.stdout;
  out.write(`sandbox listening on ${sandbox.endpoint} (scenario ${args.scenario}, speed ${args.speed}x)\n`);
  out.write(`try: AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --region us-east-1 --endpoint-url ${sandbox.endpoint} ecs list-services --cluster demo\n`);
  out.write(`or point dockhand at it: AWS_ENDPOINT_URL=${sandbox.endpoint}\n`);
  out.write(`crash events (every task state change) queue at ${sandbox.eventsQueueUrl ?? ''}: add DOCKHAND_EVENTS_QUEUE_URL=${sandbox.eventsQueueUrl ?? ''} for watch.source: events\n`);
  const stop = (): void => {
    void sandbox.stop().then(() => {
      out.write('sandbox stopped\n');
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
