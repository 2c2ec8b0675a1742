/**
 * One task's path through ECS's lifecycle (PROVISIONING → … → RUNNING → … → STOPPED),
 * its planned failures, and the log lines it writes on the way.
 */
import type { SandboxState } from './state.ts';
import type {
  ClusterRecord,
  DeploymentRecord,
  ServiceRecord,
  StopCode,
  TaskContainerRecord,
  TaskDefinitionRecord,
  TaskRecord,
} from './model.ts';
import type { Json } from './protocol.ts';
import { crashLines, runningLines, startupLines } from './app-logs.ts';

/** Sandbox milliseconds each lifecycle step takes. */
export const STEP_MS = {
  provisioning: 2_000,
  pull: 4_000,
  activating: 1_500,
  deactivating: 1_000,
  stopping: 2_000,
  deprovisioning: 2_000,
} as const;

const DEFAULT_RUN_MS = 40_000;
/** The reason ECS gives for an out-of-memory kill. */
export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';

function obj(v: Json | undefined): { [key: string]: Json } | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
}

function serviceOf(state: SandboxState, task: TaskRecord): ServiceRecord | undefined {
  return task.serviceName === undefined ? undefined : state.clusters.get(task.clusterName)?.services.get(task.serviceName);
}

function deploymentOf(service: ServiceRecord | undefined, task: TaskRecord): DeploymentRecord | undefined {
  return service?.deployments.find((d) => d.id === task.deploymentId);
}

/** Creates a task in PROVISIONING and files it under its cluster (and service). */
export function createTask(
  state: SandboxState,
  cluster: ClusterRecord,
  td: TaskDefinitionRecord,
  at: number,
  opts: { service?: ServiceRecord; deployment?: DeploymentRecord; startedBy?: string; group?: string } = {},
): TaskRecord {
  const id = state.rng.hex(32);
  const defs = Array.isArray(td.body['containerDefinitions']) ? td.body['containerDefinitions'] : [];
  const containers: TaskContainerRecord[] = [];
  for (const raw of defs) {
    const def = obj(raw);
    if (!def) continue;
    const name = String(def['name']);
    const container: TaskContainerRecord = {
      arn: state.arn('ecs', `container/${cluster.name}/${id}/${state.rng.uuid()}`),
      name,
      image: String(def['image']),
      essential: def['essential'] !== false,
      lastStatus: 'PENDING',
      cpu: String(typeof def['cpu'] === 'number' ? def['cpu'] : 0),
    };
    if (typeof def['memory'] === 'number') container.memory = String(def['memory']);
    const logConf = obj(def['logConfiguration']);
    const options = obj(logConf?.['options']);
    if (logConf?.['logDriver'] === 'awslogs' && options && typeof options['awslogs-group'] === 'string') {
      const prefix = typeof options['awslogs-stream-prefix'] === 'string' ? options['awslogs-stream-prefix'] : '';
      container.log = { group: options['awslogs-group'], stream: prefix ? `${prefix}/${name}/${id}` : id };
    }
    if (obj(def['healthCheck'])) container.healthStatus = 'UNKNOWN';
    containers.push(container);
  }
  const service = opts.service;
  const task: TaskRecord = {
    seq: state.nextSeq(),
    id,
    arn: state.arn('ecs', `task/${cluster.name}/${id}`),
    clusterName: cluster.name,
    taskDefinition: td,
    group: opts.group ?? (service ? `service:${service.name}` : `family:${td.family}`),
    lastStatus: 'PROVISIONING',
    desiredStatus: 'RUNNING',
    createdAt: at,
    healthStatus: 'UNKNOWN',
    containers,
    version: 1,
    cpu: typeof td.body['cpu'] === 'string' ? td.body['cpu'] : '256',
    memory: typeof td.body['memory'] === 'string' ? td.body['memory'] : '512',
    availabilityZone: `${state.region}${state.rng.pick(['a', 'b', 'c'])}`,
    privateIp: `10.0.${state.rng.int(0, 3)}.${state.rng.int(2, 250)}`,
    launchType: service?.launchType ?? 'FARGATE',
    nextAt: at + STEP_MS.provisioning,
    // Pulls follow ECR: a tag or digest its repository does not have fails like a failure mode does.
    failPull: service?.failure.kind === 'image-pull' || state.unpullableImage(td) !== undefined,
    logStyle: service?.logStyle ?? 'quiet',
    logCount: 0,
  };
  if (service) {
    task.serviceName = service.name;
    if (opts.deployment) task.deploymentId = opts.deployment.id;
    task.startedBy = opts.deployment?.id;
    service.tasks.add(task);
  } else if (opts.startedBy !== undefined) {
    task.startedBy = opts.startedBy;
  }
  cluster.tasks.set(id, task);
  state.taskChanged(task, at);
  return task;
}

/** Brings a task to RUNNING at `at`: containers start, logs begin, failures are planned. */
export function startRunning(state: SandboxState, task: TaskRecord, at: number): void {
  task.connectivityAt ??= at;
  task.pullStartedAt ??= at;
  task.pullStoppedAt ??= at;
  task.lastStatus = 'RUNNING';
  task.startedAt = at;
  task.version++;
  const hasHealthCheck = task.containers.some((c) => c.healthStatus !== undefined);
  task.healthStatus = hasHealthCheck ? 'HEALTHY' : 'UNKNOWN';
  for (const c of task.containers) {
    c.lastStatus = 'RUNNING';
    c.runtimeId = `${task.id}-${state.rng.digits(10)}`;
    const digest = state.resolveImage(c.image);
    if (digest) c.imageDigest = digest;
    if (c.healthStatus !== undefined) c.healthStatus = 'HEALTHY';
  }
  const service = serviceOf(state, task);
  const failure = service?.failure ?? { kind: 'healthy' };
  delete task.plannedExit;
  delete task.nextAt;
  if (failure.kind === 'crash' || failure.kind === 'oom' || failure.kind === 'health-check') {
    const base = failure.runMs ?? DEFAULT_RUN_MS;
    const exitAt = at + Math.max(1_000, Math.round(base * (0.9 + state.rng.next() * 0.2)));
    if (failure.kind === 'crash' && service) {
      const nth = service.crashCount + 1;
      const oom = failure.oomEvery !== undefined && failure.oomEvery > 0 && nth % failure.oomEvery === 0;
      service.crashCount = nth;
      const oomAt = failure.oomRunMs === undefined ? exitAt : at + Math.max(1_000, Math.round(failure.oomRunMs * (0.9 + state.rng.next() * 0.2)));
      task.plannedExit = oom ? { at: oomAt, kind: 'oom', exitCode: 137 } : { at: exitAt, kind: 'crash', exitCode: failure.exitCode ?? 1 };
    } else if (failure.kind === 'oom') {
      task.plannedExit = { at: exitAt, kind: 'oom', exitCode: 137 };
    } else {
      task.plannedExit = { at: exitAt, kind: 'health-check', exitCode: 143 };
    }
    task.nextAt = task.plannedExit.at;
  }
  writeLines(state, task, at, startupLines(task.logStyle, at, task.containers[0]?.image ?? ''));
  // Tasks without awslogs skip line generation entirely, which keeps 10,000-task sandboxes cheap.
  if (task.logStyle !== 'quiet' && task.containers.some((c) => c.log)) task.nextLogAt = at + state.rng.int(2_000, 6_000);
  else delete task.nextLogAt;
  state.taskChanged(task, at);
}

/** Writes lines to the essential container's stream, one millisecond apart. */
function writeLines(state: SandboxState, task: TaskRecord, at: number, lines: string[]): void {
  if (lines.length === 0) return;
  const container = task.containers.find((c) => c.essential && c.log) ?? task.containers.find((c) => c.log);
  if (!container?.log) return;
  state.putLogEvents(
    container.log.group,
    container.log.stream,
    lines.map((message, i) => ({ timestamp: at + i, message })),
  );
  task.logCount += lines.length;
}

/**
 * Asks a task to stop (scale-down, deployment, StopTask). A running task drains through
 * DEACTIVATING and STOPPING; one that never started goes straight to DEPROVISIONING.
 */
export function requestStop(task: TaskRecord, at: number, stopCode: StopCode, reason: string): boolean {
  if (task.desiredStatus === 'STOPPED') return false;
  task.desiredStatus = 'STOPPED';
  task.stopCode = stopCode;
  task.stoppedReason = reason;
  task.stoppingAt = at;
  delete task.plannedExit;
  task.version++;
  if (task.lastStatus === 'RUNNING') {
    task.lastStatus = 'DEACTIVATING';
    task.nextAt = at + STEP_MS.deactivating;
  } else {
    task.lastStatus = 'DEPROVISIONING';
    task.executionStoppedAt = at;
    for (const c of task.containers) c.lastStatus = 'STOPPED';
    task.nextAt = at + STEP_MS.deprovisioning;
  }
  return true;
}

/** Applies every lifecycle step (and log line) of a task that is due by `now`. */
export function stepTask(state: SandboxState, task: TaskRecord, now: number): void {
  for (;;) {
    const logDue = task.lastStatus === 'RUNNING' && task.nextLogAt !== undefined && task.nextLogAt <= now;
    const stepDue = task.nextAt !== undefined && task.nextAt <= now;
    if (logDue && (!stepDue || (task.nextLogAt ?? 0) < (task.nextAt ?? 0))) {
      const at = task.nextLogAt ?? now;
      writeLines(state, task, at, runningLines(task.logStyle, at, state.rng));
      task.nextLogAt = at + state.rng.int(2_000, 6_000);
      continue;
    }
    if (!stepDue || task.nextAt === undefined) return;
    step(state, task, task.nextAt);
  }
}

function step(state: SandboxState, task: TaskRecord, at: number): void {
  advance(state, task, at);
  state.taskChanged(task, at);
}

function advance(state: SandboxState, task: TaskRecord, at: number): void {
  const service = serviceOf(state, task);
  task.version++;
  switch (task.lastStatus) {
    case 'PROVISIONING':
      task.lastStatus = 'PENDING';
      task.connectivityAt = at;
      task.pullStartedAt = at;
      task.nextAt = at + STEP_MS.pull;
      return;
    case 'PENDING':
      if (task.failPull) return failToStart(state, task, service, at);
      task.pullStoppedAt = at;
      task.lastStatus = 'ACTIVATING';
      task.nextAt = at + STEP_MS.activating;
      return;
    case 'ACTIVATING':
      if (service) service.startFailures = 0;
      return startRunning(state, task, at);
    case 'RUNNING':
      return exitPlanned(state, task, service, at);
    case 'DEACTIVATING':
      task.lastStatus = 'STOPPING';
      task.nextAt = at + STEP_MS.stopping;
      return;
    case 'STOPPING':
      task.lastStatus = 'DEPROVISIONING';
      task.executionStoppedAt ??= at;
      for (const c of task.containers) {
        if (c.lastStatus === 'RUNNING') c.exitCode ??= 0;
        c.lastStatus = 'STOPPED';
      }
      task.nextAt = at + STEP_MS.deprovisioning;
      return;
    case 'DEPROVISIONING':
      task.lastStatus = 'STOPPED';
      task.stoppedAt = at;
      delete task.nextAt;
      return;
    case 'STOPPED':
      delete task.nextAt;
      return;
  }
}

function failToStart(state: SandboxState, task: TaskRecord, service: ServiceRecord | undefined, at: number): void {
  const image = state.unpullableImage(task.taskDefinition) ?? task.containers[0]?.image ?? 'unknown';
  const reason = `CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref ${image}: ${image}: not found`;
  task.pullStoppedAt = at;
  for (const c of task.containers) c.reason = reason;
  requestStop(task, at, 'TaskFailedToStart', reason);
  if (service) {
    service.startFailures++;
    service.lastFailureAt = at;
    const dep = deploymentOf(service, task);
    if (dep) dep.failedTasks++;
    // ECS throttles launches of a service whose tasks keep failing to start.
    service.launchNotBefore = at + Math.min(10_000 * 2 ** (service.startFailures - 1), 120_000);
  }
}

function exitPlanned(state: SandboxState, task: TaskRecord, service: ServiceRecord | undefined, at: number): void {
  const plan = task.plannedExit;
  if (!plan) {
    delete task.nextAt;
    return;
  }
  writeLines(state, task, at - 5, crashLines(plan.kind, task.logStyle, at - 5));
  const dep = deploymentOf(service, task);
  if (dep) dep.failedTasks++;
  if (service) service.lastFailureAt = at;
  if (plan.kind === 'health-check') {
    task.healthStatus = 'UNHEALTHY';
    for (const c of task.containers) {
      if (c.healthStatus !== undefined) c.healthStatus = 'UNHEALTHY';
      if (c.essential) c.exitCode = plan.exitCode;
    }
    if (service) state.addServiceEvent(service, `(service ${service.name}) (task ${task.id}) failed container health checks.`, at);
    requestStop(task, at, 'ServiceSchedulerInitiated', 'Task failed container health checks');
    return;
  }
  const essential = task.containers.find((c) => c.essential) ?? task.containers[0];
  for (const c of task.containers) {
    c.lastStatus = 'STOPPED';
    if (c === essential) {
      c.exitCode = plan.exitCode;
      if (plan.kind === 'oom') c.reason = OOM_REASON;
    } else {
      c.exitCode = 0;
    }
  }
  task.desiredStatus = 'STOPPED';
  task.stopCode = 'EssentialContainerExited';
  task.stoppedReason = 'Essential container in task exited';
  task.stoppingAt = at;
  task.executionStoppedAt = at;
  task.lastStatus = 'STOPPING';
  task.nextAt = at + STEP_MS.stopping;
  delete task.plannedExit;
}
