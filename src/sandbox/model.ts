/**
 * The sandbox's in-memory model of ECS, ECR and CloudWatch Logs. Records hold epoch
 * milliseconds; the wire layer converts to AWS's shapes. `seq` numbers give every list a
 * stable order for paging.
 */
import type { JsonObject } from './protocol.ts';

/** How a service's tasks fail, as real clusters do; `healthy` means they run until stopped. */
export type FailureMode =
  | { kind: 'healthy' }
  /**
   * The essential container exits with `exitCode` (default 1) after `runMs`; every `oomEvery`-th crash is an
   * OOM kill instead, after `oomRunMs` (default `runMs`: a leak takes longer to fill memory than a bad config to fail).
   */
  | { kind: 'crash'; runMs?: number; exitCode?: number; oomEvery?: number; oomRunMs?: number }
  /** The container is killed for memory after `runMs` (exit 137). */
  | { kind: 'oom'; runMs?: number }
  /** The image cannot be pulled, so tasks never start (TaskFailedToStart). */
  | { kind: 'image-pull' }
  /** Container health checks fail after `runMs`, so the scheduler replaces the task. */
  | { kind: 'health-check'; runMs?: number };

/** Which kind of log lines a service's running tasks write. */
export type LogStyle = 'web' | 'api' | 'worker' | 'payments' | 'quiet';

/** ECS task lifecycle states, in order. */
export type TaskStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

/** ECS stop codes the sandbox produces. */
export type StopCode =
  | 'TaskFailedToStart'
  | 'EssentialContainerExited'
  | 'UserInitiated'
  | 'ServiceSchedulerInitiated'
  | 'SpotInterruption'
  | 'TerminationNotice';

/** A registered task definition revision; `body` keeps the registered fields as sent. */
export interface TaskDefinitionRecord {
  seq: number;
  arn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  registeredAt: number;
  /** When DeregisterTaskDefinition made it INACTIVE. */
  deregisteredAt?: number;
  body: JsonObject;
  /** The tags given at registration (DescribeTaskDefinition returns them with `include: ["TAGS"]`). */
  tags: { key: string; value: string }[];
}

/** One entry of a service's event list. */
export interface ServiceEventRecord {
  id: string;
  createdAt: number;
  message: string;
}

/** A service deployment (PRIMARY is the newest; ACTIVE ones are draining). */
export interface DeploymentRecord {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinitionArn: string;
  desiredCount: number;
  failedTasks: number;
  createdAt: number;
  updatedAt: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
}

/** A container inside a task. */
export interface TaskContainerRecord {
  arn: string;
  name: string;
  image: string;
  imageDigest?: string;
  runtimeId?: string;
  essential: boolean;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  exitCode?: number;
  reason?: string;
  healthStatus?: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  cpu: string;
  memory?: string;
  /** Where the awslogs driver writes this container's output, when configured. */
  log?: { group: string; stream: string };
}

/** How a running task will end on its own (failure modes), decided when it starts. */
export interface PlannedExit {
  at: number;
  kind: 'crash' | 'oom' | 'health-check';
  exitCode: number;
}

/** A task and its place in the lifecycle. */
export interface TaskRecord {
  seq: number;
  id: string;
  arn: string;
  clusterName: string;
  serviceName?: string;
  deploymentId?: string;
  taskDefinition: TaskDefinitionRecord;
  group: string;
  startedBy?: string;
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  createdAt: number;
  connectivityAt?: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  stopCode?: StopCode;
  stoppedReason?: string;
  healthStatus: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  containers: TaskContainerRecord[];
  version: number;
  /** The version the last task state change event carried (events go out once per version). */
  publishedVersion?: number;
  cpu: string;
  memory: string;
  availabilityZone: string;
  privateIp: string;
  launchType: 'FARGATE' | 'EC2';
  /** When the next lifecycle step is due (epoch ms); undefined once STOPPED. */
  nextAt?: number;
  /** Whether the image pull will fail when it is due. */
  failPull: boolean;
  plannedExit?: PlannedExit;
  logStyle: LogStyle;
  nextLogAt?: number;
  logCount: number;
}

/** An ECS service and its scheduler bookkeeping. */
export interface ServiceRecord {
  seq: number;
  name: string;
  arn: string;
  clusterName: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  taskDefinitionArn: string;
  launchType: 'FARGATE' | 'EC2';
  createdAt: number;
  createdBy: string;
  deployments: DeploymentRecord[];
  /** Newest first, at most 100, as ECS returns them. */
  events: ServiceEventRecord[];
  failure: FailureMode;
  logStyle: LogStyle;
  circuitBreaker: { enable: boolean; rollback: boolean };
  /** The task definition of the last deployment that completed, where a circuit-breaker rollback returns to. */
  lastCompletedTaskDefinitionArn?: string;
  healthCheckGracePeriodSeconds: number;
  tasks: Set<TaskRecord>;
  /** Crashes so far, to make every n-th one an OOM kill. */
  crashCount: number;
  /** Consecutive tasks that failed to start; drives launch back-off and the "unable to start" event. */
  startFailures: number;
  /** No launches before this time (task launch back-off). */
  launchNotBefore: number;
  /** When a task of this service last crashed or failed to start; a service is not steady for 5 minutes after. */
  lastFailureAt: number;
  steady: boolean;
  steadyEventAt: number;
  unableEventAt: number;
}

/** An ECS cluster with its services and tasks (Map order is creation order). */
export interface ClusterRecord {
  seq: number;
  name: string;
  arn: string;
  createdAt: number;
  services: Map<string, ServiceRecord>;
  tasks: Map<string, TaskRecord>;
}

/** One ECR scan finding. */
export interface FindingRecord {
  name: string;
  description: string;
  uri: string;
  severity: 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL' | 'UNDEFINED';
  attributes: { key: string; value: string }[];
}

/** An image in an ECR repository. */
export interface ImageRecord {
  seq: number;
  digest: string;
  tags: string[];
  pushedAt: number;
  sizeInBytes: number;
  manifestMediaType: string;
  lastRecordedPullTime?: number;
  /** Undefined when the image was never scanned. */
  scan?: { completedAt: number; findings: FindingRecord[] };
}

/** An ECR repository. */
export interface RepositoryRecord {
  seq: number;
  name: string;
  arn: string;
  uri: string;
  createdAt: number;
  scanOnPush: boolean;
  tagMutability: 'MUTABLE' | 'IMMUTABLE';
  images: Map<string, ImageRecord>;
}

/** One CloudWatch Logs event; `id` grows across the whole sandbox. */
export interface LogEventRecord {
  id: number;
  timestamp: number;
  message: string;
  ingestionTime: number;
}

/** A log stream; `events` is sorted by timestamp, then id. */
export interface LogStreamRecord {
  seq: number;
  name: string;
  createdAt: number;
  events: LogEventRecord[];
  storedBytes: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
}

/** A log group. */
export interface LogGroupRecord {
  seq: number;
  name: string;
  arn: string;
  createdAt: number;
  retentionInDays?: number;
  streams: Map<string, LogStreamRecord>;
}
