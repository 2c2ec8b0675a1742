/**
 * `DOCKHAND_BACKEND=aws` with nothing to reach: each command answers at once with what is
 * wrong, never a crash or a hang. Only loopback is ever contacted: instance metadata is
 * switched off and the endpoint is a closed port on 127.0.0.1.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.ts';

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  const port = await new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const offline = {
  DOCKHAND_BACKEND: 'aws',
  // A region is set (without one dockhand stops at start, tested in console.test.ts); credentials are what is missing.
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent/dockhand-test/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/dockhand-test/credentials',
  // Wide enough that each message stays on one line (the terminal wraps at COLUMNS).
  COLUMNS: '250',
};

describe('DOCKHAND_BACKEND=aws without a usable AWS', () => {
  it('without credentials, says none were found and how to provide them, fast', async () => {
    const started = Date.now();
    // No endpoint override: on a loopback endpoint dockhand would assume test credentials. Without
    // credentials the SDK stops before any request, so nothing is contacted.
    const r = await runCli(['/ecs services', '/ecs scale web 3', '/ecs images'], offline, 30_000);
    // The commands failed, so a script is told: exit 1 (DESIGN.md).
    expect(r.code).toBe(1);
    expect(r.stdout.match(/dockhand found no AWS credentials to call/g)).toHaveLength(3);
    expect(r.stdout).toContain('DOCKHAND_BACKEND=sandbox tries dockhand without AWS');
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 40_000);

  it('with credentials but an endpoint that refuses connections, says AWS could not be reached, fast', async () => {
    const started = Date.now();
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli(['/ecs services', '/ecs logs web'], {
      ...offline,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: endpoint,
    }, 30_000);
    // The commands failed, so a script is told: exit 1 (DESIGN.md).
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Could not reach AWS at ${endpoint} (AWS_ENDPOINT_URL) for ecs:ListServices in eu-west-1 (ECONNREFUSED)`);
    expect(r.stdout).toContain(`Could not reach AWS at ${endpoint} (AWS_ENDPOINT_URL) for ecs:DescribeServices in eu-west-1`);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 40_000);
});
