/**
 * `watch.source: events` end to end: the sandbox publishes ECS Task State Change events to its SQS
 * queue, the consumer long-polls it through the real @aws-sdk/client-sqs, the watcher decides with
 * the same rules and evidence as a poll, and alerts land in SQLite's outbox (real migrations) and
 * on the Slack stand-in. Duplicates and out-of-order events alert once; a poison message is left
 * for SQS redrive and lands in the dead-letter queue; the sweep poll reports crashes events missed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeleteMessageBatchCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SdkEventQueue } from '../../src/aws/event-queue.ts';
import { SANDBOX_CREDENTIALS } from '../../src/aws/index.ts';
import { EventConsumer } from '../../src/watcher/events.ts';
import { crashedTaskIds, startRig, type WatchRig } from './watcher-harness.ts';

const SEC = 1_000;
const MIN = 60_000;

let rig: WatchRig | undefined;
let queue: SdkEventQueue | undefined;
let raw: SQSClient | undefined;
afterEach(async () => {
  queue?.destroy();
  raw?.destroy();
  await rig?.close();
  rig = queue = raw = undefined;
});

async function eventsRig(events?: { visibilityTimeout?: number; maxReceiveCount?: number }): Promise<{ r: WatchRig; consumer: EventConsumer; url: string; sqs: SQSClient }> {
  rig = await startRig({ watch: { source: 'events' }, ...(events ? { events } : {}) });
  const url = rig.sandbox.eventsQueueUrl ?? '';
  queue = new SdkEventQueue(url, 'us-east-1', { endpoint: rig.sandbox.endpoint, credentials: SANDBOX_CREDENTIALS });
  raw = new SQSClient({ endpoint: rig.sandbox.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  const consumer = new EventConsumer({ queue, sink: rig.watcher, clusters: [{ cluster: 'prod', region: 'us-east-1' }], log: rig.log });
  return { r: rig, consumer, url, sqs: raw };
}

/** Receives until the queue is empty (every message handled and deleted). */
async function drainWith(consumer: EventConsumer): Promise<number> {
  let messages = 0;
  for (;;) {
    const b = await consumer.receiveOnce(0);
    messages += b.messages;
    if (b.received === 0) return messages;
  }
}

/** Takes every message off the queue, returning the bodies (the test then replays them). */
async function takeAll(sqs: SQSClient, url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    if (!r.Messages?.length) return bodies;
    bodies.push(...r.Messages.map((m) => m.Body ?? ''));
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: r.Messages.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle ?? '' })) }));
  }
}

/** The crash alerts in the outbox for Slack channel C1 (delivered or not). */
async function crashRows(r: WatchRig): Promise<string[]> {
  const rows = await r.outbox.history({ platform: 'slack', channelId: 'C1' });
  return rows.map((x) => x.alertKey).filter((k) => k.startsWith('crash:') || /^incident:.*:open$/.test(k));
}

describe('crash events from EventBridge through SQS', () => {
  it('alerts a crash within one long poll, with the same evidence as a poll', async () => {
    const { r, consumer } = await eventsRig();
    const { state } = r.sandbox;
    const td = state.defineTaskDefinition({ family: 'api', port: 8080 });
    state.createService('prod', { name: 'api', taskDefinition: td, desiredCount: 1, logStyle: 'payments', failure: { kind: 'crash', runMs: 50 * SEC, exitCode: 3 } });
    await drainWith(consumer);
    expect(r.chat.received).toHaveLength(0);
    // One long poll is waiting when the task crashes; it returns with the crash and the alert is in the outbox.
    const started = Date.now();
    const poll = consumer.receiveOnce(20);
    await new Promise((res) => setTimeout(res, 200));
    r.sandbox.advance(60 * SEC);
    const batch = await poll;
    const took = Date.now() - started;
    expect(took).toBeLessThan(20_000);
    expect(batch.messages).toBe(1);
    const crashed = crashedTaskIds(r.sandbox, 'prod', 'api');
    expect(crashed).toHaveLength(1);
    expect(await crashRows(r)).toEqual([`crash:${state.clusters.get('prod')?.tasks.get(crashed[0] ?? '')?.arn}`]);
    await r.delivery.flush();
    expect(r.chat.received).toHaveLength(1);
    const text = r.chat.received[0]?.text ?? '';
    expect(text).toContain('api crashed — exit 3 (prod)');
    expect(text).toContain(`Task: ${crashed[0]}`);
    expect(text).toContain('Stop code: EssentialContainerExited');
    expect(text).toContain('FATAL could not connect to database');
    // The later STOPPED event of the same task, and the poll after it, alert nothing more.
    r.sandbox.advance(10 * SEC);
    await drainWith(consumer);
    await r.step(0);
    expect(r.chat.received.filter((m) => m.text.includes(crashed[0] ?? '-'))).toHaveLength(1);
  });

  it('alerts duplicated and out-of-order events once, also after a restart of the consumer', async () => {
    const { r, consumer, url, sqs } = await eventsRig();
    const { state } = r.sandbox;
    const td = state.defineTaskDefinition({ family: 'worker', port: 9000 });
    state.createService('prod', { name: 'worker', taskDefinition: td, desiredCount: 1, failure: { kind: 'crash', runMs: 30 * SEC, exitCode: 2 } });
    r.sandbox.advance(40 * SEC);
    const bodies = await takeAll(sqs, url);
    const crashed = crashedTaskIds(r.sandbox, 'prod', 'worker');
    expect(crashed).toHaveLength(1);
    const mine = bodies.filter((b) => b.includes(crashed[0] ?? '-'));
    expect(mine.length).toBeGreaterThanOrEqual(4);
    // Newest first, every event twice: STOPPED, DEPROVISIONING, STOPPING (the first settled one), RUNNING, …
    const replay = [...mine].reverse().flatMap((b) => [b, b]);
    for (const b of replay) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: b }));
    const first = await drainWith(consumer);
    expect(first).toBe(1);
    // A consumer that starts afresh (no memory of versions) sees the same events again: the handled mark holds.
    const again = new EventConsumer({ queue: queue!, sink: r.watcher, clusters: [{ cluster: 'prod', region: 'us-east-1' }], log: r.log });
    for (const b of mine) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: b }));
    expect(await drainWith(again)).toBe(0);
    await r.delivery.flush();
    expect(r.chat.received.filter((m) => m.text.includes(crashed[0] ?? '-'))).toHaveLength(1);
    expect(await crashRows(r)).toHaveLength(1);
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'dockhand-ecs-events' }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages ?? []).toHaveLength(0);
  });

  it('leaves a poison message in the queue until SQS redrive moves it to the dead-letter queue', async () => {
    const { r, consumer, url, sqs } = await eventsRig({ visibilityTimeout: 1, maxReceiveCount: 2 });
    await takeAll(sqs, url);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":42}}' }));
    const reports = [];
    for (let i = 0; i < 3; i++) reports.push(await consumer.receiveOnce(3));
    expect(reports.map((b) => [b.received, b.failed, b.deleted])).toEqual([
      [1, 1, 0],
      [1, 1, 0],
      [0, 0, 0],
    ]);
    expect(r.log.warnings.filter((w) => w.includes('could not be read'))).toHaveLength(2);
    const { QueueUrl: dlq } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'dockhand-ecs-events-dlq' }));
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":42}}']);
    expect(r.chat.received).toHaveLength(0);
  });

  it('keeps a message whose alert could not be written, and alerts it when it comes back', async () => {
    const { r, consumer, url, sqs } = await eventsRig({ visibilityTimeout: 1, maxReceiveCount: 5 });
    const { state } = r.sandbox;
    const td = state.defineTaskDefinition({ family: 'api', port: 8080 });
    state.createService('prod', { name: 'api', taskDefinition: td, desiredCount: 1, failure: { kind: 'crash', runMs: 20 * SEC, exitCode: 1 } });
    await takeAll(sqs, url);
    r.sandbox.advance(30 * SEC);
    const broken = new EventConsumer({
      queue: queue!,
      sink: { handleStopped: () => Promise.reject(new Error('database is locked')) },
      clusters: [{ cluster: 'prod', region: 'us-east-1' }],
      log: r.log,
    });
    const failed = await broken.receiveOnce(0);
    expect(failed.failed).toBeGreaterThan(0);
    expect(failed.deleted).toBe(0);
    expect(await crashRows(r)).toHaveLength(0);
    // After the visibility timeout the same messages come back to a working consumer and alert once.
    await new Promise((res) => setTimeout(res, 1_200));
    expect(await drainWith(consumer)).toBe(1);
    expect(await crashRows(r)).toHaveLength(1);
  });

  it('sweeps every sweepEvery and warns about crashes the events missed', async () => {
    const { r } = await eventsRig();
    expect(r.settings.sweepEveryMs).toBe(5 * MIN);
    await r.step(0);
    const { state } = r.sandbox;
    const td = state.defineTaskDefinition({ family: 'api', port: 8080 });
    state.createService('prod', { name: 'api', taskDefinition: td, desiredCount: 1, failure: { kind: 'crash', runMs: 20 * SEC, exitCode: 1 } });
    // Nobody consumes the queue (a rule pointing elsewhere): a sweep within the grace period leaves the crash to the events…
    const early = await r.step(40 * SEC);
    expect(early.crashes).toBe(0);
    // …and the next sweep alerts it and says the events missed it.
    const late = await r.step(5 * MIN);
    expect(late.crashes).toBeGreaterThanOrEqual(1);
    expect(r.log.warnings.some((w) => /the sweep found \d+ crash(es)? the events missed/.test(w))).toBe(true);
    expect(r.chat.received.length).toBeGreaterThanOrEqual(1);
  });
});
