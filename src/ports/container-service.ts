/**
 * The container platform as the core, the commands and the crash watcher see it:
 * clusters, services, tasks and task definitions in platform-neutral shapes.
 * Nothing here names an SDK type; src/aws maps the AWS SDK onto it, and the sandbox
 * is reached through the same implementation over HTTP.
 *
 * All times are milliseconds since the epoch. Every call names where it acts with a
 * {@link ClusterTarget}, because the clusters dockhand operates may live in several regions.
 */
import { UserError } from '../core/errors.ts';

/** Which cluster, in which region, a call acts on. */
export interface ClusterTarget {
  /** The cluster name (or ARN). */
  cluster: string;
  /** The AWS region the cluster lives in. */
  region: string;
}

/** One cluster with its counts. */
export interface ClusterSummary {
  /** The cluster name. */
  name: string;
  /** The cluster ARN. */
  arn: string;
  /** ACTIVE, PROVISIONING, DEPROVISIONING, FAILED or INACTIVE. */
  status: string;
  /** Services in the ACTIVE state. */
  activeServicesCount: number;
  /** Tasks in the RUNNING state. */
  runningTasksCount: number;
  /** Tasks in the PENDING state. */
  pendingTasksCount: number;
}

/** The rollout state ECS reports for a deployment. */
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** One deployment of a service (the PRIMARY one is the newest). */
export interface Deployment {
  /** The deployment id (tasks it starts carry it in `startedBy`). */
  id: string;
  /** PRIMARY for the newest, ACTIVE for ones being replaced, INACTIVE when done. */
  status: string;
  /** The task definition ARN it deploys. */
  taskDefinition: string;
  /** Tasks it wants. */
  desiredCount: number;
  /** Tasks of it that run. */
  runningCount: number;
  /** Tasks of it that are starting. */
  pendingCount: number;
  /** Tasks of it that failed to start or crashed. */
  failedTasks: number;
  /** Where the rollout stands, when ECS reports it. */
  rolloutState?: RolloutState;
  /** Why the rollout is in that state. */
  rolloutStateReason?: string;
  /** When it was created. */
  createdAt?: number;
  /** When it last changed. */
  updatedAt?: number;
}

/** One entry of a service's event log. */
export interface ServiceEvent {
  /** The event id. */
  id: string;
  /** When it happened. */
  createdAt: number;
  /** What ECS said, such as "(service web) has reached a steady state." */
  message: string;
}

/** A service with its counts, deployments and latest events. */
export interface ServiceSummary {
  /** The service name. */
  name: string;
  /** The service ARN. */
  arn: string;
  /** The ARN of the cluster it runs in. */
  clusterArn: string;
  /** ACTIVE, DRAINING or INACTIVE. */
  status: string;
  /** Tasks it wants. */
  desiredCount: number;
  /** Tasks that run. */
  runningCount: number;
  /** Tasks that are starting. */
  pendingCount: number;
  /** The task definition ARN of the primary deployment. */
  taskDefinition: string;
  /** FARGATE, EC2 or EXTERNAL when known. */
  launchType?: string;
  /** Its deployments, primary first. */
  deployments: Deployment[];
  /** Its latest events, newest first (ECS keeps about 100). */
  events: ServiceEvent[];
  /** The deployment circuit breaker, when ECS reports one: whether it fails rollouts and rolls them back. */
  circuitBreaker?: { enable: boolean; rollback: boolean };
  /** When it was created. */
  createdAt?: number;
}

/** A resource a describe call could not return, such as a service that does not exist. */
export interface DescribeFailure {
  /** The ARN or name that was asked for. */
  arn: string;
  /** Why; `MISSING` when the resource does not exist. */
  reason: string;
  /** More detail, when given. */
  detail?: string;
}

/** What a batched describe returns: what was found and what was not. */
export interface Described<T> {
  /** The resources found, in the order asked for where the API keeps it. */
  items: T[];
  /** The ones not found (reason `MISSING`) or otherwise failed. */
  failures: DescribeFailure[];
}

/** The task lifecycle states, in order. */
export type TaskStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

/** Why a task stopped, as ECS codes it. */
export type StopCode =
  | 'TaskFailedToStart'
  | 'EssentialContainerExited'
  | 'UserInitiated'
  | 'ServiceSchedulerInitiated'
  | 'SpotInterruption'
  | 'TerminationNotice';

/** One container of a task. */
export interface ContainerInfo {
  /** The container name from the task definition. */
  name: string;
  /** The image reference it runs. */
  image?: string;
  /** The image digest it resolved to. */
  imageDigest?: string;
  /** Its lifecycle state. */
  lastStatus?: string;
  /** Its exit code once it stopped (137 for an out-of-memory kill). */
  exitCode?: number;
  /** Why it stopped, such as `OutOfMemoryError: Container killed due to memory usage`. */
  reason?: string;
  /** HEALTHY, UNHEALTHY or UNKNOWN. */
  healthStatus?: string;
}

/** One task with its lifecycle and containers. */
export interface TaskInfo {
  /** The task ARN. */
  arn: string;
  /** The short task id (the last part of the ARN), as log streams and chat show it. */
  id: string;
  /** The ARN of the cluster it runs in. */
  clusterArn: string;
  /** The task definition ARN. */
  taskDefinition: string;
  /** `service:<name>` for tasks of a service. */
  group?: string;
  /** The deployment id for tasks a service started. */
  startedBy?: string;
  /** Where it is in its lifecycle. */
  lastStatus: string;
  /** Where ECS wants it: RUNNING or STOPPED. */
  desiredStatus: string;
  /** Why it stopped, coded. */
  stopCode?: string;
  /** Why it stopped, in words. */
  stoppedReason?: string;
  /** When it was created. */
  createdAt?: number;
  /** When it started running. */
  startedAt?: number;
  /** When it began stopping. */
  stoppingAt?: number;
  /** When it stopped. */
  stoppedAt?: number;
  /** FARGATE, EC2 or EXTERNAL when known. */
  launchType?: string;
  /** Its containers. */
  containers: ContainerInfo[];
}

/** Where a container's logs go, from the task definition's `awslogs` configuration. */
export interface AwsLogsConfig {
  /** The CloudWatch Logs group. */
  group: string;
  /** The region of the log group (defaults to the cluster's). */
  region?: string;
  /** The stream prefix; streams are `prefix/container-name/task-id`. */
  streamPrefix?: string;
}

/** One container of a task definition. */
export interface ContainerDefinitionInfo {
  /** The container name. */
  name: string;
  /** The image reference. */
  image: string;
  /** True when the task stops if this container exits. */
  essential: boolean;
  /** Its awslogs configuration, when it logs to CloudWatch Logs. */
  logs?: AwsLogsConfig;
  /** Its hard memory limit in MiB (the container is killed above it), when set. */
  memory?: number;
  /** Its soft memory limit in MiB (what placement reserves), when set. */
  memoryReservation?: number;
  /** Its container health check command, such as `CMD-SHELL curl -f http://localhost/health`, when it has one. */
  healthCheck?: string[];
}

/** A task definition revision. */
export interface TaskDefinitionInfo {
  /** The task definition ARN. */
  arn: string;
  /** The family name. */
  family: string;
  /** The revision number. */
  revision: number;
  /** Its containers. */
  containers: ContainerDefinitionInfo[];
  /** Task-level CPU units (Fargate requires them), when set. */
  cpu?: number;
  /** Task-level memory in MiB (Fargate's hard limit for all containers together), when set. */
  memory?: number;
  /** ACTIVE, or INACTIVE once deregistered (ECS keeps those describable). */
  status?: string;
  /** When it was registered. */
  registeredAt?: number;
}

/** What to change on a service; only the given fields change. */
export interface ServiceUpdate {
  /** The new desired count. */
  desiredCount?: number;
  /** True to start a new deployment with the same task definition (a restart). */
  forceNewDeployment?: boolean;
  /** A task definition (ARN or family:revision) to deploy instead of the current one. */
  taskDefinition?: string;
}

/** Which tasks to list. */
export interface TaskQuery {
  /** Only tasks of this service. */
  serviceName?: string;
  /** RUNNING (the API's default) or STOPPED; stopped tasks stay listed for about an hour. */
  desiredStatus?: 'RUNNING' | 'STOPPED';
  /** Stop after this many ARNs (all pages otherwise). */
  limit?: number;
}

/**
 * The container platform (ECS). Batching and paging are the implementation's job:
 * callers pass any number of names or ARNs and get everything back.
 */
export interface ContainerService {
  /** The clusters of a region, with their counts. */
  listClusters(region: string): Promise<ClusterSummary[]>;
  /** The named clusters; names that do not exist come back in `failures`. */
  describeClusters(region: string, names: readonly string[]): Promise<Described<ClusterSummary>>;
  /** The ARNs of all services of a cluster, every page. Throws `cluster-not-found`. */
  listServices(target: ClusterTarget): Promise<string[]>;
  /**
   * The named services, in batches of 10 (the API's limit); services that do not
   * exist come back in `failures` with reason `MISSING` rather than as an error.
   */
  describeServices(target: ClusterTarget, names: readonly string[]): Promise<Described<ServiceSummary>>;
  /** Changes desired count and/or forces a new deployment; returns the service as ECS now reports it. */
  updateService(target: ClusterTarget, service: string, update: ServiceUpdate): Promise<ServiceSummary>;
  /**
   * Task ARNs of the cluster, every page (100 a page), by service and desired status.
   * The crash watcher lists `desiredStatus: 'STOPPED'` per cluster to find crashed tasks.
   */
  listTasks(target: ClusterTarget, query?: TaskQuery): Promise<string[]>;
  /**
   * The given tasks, in batches of 100 (the API's limit); unknown ones come back in `failures`.
   * The watcher passes only ARNs it has not seen, to keep calls few.
   */
  describeTasks(target: ClusterTarget, taskArns: readonly string[]): Promise<Described<TaskInfo>>;
  /** A task definition revision (family:revision or ARN), with each container's log configuration. */
  describeTaskDefinition(region: string, taskDefinition: string): Promise<TaskDefinitionInfo>;
  /** Stops one task, giving the reason ECS records as `stoppedReason`. */
  stopTask(target: ClusterTarget, task: string, reason: string): Promise<TaskInfo>;
  /**
   * Registers a new revision of `from` that differs only in the images of the named containers
   * (container name → image reference): every other field and its tags are copied, and none of the
   * fields ECS sets itself is sent back.
   */
  registerImageRevision(region: string, from: string, images: Readonly<Record<string, string>>): Promise<TaskDefinitionInfo>;
  /** Deregisters one revision (it stays describable as INACTIVE, as ECS keeps them). */
  deregisterTaskDefinition(region: string, taskDefinition: string): Promise<void>;
  /** The ARNs of a family's revisions with the given status (default ACTIVE), newest first, at most `limit`. */
  listTaskDefinitions(region: string, family: string, options?: { status?: 'ACTIVE' | 'INACTIVE'; limit?: number }): Promise<string[]>;
}

/** What went wrong in a call to the cloud, as a stable id. */
export type CloudErrorKind =
  | 'access-denied'
  | 'throttled'
  | 'cluster-not-found'
  | 'service-not-found'
  | 'task-not-found'
  | 'repository-not-found'
  | 'image-not-found'
  | 'log-group-not-found'
  | 'invalid-request'
  | 'unavailable';

/**
 * A failed cloud call the user can act on: which action, on what, and why. It is a
 * UserError (its id is the kind), so the dispatcher shows it as a clear message.
 */
export class CloudError extends UserError {
  /** What went wrong. */
  readonly kind: CloudErrorKind;
  /** The API action, such as `ecs:UpdateService`. */
  readonly action: string;
  /** The resource acted on (a name or ARN), when known. */
  readonly resource: string | undefined;

  constructor(kind: CloudErrorKind, action: string, message: string, options: { resource?: string; hint?: string; sandboxMessage?: string } = {}) {
    super(kind, message, options.hint);
    this.sandboxMessage = options.sandboxMessage;
    this.name = 'UserError';
    this.kind = kind;
    this.action = action;
    this.resource = options.resource;
  }
}

/** True when the value is a CloudError of the given kind (or of any kind when none is given). */
export function isCloudError(e: unknown, kind?: CloudErrorKind): e is CloudError {
  if (!(e instanceof CloudError)) return false;
  return kind === undefined || e.kind === kind;
}

/** The last part of an ARN (`arn:...:service/demo/web` → `web`), or the string itself. */
export function shortName(arnOrName: string): string {
  const i = arnOrName.lastIndexOf('/');
  return i >= 0 ? arnOrName.slice(i + 1) : arnOrName;
}
