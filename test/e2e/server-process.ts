import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { repoRoot, tempDb } from './cli.ts';

/** A port the OS says is free on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Polls `fn` until it returns a value, or fails naming `what`. */
export async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** dockhand running as a server in a child process started with node itself, so signals reach it directly. */
export interface ServerProcess {
  /** The child. */
  child: ChildProcess;
  /** Its Slack HTTP port. */
  port: number;
  /** Its HEALTH_PORT. */
  healthPort: number;
  /** What it printed so far. */
  out: { stderr: string; stdout: string };
  /** Resolves with its exit code. */
  exited: Promise<number | null>;
}

/** Starts `node --import tsx src/main.ts` with Slack over HTTP and `env`, and waits for its banner. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const healthPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DOCKHAND_DB: tempDb(), PORT: String(port), HEALTH_PORT: String(healthPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stderr: '', stdout: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  await waitFor(
    'the banner',
    () => {
      if (out.stderr.includes('adapters: ')) return true;
      if (child.exitCode !== null) throw new Error(`dockhand exited at start:\n${out.stderr}`);
      return undefined;
    },
    40_000,
  );
  return { child, port, healthPort, out, exited };
}
