/**
 * The EventBridge events the sandbox's ECS emits: one "ECS Task State Change" for every change
 * of a task, shaped as the Amazon ECS Developer Guide's example ("Amazon ECS task state change
 * events"): the envelope's `version` is "0", `resources` holds the task ARN, and `detail` is the
 * DescribeTasks Task object with ISO-8601 strings instead of epoch seconds for its timestamps,
 * plus `updatedAt`. `detail.version` counts the task's changes, so a consumer can tell a repeated
 * event (same version) and an older one (lower version) from news.
 */
import { randomUUID } from 'node:crypto';
import type { SandboxState } from './state.ts';
import type { TaskRecord } from './model.ts';
import { taskShape } from './ecs-shapes.ts';
import type { Json, JsonObject } from './protocol.ts';

/** The queue the sandbox delivers its ECS events to, as an EventBridge rule with an SQS target would. */
export const EVENTS_QUEUE = 'dockhand-ecs-events';
/** Its dead-letter queue, where messages go after maxReceiveCount failed receives. */
export const EVENTS_DLQ = 'dockhand-ecs-events-dlq';

/** Timestamp fields DescribeTasks answers in epoch seconds and the event carries as ISO strings. */
const TIME_FIELDS = ['createdAt', 'connectivityAt', 'pullStartedAt', 'pullStoppedAt', 'startedAt', 'stoppingAt', 'stoppedAt', 'executionStoppedAt'];

/** The EventBridge event for a task's current state, stamped at sandbox time `at` (epoch ms). */
export function taskStateChangeEvent(state: SandboxState, task: TaskRecord, at: number): JsonObject {
  const detail: JsonObject = { ...taskShape(state, task) };
  for (const k of TIME_FIELDS) {
    const v = detail[k];
    if (typeof v === 'number') detail[k] = new Date(Math.round(v * 1000)).toISOString();
  }
  detail['updatedAt'] = new Date(at).toISOString();
  const time: Json = new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: state.accountId,
    time,
    region: state.region,
    resources: [task.arn],
    detail,
  };
}
