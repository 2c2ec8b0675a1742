/**
 * CloudWatch GetMetricData from the sandbox through the real @aws-sdk/client-cloudwatch: values that
 * agree with the sandbox's tasks, the protocol the pinned SDK speaks, and CloudWatch's errors.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/aws/index.ts';
import { SdkMetrics } from '../../src/aws/metrics.ts';
import { isCloudError } from '../../src/ports/container-service.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';

const REGION = 'us-east-1';
const hasAwsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasAwsCli) console.warn('sandbox-metrics.test.ts: skipping the aws CLI check because `aws` is not on PATH (install awscli to run it).');
const HOUR = 3_600_000;
let sandbox: Sandbox;
let metrics: SdkMetrics;

beforeAll(async () => {
  // 14:00 UTC: the middle of api's working day.
  sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 14) }), seed: 5 });
  metrics = new SdkMetrics({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
  // Forty minutes of crash loop, so payments has several OOM kills on record.
  sandbox.advance(40 * 60_000);
}, 60_000);

afterAll(async () => {
  metrics?.destroy();
  await sandbox?.stop();
});

function query(service: string, minutes = 60, period = 60) {
  const end = sandbox.clock.now();
  return { region: REGION, cluster: 'demo', service, start: end - minutes * 60_000, end, periodSeconds: period };
}

describe('GetMetricData on the sandbox through the real SDK', () => {
  it('web is steady: one point a minute, CPU within a few percent', async () => {
    const m = await metrics.serviceUtilization(query('web'));
    expect(m.cpu.length).toBeGreaterThanOrEqual(58);
    expect(m.memory.length).toBe(m.cpu.length);
    const cpu = m.cpu.map((p) => p.v);
    expect(Math.max(...cpu) - Math.min(...cpu)).toBeLessThan(6);
    // Oldest first, one minute apart, on minute boundaries.
    expect(m.cpu[1]!.t - m.cpu[0]!.t).toBe(60_000);
    expect(m.cpu[0]!.t % 60_000).toBe(0);
  });

  it("payments' memory climbs to about 100% in the minutes before each out-of-memory kill", async () => {
    const m = await metrics.serviceUtilization(query('payments', 30));
    const cluster = sandbox.state.clusters.get('demo')!;
    const kills = [...cluster.services.get('payments')!.tasks]
      .filter((t) => t.containers.some((c) => c.exitCode === 137) && t.executionStoppedAt! > sandbox.clock.now() - 29 * 60_000)
      .map((t) => t.executionStoppedAt!);
    expect(kills.length).toBeGreaterThanOrEqual(3);
    const near = (at: number): number[] => m.memory.filter((p) => p.t <= at && p.t >= at - 2 * 60_000).map((p) => p.v);
    for (const at of kills) expect(Math.max(...near(at))).toBeGreaterThan(88);
    const quiet = m.memory.filter((p) => !kills.some((k) => p.t <= k && p.t >= k - 2 * 60_000));
    expect(Math.min(...quiet.map((p) => p.v))).toBeLessThan(65);
    console.log(m.memory.map((p) => Math.round(p.v)).join(' '), kills.map((k) => new Date(k).toISOString().slice(14, 19)));
  });

  it('reports, whose tasks never start, has no data', async () => {
    const m = await metrics.serviceUtilization(query('reports'));
    expect(m.cpu).toEqual([]);
    expect(m.memory).toEqual([]);
  });

  it('api is busier by day than by night', async () => {
    const end = sandbox.clock.now() - 2 * HOUR;
    const day = await metrics.serviceUtilization({ ...query('api'), start: end - HOUR, end });
    const night = await metrics.serviceUtilization({ ...query('api'), start: end - 12 * HOUR, end: end - 11 * HOUR });
    const avg = (xs: { v: number }[]): number => xs.reduce((a, p) => a + p.v, 0) / xs.length;
    expect(avg(day.cpu)).toBeGreaterThan(avg(night.cpu) + 30);
  });

  it('longer periods average into fewer points, and Container Insights (off) gives an empty task series', async () => {
    const m = await metrics.serviceUtilization({ ...query('web', 360, 300), taskId: 'abc' });
    expect(m.cpu.length).toBeLessThanOrEqual(72);
    expect(m.cpu[1]!.t - m.cpu[0]!.t).toBe(300_000);
    expect(m.taskMemoryMiB).toEqual([]);
  });

  it('a period CloudWatch refuses is an invalid request', async () => {
    const err = await metrics.serviceUtilization(query('web', 60, 45)).catch((e: unknown) => e);
    expect(isCloudError(err, 'invalid-request')).toBe(true);
    expect((err as Error).message).toMatch(/multiple of 60/);
  });

  it('denied and throttled calls come back as CloudErrors that name cloudwatch:GetMetricData', async () => {
    sandbox.faults.set('cloudwatch:GetMetricData', { accessDenied: true });
    const denied = await metrics.serviceUtilization(query('web')).catch((e: unknown) => e);
    expect(isCloudError(denied, 'access-denied')).toBe(true);
    expect((denied as Error).message).toMatch(/cloudwatch:GetMetricData/);
    sandbox.faults.set('cloudwatch:GetMetricData', { throttle: 1 });
    const throttled = await metrics.serviceUtilization(query('web')).catch((e: unknown) => e);
    expect(isCloudError(throttled, 'throttled')).toBe(true);
    sandbox.faults.clear();
  });

  it('answers in AWS JSON 1.0 with a query-compatible error code, and refuses a JSON 1.1 body', async () => {
    const body = JSON.stringify({ MetricDataQueries: [], StartTime: 1, EndTime: 2 });
    const wrong = await fetch(sandbox.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'GraniteServiceVersion20100801.GetMetricData', 'content-type': 'application/x-amz-json-1.1' },
      body,
    });
    expect(wrong.status).toBe(400);
    const res = await fetch(sandbox.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'GraniteServiceVersion20100801.GetMetricData', 'content-type': 'application/x-amz-json-1.0' },
      body,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(res.headers.get('x-amzn-query-error')).toBe('MissingParameter;Sender');
  });

  it.skipIf(!hasAwsCli)('answers the aws CLI (a client nobody here wrote) with the same points', async () => {
    const end = sandbox.clock.now();
    const q = [{ Id: 'mem', MetricStat: { Metric: { Namespace: 'AWS/ECS', MetricName: 'MemoryUtilization', Dimensions: [{ Name: 'ClusterName', Value: 'demo' }, { Name: 'ServiceName', Value: 'web' }] }, Period: 60, Stat: 'Average' } }];
    const args = ['--region', REGION, '--endpoint-url', sandbox.endpoint, '--output', 'json', 'cloudwatch', 'get-metric-data', '--start-time', new Date(end - 10 * 60_000).toISOString(), '--end-time', new Date(end).toISOString(), '--metric-data-queries', JSON.stringify(q)];
    const { stdout } = await promisify(execFile)('aws', args, { env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: REGION } });
    const out = JSON.parse(stdout) as { MetricDataResults: { Id: string; Values: number[]; StatusCode: string }[] };
    const sdk = await metrics.serviceUtilization({ ...query('web', 10) });
    expect(out.MetricDataResults[0]).toMatchObject({ Id: 'mem', StatusCode: 'Complete' });
    // The CLI asks newest first (the default ScanBy), the port oldest first.
    expect([...out.MetricDataResults[0]!.Values].reverse()).toEqual(sdk.memory.map((p) => p.v));
  }, 30_000);
});
