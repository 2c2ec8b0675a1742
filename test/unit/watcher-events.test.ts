/**
 * Reading EventBridge ECS Task State Change events (field names as in the Amazon ECS Developer
 * Guide's example), and the `watch.source: events` settings with their error messages.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { watcherSettings } from '../../src/watcher/config.ts';
import { parseEvent } from '../../src/watcher/events.ts';
import { classifyStop, isSettled } from '../../src/watcher/rules.ts';

const TASK = 'arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad';

function event(detail: Record<string, unknown>, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: '0',
    id: '3317b2af-7005-947d-b652-f55e762e571a',
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '111122223333',
    time: '2020-01-23T17:57:58Z',
    region: 'us-west-2',
    resources: [TASK],
    detail: {
      clusterArn: 'arn:aws:ecs:us-west-2:111122223333:cluster/FargateCluster',
      taskArn: TASK,
      taskDefinitionArn: 'arn:aws:ecs:us-west-2:111122223333:task-definition/sample-fargate:1',
      group: 'service:web',
      createdAt: '2020-01-23T17:57:34.402Z',
      startedAt: '2020-01-23T17:57:58.103Z',
      version: 4,
      ...detail,
    },
    ...over,
  });
}

describe('parseEvent', () => {
  it('reads a stopped task out of an ECS Task State Change, with ISO timestamps as epoch ms', () => {
    const p = parseEvent(
      event({
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        stoppedAt: '2020-01-23T17:59:01.000Z',
        version: 6,
        containers: [{ name: 'FargateApp', lastStatus: 'STOPPED', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }],
      }),
    );
    expect(p.kind).toBe('task');
    if (p.kind !== 'task') return;
    expect(p.change).toMatchObject({ version: 6, region: 'us-west-2', cluster: 'FargateCluster', eventId: '3317b2af-7005-947d-b652-f55e762e571a' });
    expect(p.change.task).toMatchObject({ arn: TASK, id: 'c13b4cb40f1f4fe4a2971f76ae5a47ad', group: 'service:web', stoppedAt: Date.UTC(2020, 0, 23, 17, 59, 1), startedAt: Date.UTC(2020, 0, 23, 17, 57, 58, 103) });
    // The crash rules read it as they read DescribeTasks' answer.
    expect(isSettled(p.change.task)).toBe(true);
    expect(classifyStop(p.change.task, new Set(['FargateApp']))).toMatchObject({ kind: 'oom', crash: true, exitCode: 137 });
  });

  it('tells other events and unreadable bodies apart', () => {
    expect(parseEvent(event({}, { 'detail-type': 'ECS Service Action' }))).toEqual({ kind: 'other', what: 'aws.ecs ECS Service Action' });
    expect(parseEvent('not json')).toEqual({ kind: 'invalid', why: 'the body is not JSON' });
    expect(parseEvent('{"hello":1}').kind).toBe('invalid');
    expect(parseEvent(event({ version: '4' })).kind).toBe('invalid');
    expect(parseEvent(event({ taskArn: undefined })).kind).toBe('invalid');
  });
});

function problems(env: NodeJS.ProcessEnv, yaml: string): string[] {
  const d = mkdtempSync(join(tmpdir(), 'dockhand-config-'));
  writeFileSync(join(d, 'dockhand.yaml'), yaml);
  try {
    loadConfig(env, d);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('watch.source: events settings', () => {
  it('defaults to polling; events sweep every 5 minutes and keep watch.every for polling', () => {
    expect(watcherSettings(undefined, undefined)).toMatchObject({ source: 'poll', everyMs: 30_000, sweepEveryMs: 300_000 });
    const s = watcherSettings({ source: 'events', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', sweepEvery: '10m', every: '1m' }, undefined);
    expect(s).toMatchObject({ source: 'events', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', sweepEveryMs: 600_000, everyMs: 60_000 });
    // A queue URL in the environment (as the CloudFormation template sets it) selects events unless the file says poll.
    expect(watcherSettings(undefined, undefined, undefined, 'https://sqs.eu-west-1.amazonaws.com/123456789012/q').source).toBe('events');
    expect(watcherSettings({ source: 'poll' }, undefined, undefined, 'https://sqs.eu-west-1.amazonaws.com/123456789012/q').source).toBe('poll');
    // DOCKHAND_EVENTS_QUEUE_URL wins over the file.
    expect(watcherSettings({ source: 'events', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q' }, undefined, undefined, 'https://sqs.eu-west-1.amazonaws.com/123456789012/other').queueUrl).toBe(
      'https://sqs.eu-west-1.amazonaws.com/123456789012/other',
    );
  });

  it('says what is wrong with a bad source, queue URL or sweep interval', () => {
    const bad = problems({}, 'watch:\n  source: sqs\n  queueUrl: sqs://dockhand\n  sweepEvery: 10s\n');
    expect(bad).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/watch\.source.*expected 'poll' .* or 'events'/),
        expect.stringMatching(/watch\.queueUrl.*expected an SQS queue URL such as https:\/\/sqs\.us-east-1\.amazonaws\.com\/123456789012\/dockhand-ecs-events/),
        expect.stringMatching(/watch\.sweepEvery.*at least 60s/),
      ]),
    );
    expect(problems({ DOCKHAND_EVENTS_QUEUE_URL: 'dockhand-ecs-events' }, '{}\n')).toEqual([expect.stringMatching(/DOCKHAND_EVENTS_QUEUE_URL.*expected an SQS queue URL/)]);
  });

  it('needs a queue URL on AWS, and none in the sandbox (it has its own queue)', () => {
    expect(problems({ AWS_REGION: 'eu-west-1' }, 'watch:\n  source: events\n')).toEqual([expect.stringContaining("watch.source: got 'events', but no queue is named; expected watch.queueUrl (or env DOCKHAND_EVENTS_QUEUE_URL)")]);
    expect(problems({ AWS_REGION: 'eu-west-1', DOCKHAND_EVENTS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dockhand-ecs-events' }, 'watch:\n  source: events\n')).toEqual([]);
    expect(problems({}, 'watch:\n  source: events\n')).toEqual([]);
  });
});
