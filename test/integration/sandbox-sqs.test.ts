/**
 * The sandbox's SQS through the real @aws-sdk/client-sqs and the aws CLI v1: the EventBridge-shaped
 * "ECS Task State Change" events it publishes to dockhand-ecs-events, long polling, visibility,
 * receive counts, redrive to the dead-letter queue, and the errors SQS answers with.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SdkEventQueue } from '../../src/aws/event-queue.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';

let sandbox: Sandbox | undefined;
let sqs: SQSClient | undefined;
afterEach(async () => {
  sqs?.destroy();
  sqs = undefined;
  await sandbox?.stop();
  sandbox = undefined;
});

async function start(events?: { visibilityTimeout?: number; maxReceiveCount?: number }): Promise<{ sb: Sandbox; client: SQSClient; url: string }> {
  const clock = new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) });
  sandbox = await startSandbox({ clock, scenario: 'empty', seed: 3, ...(events ? { events } : {}) });
  sandbox.state.createCluster('prod');
  sqs = new SQSClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'dockhand-ecs-events' }));
  return { sb: sandbox, client: sqs, url: QueueUrl ?? '' };
}

interface TaskEvent {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    clusterArn: string;
    taskArn: string;
    group: string;
    lastStatus: string;
    desiredStatus: string;
    stopCode?: string;
    stoppedReason?: string;
    stoppedAt?: string;
    createdAt: string;
    updatedAt: string;
    taskDefinitionArn: string;
    version: number;
    containers: Array<{ name: string; exitCode?: number; reason?: string; lastStatus: string }>;
  };
}

async function drain(client: SQSClient, url: string): Promise<TaskEvent[]> {
  const out: TaskEvent[] = [];
  for (;;) {
    const r = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!r.Messages?.length) return out;
    for (const m of r.Messages) out.push(JSON.parse(m.Body ?? '') as TaskEvent);
    await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: r.Messages.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle ?? '' })) }));
  }
}

describe('sandbox SQS through @aws-sdk/client-sqs', () => {
  it('publishes one ECS Task State Change per task change, shaped like the documented example, up to the crash', async () => {
    const { sb, client, url } = await start();
    const td = sb.state.defineTaskDefinition({ family: 'api', port: 8080 });
    sb.state.createService('prod', { name: 'api', taskDefinition: td, desiredCount: 1, failure: { kind: 'crash', runMs: 20_000, exitCode: 3 } });
    sb.advance(40_000);
    const events = await drain(client, url);
    const first = events[0];
    expect(first).toBeDefined();
    const taskArn = first!.detail.taskArn;
    const mine = events.filter((e) => e.detail.taskArn === taskArn);
    // Every change is one event, versions counting up by one from the task's first.
    expect(mine.map((e) => e.detail.version)).toEqual(mine.map((_, i) => (first?.detail.version ?? 0) + i));
    // createService places its first tasks running at once; the crash then takes the task to STOPPED step by step.
    expect(mine.map((e) => e.detail.lastStatus)).toEqual(['PROVISIONING', 'RUNNING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);
    const stopped = mine[mine.length - 1]!;
    expect(stopped).toMatchObject({
      version: '0',
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      account: '123456789012',
      region: 'us-east-1',
      resources: [taskArn],
      detail: {
        clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
        group: 'service:api',
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        taskDefinitionArn: td.arn,
      },
    });
    expect(stopped.detail.containers[0]).toMatchObject({ name: 'api', exitCode: 3, lastStatus: 'STOPPED' });
    // Timestamps are ISO strings in events (epoch seconds in DescribeTasks).
    expect(stopped.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(stopped.detail.stoppedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(stopped.detail.updatedAt)).toBe(Date.parse(stopped.detail.stoppedAt ?? ''));
  });

  it('long-polls: a receive waiting on an empty queue returns as soon as a task changes', async () => {
    const { sb, client, url } = await start();
    await drain(client, url);
    const started = Date.now();
    const pending = client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 300));
    const td = sb.state.defineTaskDefinition({ family: 'web', port: 80 });
    sb.state.runTask('prod', td);
    const r = await pending;
    expect(r.Messages?.length).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    // An empty long poll waits its time out and answers with no messages.
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: r.Messages?.[0]?.ReceiptHandle }));
    const t0 = Date.now();
    const empty = await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    expect(empty.Messages ?? []).toHaveLength(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('hides a received message for its visibility timeout, counts receives, and redrives it to the DLQ after maxReceiveCount', async () => {
    const { client } = await start({ visibilityTimeout: 30, maxReceiveCount: 2 });
    const dlq = (await client.send(new GetQueueUrlCommand({ QueueName: 'dockhand-ecs-events-dlq' }))).QueueUrl ?? '';
    const { QueueUrl: url } = await client.send(new CreateQueueCommand({ QueueName: 'work', Attributes: { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dockhand-ecs-events-dlq', maxReceiveCount: 2 }) } }));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    const first = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(first.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    // In flight: nothing to receive until the visibility timeout ends.
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? []).toHaveLength(0);
    const second = await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 3, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    // A stale receipt handle deletes nothing (only the latest one does).
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }));
    // Received twice and not deleted: the third receive moves it to the DLQ instead.
    const third = await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 3 }));
    expect(third.Messages ?? []).toHaveLength(0);
    const dead = await client.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['poison']);
  });

  it('answers what SQS refuses with the errors SQS uses', async () => {
    const { client, url } = await start();
    const err = async (p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> => {
      try {
        await p;
      } catch (e) {
        const x = e as Error & { $metadata?: { httpStatusCode?: number } };
        return { name: x.name, message: x.message, status: x.$metadata?.httpStatusCode };
      }
      throw new Error('expected an error');
    };
    expect(await err(client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })))).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('Must be between 1 and 10') });
    expect(await err(client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 21 })))).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('WaitTimeSeconds') });
    expect(await err(client.send(new ReceiveMessageCommand({ QueueUrl: url.replace('dockhand-ecs-events', 'nope') })))).toMatchObject({ name: 'QueueDoesNotExist', status: 400 });
    expect(await err(client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'made-up' })))).toMatchObject({ name: 'ReceiptHandleIsInvalid', status: 404 });
    expect(await err(client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [] })))).toMatchObject({ name: 'EmptyBatchRequest' });
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, ReceiptHandle: 'x' }));
    expect(await err(client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: eleven })))).toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
    expect(await err(client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', ReceiptHandle: 'x' }, { Id: 'a', ReceiptHandle: 'y' }] })))).toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
    // A receipt that does not exist fails in the batch's Failed list, not the whole call.
    const partial = await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', ReceiptHandle: 'x' }] }));
    expect(partial.Failed?.[0]).toMatchObject({ Id: 'a', SenderFault: true, Code: 'ReceiptHandleIsInvalid' });
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
    expect(await err(client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: got.Messages?.[0]?.ReceiptHandle, VisibilityTimeout: 30 })))).toMatchObject({ name: 'MessageNotInflight' });
    expect(await err(client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: got.Messages?.[0]?.ReceiptHandle, VisibilityTimeout: 43_201 })))).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await err(client.send(new CreateQueueCommand({ QueueName: 'q', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:missing', maxReceiveCount: 3 }) } })))).toMatchObject({ message: expect.stringContaining('Dead letter target does not exist') });
    expect(await err(client.send(new CreateQueueCommand({ QueueName: 'q', Attributes: { VisibilityTimeout: '43201' } })))).toMatchObject({ name: 'InvalidAttributeValue' });
    expect(await err(client.send(new CreateQueueCommand({ QueueName: 'bad name' })))).toMatchObject({ name: 'InvalidParameterValue' });
    // What dockhand never uses is refused by name as unsupported, never half imitated or silently dropped.
    expect(await err(client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'x' }] })))).toMatchObject({ name: 'UnsupportedOperation', message: expect.stringContaining('does not serve SendMessageBatch') });
    expect(await err(client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { team: { DataType: 'String', StringValue: 'ops' } } })))).toMatchObject({ name: 'UnsupportedOperation', message: expect.stringContaining('MessageAttributes') });
    expect(await err(client.send(new CreateQueueCommand({ QueueName: 'q.fifo', Attributes: { FifoQueue: 'true' } })))).toMatchObject({ name: 'UnsupportedOperation', message: expect.stringContaining('not FIFO') });
    const attrs = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn', 'RedrivePolicy', 'VisibilityTimeout'] }));
    expect(attrs.Attributes).toEqual({
      QueueArn: 'arn:aws:sqs:us-east-1:123456789012:dockhand-ecs-events',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dockhand-ecs-events-dlq', maxReceiveCount: 5 }),
      VisibilityTimeout: '30',
    });
  });
});

describe('AWS_ENDPOINT_URL_SQS', () => {
  it('points dockhand\'s queue client at another endpoint, like the other per-service overrides', async () => {
    const { sb } = await start();
    const saved = { ...process.env };
    // A queue URL of real AWS: only the override can send its calls to the sandbox instead.
    process.env.AWS_ENDPOINT_URL_SQS = sb.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    const queue = new SdkEventQueue('https://sqs.us-east-1.amazonaws.com/123456789012/dockhand-ecs-events', 'us-east-1', { maxAttempts: 1 });
    try {
      expect(await queue.describe()).toMatchObject({ arn: 'arn:aws:sqs:us-east-1:123456789012:dockhand-ecs-events', maxReceiveCount: 5 });
    } finally {
      queue.destroy();
      process.env = saved;
    }
  });
});

const awsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
if (!awsCli) console.warn('sandbox-sqs.test.ts: skipping the aws CLI checks because `aws` is not on PATH (install awscli to run them).');

function aws(endpoint: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'aws',
      ['--endpoint-url', endpoint, '--output', 'json', ...args],
      {
        env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1' },
        timeout: 30_000,
      },
      (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(!awsCli)(`sandbox SQS through the aws CLI v1${awsCli ? '' : ' (skipped: aws CLI not on PATH)'}`, () => {
  it('receives a task event with its receive count, deletes it, and reports errors by their query codes', async () => {
    const { sb, url } = await start();
    const td = sb.state.defineTaskDefinition({ family: 'web', port: 80 });
    sb.state.runTask('prod', td);
    const got = await aws(sb.endpoint, 'sqs', 'receive-message', '--queue-url', url, '--max-number-of-messages', '10', '--wait-time-seconds', '1', '--attribute-names', 'All');
    expect(got.code).toBe(0);
    const msgs = (JSON.parse(got.stdout) as { Messages: Array<{ Body: string; ReceiptHandle: string; Attributes: Record<string, string> }> }).Messages;
    expect(msgs).toHaveLength(1);
    expect(msgs[0]?.Attributes.ApproximateReceiveCount).toBe('1');
    expect(JSON.parse(msgs[0]?.Body ?? '{}')).toMatchObject({ 'detail-type': 'ECS Task State Change', detail: { lastStatus: 'PROVISIONING', version: 1 } });
    expect((await aws(sb.endpoint, 'sqs', 'delete-message', '--queue-url', url, '--receipt-handle', msgs[0]?.ReceiptHandle ?? '')).code).toBe(0);
    const attrs = await aws(sb.endpoint, 'sqs', 'get-queue-attributes', '--queue-url', url, '--attribute-names', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible');
    expect(JSON.parse(attrs.stdout)).toEqual({ Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' } });
    const missing = await aws(sb.endpoint, 'sqs', 'get-queue-url', '--queue-name', 'nope');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('(AWS.SimpleQueueService.NonExistentQueue)');
    const tooMany = await aws(sb.endpoint, 'sqs', 'receive-message', '--queue-url', url, '--max-number-of-messages', '11');
    expect(tooMany.stderr).toContain('(InvalidParameterValue)');
  });
});
