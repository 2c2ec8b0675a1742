/**
 * Conformance with a client nobody here wrote: the aws CLI (botocore's own parsers and
 * paginators) against a running sandbox. Skipped with a message where `aws` is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { startSandbox } from '../../src/sandbox/server.ts';
import type { Sandbox } from '../../src/sandbox/server.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';

const probe = spawnSync('aws', ['--version'], { encoding: 'utf8' });
const awsAvailable = probe.status === 0;
if (!awsAvailable) {
  console.warn('aws-cli.test.ts: skipping the aws CLI conformance tests because `aws` is not on PATH (install awscli to run them).');
}

let sandbox: Sandbox;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function aws(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'aws',
      ['--endpoint-url', sandbox.endpoint, '--output', 'json', ...args],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          AWS_PAGER: '',
          AWS_MAX_ATTEMPTS: '1',
        },
        timeout: 30_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function json<T>(...args: string[]): Promise<T> {
  const out = await aws(...args);
  if (out.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${out.code}): ${out.stderr}`);
  return JSON.parse(out.stdout) as T;
}

describe.skipIf(!awsAvailable)(`aws CLI against the sandbox${awsAvailable ? '' : ' (skipped: aws CLI not on PATH)'}`, () => {
  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) }) });
    // Enough services that the CLI's own paginator has to follow nextToken.
    const td = sandbox.state.defineTaskDefinition({ family: 'filler', logGroup: false });
    for (let i = 0; i < 24; i++) sandbox.state.createService('demo', { name: `filler-${i}`, taskDefinition: td, desiredCount: 0, logStyle: 'quiet' });
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('ecs list-services follows nextToken across pages', async () => {
    const out = await json<{ serviceArns: string[] }>('ecs', 'list-services', '--cluster', 'demo');
    expect(out.serviceArns).toHaveLength(30);
    expect(out.serviceArns).toContain('arn:aws:ecs:us-east-1:123456789012:service/demo/payments');
  });

  it('ecs describe-services parses services, deployments, events and failures', async () => {
    const out = await json<{
      services: { serviceName: string; runningCount: number; deployments: { rolloutState: string }[]; events: { message: string; createdAt: unknown }[] }[];
      failures: { arn: string; reason: string }[];
    }>('ecs', 'describe-services', '--cluster', 'demo', '--services', 'web', 'payments', 'ghost');
    expect(out.services.map((s) => s.serviceName)).toEqual(['web', 'payments']);
    expect(out.services[0]?.runningCount).toBe(2);
    expect(out.services[0]?.deployments[0]?.rolloutState).toBe('COMPLETED');
    expect(out.services[1]?.events[0]?.message).toMatch(/^\(service payments\) has started 1 tasks/);
    expect(out.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:123456789012:service/demo/ghost', reason: 'MISSING' }]);
  });

  it('ecs update-service changes the desired count', async () => {
    const out = await json<{ service: { desiredCount: number; serviceName: string } }>(
      'ecs', 'update-service', '--cluster', 'demo', '--service', 'worker', '--desired-count', '2',
    );
    expect(out.service).toMatchObject({ serviceName: 'worker', desiredCount: 2 });
    const forced = await json<{ service: { deployments: { status: string }[] } }>(
      'ecs', 'update-service', '--cluster', 'demo', '--service', 'api', '--force-new-deployment',
    );
    expect(forced.service.deployments.map((d) => d.status)).toEqual(['PRIMARY', 'ACTIVE']);
  });

  it('ecs list-tasks --desired-status STOPPED and describe-tasks show why tasks stopped', async () => {
    const list = await json<{ taskArns: string[] }>('ecs', 'list-tasks', '--cluster', 'demo', '--service-name', 'payments', '--desired-status', 'STOPPED');
    expect(list.taskArns.length).toBeGreaterThan(3);
    const out = await json<{ tasks: { stopCode: string; stoppedReason: string; group: string; containers: { exitCode: number; reason?: string }[] }[] }>(
      'ecs', 'describe-tasks', '--cluster', 'demo', '--tasks', ...list.taskArns.slice(0, 5),
    );
    expect(out.tasks).toHaveLength(5);
    for (const t of out.tasks) expect(t).toMatchObject({ stopCode: 'EssentialContainerExited', group: 'service:payments' });
    expect(out.tasks.map((t) => t.containers[0]?.exitCode)).toEqual(expect.arrayContaining([1, 137]));
  });

  it('ecr describe-images lists tags, digests, sizes and scan counts', async () => {
    const out = await json<{ imageDetails: { imageTags?: string[]; imageDigest: string; imageSizeInBytes: number; imageScanFindingsSummary?: { findingSeverityCounts: Record<string, number> } }[] }>(
      'ecr', 'describe-images', '--repository-name', 'web',
    );
    expect(out.imageDetails.length).toBeGreaterThanOrEqual(3);
    const latest = out.imageDetails.find((d) => d.imageTags?.includes('latest'));
    expect(latest?.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(latest?.imageSizeInBytes).toBeGreaterThan(1_000_000);
    expect(latest?.imageScanFindingsSummary?.findingSeverityCounts).toBeTypeOf('object');
  });

  it('logs filter-log-events finds the crash lines', async () => {
    const out = await json<{ events: { logStreamName: string; message: string; timestamp: number }[] }>(
      'logs', 'filter-log-events', '--log-group-name', '/ecs/payments', '--filter-pattern', '"connection refused"', '--interleaved',
    );
    expect(out.events.length).toBeGreaterThan(0);
    expect(out.events[0]?.logStreamName).toMatch(/^ecs\/payments\/[0-9a-f]{32}$/);
    expect(out.events[0]?.message).toContain('connection refused');
  });

  it('reports AWS error types the way the CLI expects', async () => {
    const out = await aws('ecs', 'describe-services', '--cluster', 'nowhere', '--services', 'web');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('(ClusterNotFoundException)');
    expect(out.stderr).toContain('Cluster not found.');
    const repo = await aws('ecr', 'describe-images', '--repository-name', 'nope');
    expect(repo.stderr).toContain('(RepositoryNotFoundException)');
  });
});
