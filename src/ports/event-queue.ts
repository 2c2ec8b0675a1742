/**
 * The queue crash events arrive through: an SQS queue an EventBridge rule feeds with ECS task
 * state change events. Delivery is at least once, so the consumer deduplicates; a message is
 * deleted only after its work is stored, and one that keeps failing is left for the queue's
 * redrive policy to move to its dead-letter queue.
 */

/** One message as received. */
export interface QueueMessage {
  /** The queue's message id (the same on every receive of one message). */
  id: string;
  /** The handle of this receive: deleting or hiding the message needs the latest one. */
  receipt: string;
  /** The body: an EventBridge event as JSON, when the rule delivers as configured. */
  body: string;
  /** How many times the queue has handed this message out, this receive included. */
  receiveCount: number;
  /** When the message was sent, epoch ms, when the queue says. */
  sentAt?: number;
}

/** What the queue says about itself (for the start-up check and the banner). */
export interface QueueInfo {
  /** The queue ARN. */
  arn: string;
  /** Messages waiting to be received. */
  visible: number;
  /** Messages received and not yet deleted or visible again. */
  inFlight: number;
  /** Seconds a received message stays hidden. */
  visibilityTimeoutSeconds: number;
  /** The dead-letter queue the redrive policy names, if any. */
  deadLetterTargetArn?: string;
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount?: number;
}

/** An SQS queue of crash events (SdkEventQueue in src/aws). */
export interface EventQueue {
  /** The queue URL, for messages and logs. */
  readonly url: string;
  /**
   * Long-polls: waits up to `waitSeconds` (0–20) for up to `max` (1–10) messages; answers
   * early (with none) when `signal` aborts.
   */
  receive(opts: { waitSeconds: number; max: number; signal?: AbortSignal }): Promise<QueueMessage[]>;
  /** Deletes messages by receipt handle (10 a call); returns the receipts that could not be deleted. */
  deleteMany(receipts: readonly string[]): Promise<{ failed: string[] }>;
  /** Reads the queue's attributes. */
  describe(): Promise<QueueInfo>;
  /** Closes the client's sockets. */
  destroy(): void;
}
