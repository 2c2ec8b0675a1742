import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { startSandbox } from '../../src/sandbox/server.ts';
import type { Sandbox } from '../../src/sandbox/server.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { rejection } from './sdk-rejection.ts';

let sandbox: Sandbox;
let logs: CloudWatchLogsClient;
const T0 = Date.UTC(2026, 10, 27, 9);


beforeAll(async () => {
  sandbox = await startSandbox({ clock: new SandboxClock({ manual: true, start: T0 + 3_600_000 }) });
  logs = new CloudWatchLogsClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const s = sandbox.state;
  for (let i = 0; i < 60; i++) s.createLogGroup(`/ecs/svc-${String(i).padStart(2, '0')}`, { retentionInDays: 7 });
  s.putLogEvents('/app/web', 'ecs/web/aaa', [
    { timestamp: T0 + 1_000, message: 'GET /health 200' },
    { timestamp: T0 + 3_000, message: 'ERROR upstream timeout calling inventory' },
    { timestamp: T0 + 5_000, message: 'GET /cart 500 connection refused' },
  ]);
  s.putLogEvents('/app/web', 'ecs/web/bbb', [
    { timestamp: T0 + 2_000, message: 'FATAL could not connect: connection refused' },
    { timestamp: T0 + 4_000, message: 'ERROR Exiting after fatal error' },
  ]);
  s.putLogEvents('/app/web', 'other/web/ccc', [{ timestamp: T0 + 6_000, message: 'ERROR in another prefix' }]);
  const many = Array.from({ length: 25_000 }, (_, i) => ({ timestamp: T0 + i, message: `line ${i} ok` }));
  s.putLogEvents('/app/bulk', 'one', many.slice(0, 10_000));
  s.putLogEvents('/app/bulk', 'two', many.slice(10_000, 20_000));
  s.putLogEvents('/app/bulk', 'three', many.slice(20_000));
  const big = 'x'.repeat(100_000);
  s.putLogEvents('/app/big', 'fat', Array.from({ length: 25 }, (_, i) => ({ timestamp: T0 + i, message: `${i} ${big}` })));
});

afterAll(async () => {
  logs.destroy();
  await sandbox.stop();
});

describe('sandbox CloudWatch Logs: groups and streams', () => {
  it('describes log groups by prefix and pattern, 50 a page', async () => {
    const first = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/' }));
    expect(first.logGroups).toHaveLength(50);
    expect(first.logGroups?.[0]).toMatchObject({ logGroupName: '/ecs/svc-00', retentionInDays: 7, logGroupArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/ecs/svc-00' });
    const second = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/', nextToken: first.nextToken }));
    expect(second.logGroups).toHaveLength(10);
    expect(second.nextToken).toBeUndefined();
    const pattern = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePattern: 'WEB' }));
    expect(pattern.logGroups?.map((g) => g.logGroupName)).toEqual(['/app/web']);
    const both = await rejection(logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/a', logGroupNamePattern: 'b' })));
    expect(both.name).toBe('InvalidParameterException');
    const tooMany = await rejection(logs.send(new DescribeLogGroupsCommand({ limit: 51 })));
    expect(tooMany.name).toBe('InvalidParameterException');
  });

  it('describes log streams by name or by last event time', async () => {
    const byName = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/app/web', logStreamNamePrefix: 'ecs/web/' }));
    expect(byName.logStreams?.map((s) => s.logStreamName)).toEqual(['ecs/web/aaa', 'ecs/web/bbb']);
    expect(byName.logStreams?.[0]).toMatchObject({ firstEventTimestamp: T0 + 1_000, lastEventTimestamp: T0 + 5_000 });
    const latest = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/app/web', orderBy: 'LastEventTime', descending: true, limit: 1 }));
    expect(latest.logStreams?.[0]?.logStreamName).toBe('other/web/ccc');
    expect(latest.nextToken).toBeTruthy();
    const bad = await rejection(logs.send(new DescribeLogStreamsCommand({ logGroupName: '/app/web', orderBy: 'LastEventTime', logStreamNamePrefix: 'x' })));
    expect(bad.name).toBe('InvalidParameterException');
  });

  it('answers an unknown log group with ResourceNotFoundException', async () => {
    for (const call of [
      logs.send(new DescribeLogStreamsCommand({ logGroupName: '/nope' })),
      logs.send(new GetLogEventsCommand({ logGroupName: '/nope', logStreamName: 's' })),
      logs.send(new FilterLogEventsCommand({ logGroupName: '/nope' })),
    ]) {
      expect(await rejection(call)).toEqual({ name: 'ResourceNotFoundException', message: 'The specified log group does not exist.', status: 400 });
    }
    const stream = await rejection(logs.send(new GetLogEventsCommand({ logGroupName: '/app/web', logStreamName: 'nope' })));
    expect(stream).toMatchObject({ name: 'ResourceNotFoundException', message: 'The specified log stream does not exist.' });
  });

  it('refuses a filter pattern over 1,024 characters with InvalidParameterException, as CloudWatch Logs does', async () => {
    const long = await rejection(logs.send(new FilterLogEventsCommand({ logGroupName: '/app/web', filterPattern: 'x'.repeat(1025) })));
    expect(long).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect(long.message).toContain('less than or equal to 1024');
    const ok = await logs.send(new FilterLogEventsCommand({ logGroupName: '/app/web', filterPattern: 'x'.repeat(1024) }));
    expect(ok.events).toEqual([]);
  });
});

describe('sandbox CloudWatch Logs: GetLogEvents', () => {
  it('returns the newest events by default and pages backward and forward', async () => {
    const tail = await logs.send(new GetLogEventsCommand({ logGroupName: '/app/bulk', logStreamName: 'one', limit: 3 }));
    expect(tail.events?.map((e) => e.message)).toEqual(['line 9997 ok', 'line 9998 ok', 'line 9999 ok']);
    const back = await logs.send(new GetLogEventsCommand({ logGroupName: '/app/bulk', logStreamName: 'one', limit: 2, nextToken: tail.nextBackwardToken }));
    expect(back.events?.map((e) => e.message)).toEqual(['line 9995 ok', 'line 9996 ok']);
    const end = await logs.send(new GetLogEventsCommand({ logGroupName: '/app/bulk', logStreamName: 'one', nextToken: tail.nextForwardToken }));
    expect(end.events).toEqual([]);
    expect(end.nextForwardToken).toBe(tail.nextForwardToken);
  });

  it('reads from the head within a time window', async () => {
    const head = await logs.send(
      new GetLogEventsCommand({ logGroupName: '/app/bulk', logStreamName: 'one', startFromHead: true, startTime: T0 + 100, endTime: T0 + 105 }),
    );
    expect(head.events?.map((e) => e.timestamp)).toEqual([T0 + 100, T0 + 101, T0 + 102, T0 + 103, T0 + 104]);
    const full = await logs.send(new GetLogEventsCommand({ logGroupName: '/app/bulk', logStreamName: 'one', startFromHead: true }));
    expect(full.events).toHaveLength(10_000);
    const tooMany = await rejection(logs.send(new GetLogEventsCommand({ logGroupName: '/app/bulk', logStreamName: 'one', limit: 10_001 })));
    expect(tooMany.name).toBe('InvalidParameterException');
  });

  it('keeps a page under 1 MB', async () => {
    const page = await logs.send(new GetLogEventsCommand({ logGroupName: '/app/big', logStreamName: 'fat', startFromHead: true }));
    expect(page.events).toHaveLength(10);
    const next = await logs.send(new GetLogEventsCommand({ logGroupName: '/app/big', logStreamName: 'fat', nextToken: page.nextForwardToken }));
    expect(next.events?.[0]?.message?.startsWith('10 ')).toBe(true);
  });
});

describe('sandbox CloudWatch Logs: FilterLogEvents', () => {
  it('matches plain terms, quoted phrases, ?alternatives and -exclusions', async () => {
    const search = async (filterPattern: string): Promise<string[]> =>
      (await logs.send(new FilterLogEventsCommand({ logGroupName: '/app/web', filterPattern }))).events?.map((e) => e.message ?? '') ?? [];
    expect(await search('ERROR')).toEqual(['ERROR upstream timeout calling inventory', 'ERROR Exiting after fatal error', 'ERROR in another prefix']);
    expect(await search('"connection refused"')).toEqual(['FATAL could not connect: connection refused', 'GET /cart 500 connection refused']);
    expect(await search('ERROR -Exiting')).toEqual(['ERROR upstream timeout calling inventory', 'ERROR in another prefix']);
    expect(await search('?FATAL ?500')).toEqual(['FATAL could not connect: connection refused', 'GET /cart 500 connection refused']);
    expect(await search('fatal')).toEqual(['ERROR Exiting after fatal error']);
  });

  it('interleaves streams by time and honours stream names, prefix and the time window', async () => {
    const out = await logs.send(new FilterLogEventsCommand({ logGroupName: '/app/web', interleaved: true, logStreamNamePrefix: 'ecs/web/' }));
    expect(out.events?.map((e) => e.timestamp)).toEqual([T0 + 1_000, T0 + 2_000, T0 + 3_000, T0 + 4_000, T0 + 5_000]);
    expect(out.events?.[1]).toMatchObject({ logStreamName: 'ecs/web/bbb' });
    expect(out.events?.[0]?.eventId).toMatch(/^\d+$/);
    expect(out.searchedLogStreams).toHaveLength(2);
    const named = await logs.send(new FilterLogEventsCommand({ logGroupName: '/app/web', logStreamNames: ['ecs/web/bbb'], startTime: T0 + 3_000, endTime: T0 + 10_000 }));
    expect(named.events?.map((e) => e.message)).toEqual(['ERROR Exiting after fatal error']);
    const both = await rejection(logs.send(new FilterLogEventsCommand({ logGroupName: '/app/web', logStreamNames: ['a'], logStreamNamePrefix: 'b' })));
    expect(both.name).toBe('InvalidParameterException');
  });

  it('pages past 10,000 events and under 1 MB', async () => {
    let token: string | undefined;
    let total = 0;
    let pages = 0;
    let last = -1;
    do {
      const page = await logs.send(new FilterLogEventsCommand({ logGroupName: '/app/bulk', nextToken: token }));
      pages++;
      expect(page.events?.length).toBeLessThanOrEqual(10_000);
      for (const e of page.events ?? []) {
        expect(e.timestamp).toBeGreaterThan(last);
        last = e.timestamp ?? last;
      }
      total += page.events?.length ?? 0;
      token = page.nextToken;
    } while (token);
    expect(total).toBe(25_000);
    expect(pages).toBe(3);
    const small = await logs.send(new FilterLogEventsCommand({ logGroupName: '/app/bulk', limit: 7, filterPattern: '"line 1"' }));
    expect(small.events).toHaveLength(7);
    const fat = await logs.send(new FilterLogEventsCommand({ logGroupName: '/app/big' }));
    expect(fat.events).toHaveLength(10);
    expect(fat.nextToken).toBeTruthy();
    const tooMany = await rejection(logs.send(new FilterLogEventsCommand({ logGroupName: '/app/bulk', limit: 10_001 })));
    expect(tooMany.name).toBe('InvalidParameterException');
  });
});
