/**
 * The crash-event queue on Amazon SQS: the only user of @aws-sdk/client-sqs. Long polls get a
 * request timeout longer than their wait (the shared 10 s default would cut a 20 s poll short).
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { EventQueue, QueueInfo, QueueMessage } from '../ports/event-queue.ts';
import { CloudError } from '../ports/container-service.ts';
import { clientConfig, RegionalClients, type AwsClientOptions } from './clients.ts';
import { awsErrorName, call } from './errors.ts';

/** The region in an SQS queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`), if it names one. */
export function regionOfQueueUrl(url: string): string | undefined {
  try {
    const host = new URL(url).hostname;
    return /^sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1] ?? /^([a-z]{2}(-[a-z]+)+-\d)\.queue\.amazonaws\.com$/.exec(host)?.[1];
  } catch {
    return undefined;
  }
}

/** The queue name at the end of a queue URL. */
function nameOf(url: string): string {
  return url.replace(/\/+$/, '').split('/').pop() ?? url;
}

/** An SQS queue through the SDK; honours AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL like the other clients. */
export class SdkEventQueue implements EventQueue {
  /** The queue URL. */
  readonly url: string;
  private readonly region: string;
  private readonly clients: RegionalClients<SQSClient>;

  constructor(url: string, region: string, options: AwsClientOptions = {}) {
    this.url = url;
    this.region = regionOfQueueUrl(url) ?? region;
    // WaitTimeSeconds is at most 20, so 30 s leaves room for the answer.
    const opts = { ...options, requestTimeoutMs: Math.max(options.requestTimeoutMs ?? 10_000, 30_000) };
    // The SQS client sends each call to its QueueUrl's host unless an endpoint option is set, which
    // would ignore AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL (they are not the option): an override wins here.
    const overridden = Boolean(process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL);
    this.clients = new RegionalClients((r) => new SQSClient({ ...clientConfig(r, opts), useQueueUrlAsEndpoint: !overridden }), options);
  }

  private site(action: string): { action: string; resource: string; region: string } {
    return { action: `sqs:${action}`, resource: `queue ${nameOf(this.url)}`, region: this.region };
  }

  /** Runs one call; a missing queue gets a message that says which URL and where it comes from. */
  private async run<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return call(this.site(action), async () => {
      try {
        return await fn();
      } catch (e) {
        if (awsErrorName(e) === 'QueueDoesNotExist' || awsErrorName(e) === 'AWS.SimpleQueueService.NonExistentQueue') {
          throw new CloudError('invalid-request', `sqs:${action}`, `The events queue ${this.url} does not exist in ${this.region}.`, {
            resource: this.url,
            hint: 'Check watch.queueUrl (or DOCKHAND_EVENTS_QUEUE_URL): it must be the URL of the queue the EventBridge rule sends to.',
          });
        }
        throw e;
      }
    });
  }

  /** Long-polls for up to `max` messages. */
  async receive(opts: { waitSeconds: number; max: number; signal?: AbortSignal }): Promise<QueueMessage[]> {
    const client = this.clients.get(this.region);
    const out = await this.run('ReceiveMessage', () =>
      client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.url,
          MaxNumberOfMessages: opts.max,
          WaitTimeSeconds: opts.waitSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        }),
        opts.signal ? { abortSignal: opts.signal } : {},
      ),
    );
    return (out.Messages ?? []).map((m) => {
      const count = Number(m.Attributes?.ApproximateReceiveCount ?? '1');
      const sent = Number(m.Attributes?.SentTimestamp ?? NaN);
      return {
        id: m.MessageId ?? '',
        receipt: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        receiveCount: Number.isFinite(count) ? count : 1,
        ...(Number.isFinite(sent) ? { sentAt: sent } : {}),
      };
    });
  }

  /** Deletes in batches of 10 (the DeleteMessageBatch limit). */
  async deleteMany(receipts: readonly string[]): Promise<{ failed: string[] }> {
    const client = this.clients.get(this.region);
    const failed: string[] = [];
    for (let i = 0; i < receipts.length; i += 10) {
      const batch = receipts.slice(i, i + 10);
      const out = await this.run('DeleteMessage', () =>
        client.send(new DeleteMessageBatchCommand({ QueueUrl: this.url, Entries: batch.map((r, j) => ({ Id: `m${j}`, ReceiptHandle: r })) })),
      );
      for (const f of out.Failed ?? []) {
        const j = Number((f.Id ?? '').slice(1));
        const r = batch[j];
        if (r !== undefined) failed.push(r);
      }
    }
    return { failed };
  }

  /** Reads the queue ARN, depth, visibility timeout and redrive policy. */
  async describe(): Promise<QueueInfo> {
    const client = this.clients.get(this.region);
    const out = await this.run('GetQueueAttributes', () =>
      client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.url,
          AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'VisibilityTimeout', 'RedrivePolicy'],
        }),
      ),
    );
    const a = out.Attributes ?? {};
    let redrive: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown } = {};
    try {
      redrive = a.RedrivePolicy ? (JSON.parse(a.RedrivePolicy) as typeof redrive) : {};
    } catch {
      // An unreadable policy reads as none; the start-up check then warns about a missing DLQ.
    }
    const max = Number(redrive.maxReceiveCount);
    return {
      arn: a.QueueArn ?? '',
      visible: Number(a.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
      visibilityTimeoutSeconds: Number(a.VisibilityTimeout ?? 30),
      ...(typeof redrive.deadLetterTargetArn === 'string' ? { deadLetterTargetArn: redrive.deadLetterTargetArn } : {}),
      ...(Number.isFinite(max) && max > 0 ? { maxReceiveCount: max } : {}),
    };
  }

  /** Closes the client. */
  destroy(): void {
    this.clients.destroy();
  }
}
