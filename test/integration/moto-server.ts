import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** True when `moto_server` is on the PATH. */
export function hasMotoServer(): boolean {
  const r = spawnSync('moto_server', ['--help'], { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0;
}

/** A running moto_server on a random port of 127.0.0.1. */
export interface MotoServer {
  /** Its base URL. */
  url: string;
  /** Stops it. */
  stop(): Promise<void>;
}

/** Starts moto_server on 127.0.0.1 with a port the OS picks, and waits until it serves. */
export async function startMotoServer(timeoutMs = 30_000): Promise<MotoServer> {
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`moto_server did not start within ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    const onData = (b: Buffer): void => {
      seen += b.toString();
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto_server exited with ${code}:\n${seen}`));
    });
  });
  // Keep draining its output so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
