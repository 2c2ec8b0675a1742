import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ECSClient, ListServicesCommand } from '@aws-sdk/client-ecs';
import { parseSandboxArgs } from '../../src/sandbox/cli.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run sandbox', () => {
  it('prints its endpoint and an aws CLI example, serves the demo, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/cli.ts', '--port', '0', '--speed', '2'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no endpoint printed; got: ${stdout}`)), 20_000);
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const m = /sandbox listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m?.[1] && stdout.includes('ecs list-services --cluster demo')) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`sandbox exited early (${code}): ${stdout}`)));
    });
    expect(stdout).toContain(`aws --region us-east-1 --endpoint-url ${endpoint} ecs list-services --cluster demo`);
    const ecs = new ECSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const out = await ecs.send(new ListServicesCommand({ cluster: 'demo' }));
    expect(out.serviceArns).toHaveLength(6);
    ecs.destroy();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain('sandbox stopped');
  });

  it('reads flags, falls back to DOCKHAND_SANDBOX_SPEED, and explains bad values', () => {
    expect(parseSandboxArgs(['--port', '4566'], {})).toEqual({ port: 4566, speed: 1, scenario: 'demo' });
    expect(parseSandboxArgs(['--scenario', 'empty'], { DOCKHAND_SANDBOX_SPEED: '20' })).toEqual({ port: 4566, speed: 20, scenario: 'empty' });
    expect(parseSandboxArgs(['--speed', '3'], { DOCKHAND_SANDBOX_SPEED: '20' }).speed).toBe(3);
    expect(() => parseSandboxArgs(['--speed', '0'], {})).toThrow(/--speed .* must be a positive number/);
    expect(() => parseSandboxArgs(['--port', 'http'], {})).toThrow(/--port must be a port number/);
    expect(() => parseSandboxArgs(['--scenario', 'prod'], {})).toThrow(/--scenario must be demo or empty/);
  });
});

describe('npm run sandbox on a port that is taken', () => {
  it('says the port is in use and exits 1, without a stack trace', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/cli.ts', '--port', String(port)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(out).toContain(`port ${port} on 127.0.0.1 is already in use; pick another with --port N`);
      expect(out).not.toMatch(/\n\s+at /);
      expect(code).toBe(1);
    } finally {
      blocker.close();
    }
  });
});
