/**
 * The events consumer against moto_server's SQS (an SQS nobody here wrote): an EventBridge-shaped
 * ECS Task State Change for a crashed task becomes an alert in the outbox through the real watcher
 * (task definition read from moto's ECS), its duplicate alerts nothing, handled messages are
 * deleted, and a poison message goes to the dead-letter queue by moto's redrive.
 */
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsPorts, type AwsPorts } from '../../src/aws/index.ts';
import { openDatabase, type OpenDatabase } from '../../src/db/client.ts';
import { SqliteIncidentStore } from '../../src/db/incident-store.ts';
import { SqliteOutbox } from '../../src/db/outbox.ts';
import { watcherSettings } from '../../src/watcher/config.ts';
import { EventConsumer } from '../../src/watcher/events.ts';
import { CrashWatcher } from '../../src/watcher/watcher.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { capturingLogger } from './watcher-harness.ts';
import { hasMotoServer, startMotoServer, type MotoServer } from './moto-server.ts';

const MOTO = hasMotoServer();
if (!MOTO) console.warn('events-moto.test.ts: skipped — moto_server is not installed (pip install "moto[server]")');

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const NOW = Date.UTC(2026, 10, 27, 9, 0, 0);

function crashEvent(taskId: string, version: number, taskDefinitionArn: string): string {
  const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/prod/${taskId}`;
  const iso = (ms: number): string => new Date(ms).toISOString();
  return JSON.stringify({
    version: '0',
    id: `evt-${taskId}-${version}`,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: ACCOUNT,
    time: iso(NOW - 5_000).replace('.000Z', 'Z'),
    region: REGION,
    resources: [taskArn],
    detail: {
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`,
      taskArn,
      taskDefinitionArn,
      group: 'service:api',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      createdAt: iso(NOW - 120_000),
      startedAt: iso(NOW - 100_000),
      stoppingAt: iso(NOW - 10_000),
      stoppedAt: iso(NOW - 5_000),
      updatedAt: iso(NOW - 5_000),
      containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 1, taskArn }],
      version,
    },
  });
}

describe.skipIf(!MOTO)('the events consumer against moto_server SQS', () => {
  let moto: MotoServer;
  let aws: AwsPorts;
  let sqs: SQSClient;
  let database: OpenDatabase;
  let taskDefinitionArn: string;

  beforeAll(async () => {
    moto = await startMotoServer();
    aws = createAwsPorts({ endpoint: moto.url, credentials: creds, maxAttempts: 1 });
    sqs = new SQSClient({ region: REGION, endpoint: moto.url, credentials: creds });
    const ecs = new ECSClient({ region: REGION, endpoint: moto.url, credentials: creds });
    await ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
    const td = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'api', containerDefinitions: [{ name: 'app', image: 'api:1.0', memory: 256, essential: true }] }));
    taskDefinitionArn = td.taskDefinition?.taskDefinitionArn ?? '';
    ecs.destroy();
    database = openDatabase(':memory:');
  }, 60_000);

  afterAll(async () => {
    sqs?.destroy();
    aws?.destroy();
    database?.close();
    await moto?.stop();
  });

  it('alerts a crash event once, deletes what it handled, and leaves a poison message to moto redrive', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'events-dlq' }));
    const dlqArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:events-dlq`;
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'events', Attributes: { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) } }),
    );
    const url = QueueUrl ?? '';
    const queue = aws.eventQueue(url, REGION);
    const info = await queue.describe();
    expect(info).toMatchObject({ arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:events`, deadLetterTargetArn: dlqArn, maxReceiveCount: 2, visibilityTimeoutSeconds: 1 });

    const store = new SqliteIncidentStore(database);
    const outbox = new SqliteOutbox(database);
    const log = capturingLogger();
    const clock = new FakeClock(NOW);
    const clusters = [{ cluster: 'prod', region: REGION }];
    const watcher = new CrashWatcher({ containers: aws.containers, store, outbox, clock, log, settings: watcherSettings({ source: 'events' }, [{ slack: 'C1' }]), clusters });
    const consumer = new EventConsumer({ queue, sink: watcher, clusters, log });

    const body = crashEvent('0123456789abcdef0123456789abcdef', 5, taskDefinitionArn);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: crashEvent('0123456789abcdef0123456789abcdef', 4, taskDefinitionArn).replace('"STOPPED","desiredStatus"', '"STOPPING","desiredStatus"') }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison: not an event' }));

    let messages = 0;
    let failed = 0;
    for (let i = 0; i < 6; i++) {
      const b = await consumer.receiveOnce(1);
      messages += b.messages;
      failed += b.failed;
      if (i < 5) await new Promise((r) => setTimeout(r, 1_100));
    }
    expect(messages).toBe(1);
    const rows = await outbox.history({ platform: 'slack', channelId: 'C1' });
    expect(rows.map((r) => r.alertKey)).toEqual([`crash:arn:aws:ecs:${REGION}:${ACCOUNT}:task/prod/0123456789abcdef0123456789abcdef`]);
    // The poison message was received twice, then moto moved it to the dead-letter queue.
    expect(failed).toBe(2);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url.replace(/events$/, 'events-dlq'), MaxNumberOfMessages: 10 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['poison: not an event']);
    const left = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(left.Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  }, 60_000);
});
