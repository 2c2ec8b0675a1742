/**
 * The service scheduler: each tick moves tasks along their lifecycle, launches and stops
 * tasks so every service matches its desired count, rolls deployments forward, records
 * service events and forgets tasks that stopped over an hour ago.
 */
import type { SandboxState } from './state.ts';
import type { ClusterRecord, DeploymentRecord, ServiceRecord, TaskRecord } from './model.ts';
import { createTask, requestStop, stepTask } from './lifecycle.ts';

/** How long ECS keeps stopped tasks visible. */
export const STOPPED_TASK_RETENTION_MS = 60 * 60 * 1000;
const STEADY_REPEAT_MS = 6 * 60 * 60 * 1000;
const STABILIZE_AFTER_FAILURE_MS = 5 * 60 * 1000;
const UNABLE_EVENT_EVERY_MS = 10 * 60 * 1000;
/** A rollout completes (and a service is steady) once its new tasks have run this long without failures. */
export const STABILIZE_RUNNING_MS = 60 * 1000;

/** Runs one scheduler pass at sandbox time `now`. */
export function tick(state: SandboxState, now: number): void {
  for (const cluster of state.clusters.values()) {
    for (const task of cluster.tasks.values()) {
      if ((task.nextAt !== undefined && task.nextAt <= now) || (task.nextLogAt !== undefined && task.nextLogAt <= now)) {
        stepTask(state, task, now);
      }
    }
    for (const service of cluster.services.values()) reconcile(state, cluster, service, now);
    prune(cluster, now);
  }
}

function taskList(ids: TaskRecord[]): string {
  return ids.map((t) => `(task ${t.id})`).join(' ');
}

/** Orders tasks for stopping: ones not yet running first, then the most recently started. */
function stopOrder(a: TaskRecord, b: TaskRecord): number {
  const ar = a.lastStatus === 'RUNNING' ? 1 : 0;
  const br = b.lastStatus === 'RUNNING' ? 1 : 0;
  return ar - br || b.createdAt - a.createdAt || b.seq - a.seq;
}

function reconcile(state: SandboxState, cluster: ClusterRecord, service: ServiceRecord, now: number): void {
  if (service.status !== 'ACTIVE') return;
  const primary = service.deployments[0];
  if (!primary) return;
  const desired = service.desiredCount;
  primary.desiredCount = desired;

  const live = new Map<string, TaskRecord[]>();
  const lingering = new Set<string>();
  let totalLive = 0;
  for (const task of service.tasks) {
    const dep = task.deploymentId ?? '';
    if (task.lastStatus !== 'STOPPED') lingering.add(dep);
    if (task.desiredStatus !== 'RUNNING') continue;
    totalLive++;
    const list = live.get(dep);
    if (list) list.push(task);
    else live.set(dep, [task]);
  }
  const primaryLive = live.get(primary.id) ?? [];
  const primaryRunning = primaryLive.filter((t) => t.lastStatus === 'RUNNING').length;
  const primaryStable = primaryLive.every((t) => t.lastStatus === 'RUNNING' && (t.startedAt ?? now) <= now - STABILIZE_RUNNING_MS);

  if (primaryLive.length < desired && now >= service.launchNotBefore) {
    // maximumPercent 200: old and new tasks together never exceed twice the desired count.
    const room = Math.max(0, desired * 2 - totalLive);
    const n = Math.min(desired - primaryLive.length, room);
    if (n > 0) launch(state, cluster, service, primary, n, now);
    if (service.startFailures >= 3 && now - service.unableEventAt >= UNABLE_EVENT_EVERY_MS) {
      service.unableEventAt = now;
      state.addServiceEvent(
        service,
        `(service ${service.name}) is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`,
        now,
      );
    }
  } else if (primaryLive.length > desired) {
    const victims = [...primaryLive].sort(stopOrder).slice(0, primaryLive.length - desired);
    stopTasks(state, service, victims, primary, now);
  }

  // minimumHealthyPercent 100: an old task is stopped only once a new one runs in its place.
  const allowedOld = Math.max(0, desired - primaryRunning);
  const old = service.deployments.slice(1);
  let keep = allowedOld;
  for (const dep of old) {
    const tasks = [...(live.get(dep.id) ?? [])].sort(stopOrder).reverse();
    const kept = tasks.slice(0, keep);
    keep -= kept.length;
    const victims = tasks.slice(kept.length);
    if (victims.length > 0) stopTasks(state, service, victims, dep, now);
    dep.desiredCount = kept.length;
    if (kept.length > 0) lingering.add(dep.id);
  }
  const before = service.deployments.length;
  service.deployments = [primary, ...old.filter((d) => lingering.has(d.id) || (live.get(d.id)?.length ?? 0) > 0)];
  if (service.deployments.length !== before) primary.updatedAt = now;

  const settled = primaryLive.length === desired && primaryRunning === desired && service.deployments.length === 1;
  const stable = settled && (primaryStable || primary.rolloutState !== 'IN_PROGRESS');
  const calm = now - service.lastFailureAt >= STABILIZE_AFTER_FAILURE_MS || service.lastFailureAt === 0;
  if (stable && calm && primary.rolloutState === 'IN_PROGRESS') {
    primary.rolloutState = 'COMPLETED';
    primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
    primary.updatedAt = now;
    service.lastCompletedTaskDefinitionArn = primary.taskDefinitionArn;
    state.addServiceEvent(service, `(service ${service.name}) (deployment ${primary.id}) deployment completed.`, now);
  }
  if (service.circuitBreaker.enable && primary.rolloutState === 'IN_PROGRESS') {
    const threshold = Math.min(200, Math.max(3, Math.ceil(desired / 2)));
    if (primary.failedTasks >= threshold) {
      primary.rolloutState = 'FAILED';
      primary.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
      primary.updatedAt = now;
      state.addServiceEvent(service, `(service ${service.name}) (deployment ${primary.id}) deployment failed: tasks failed to start.`, now);
      rollBack(state, service, primary, now);
    }
  }
  const steady = settled && calm && primary.rolloutState !== 'IN_PROGRESS';
  if (steady && (!service.steady || now - service.steadyEventAt >= STEADY_REPEAT_MS)) {
    service.steadyEventAt = now;
    state.addServiceEvent(service, `(service ${service.name}) has reached a steady state.`, now);
  }
  service.steady = steady;
}

/**
 * With rollback on, a failed deployment is replaced by a new one of the last task definition that
 * completed ("the service is rolled back to the last deployment that completed successfully",
 * DeploymentCircuitBreaker in the ECS API reference). The failed one drains as an ACTIVE deployment.
 */
function rollBack(state: SandboxState, service: ServiceRecord, failed: DeploymentRecord, now: number): void {
  const target = service.lastCompletedTaskDefinitionArn;
  if (!service.circuitBreaker.rollback || target === undefined || target === failed.taskDefinitionArn) return;
  const dep: DeploymentRecord = {
    id: state.deploymentId(),
    status: 'PRIMARY',
    taskDefinitionArn: target,
    desiredCount: service.desiredCount,
    failedTasks: 0,
    createdAt: now,
    updatedAt: now,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: `ECS deployment circuit breaker: rolling back to ${target.slice(target.lastIndexOf('/') + 1)}.`,
  };
  failed.status = 'ACTIVE';
  service.deployments.unshift(dep);
  service.taskDefinitionArn = target;
  service.startFailures = 0;
  service.launchNotBefore = 0;
  service.steady = false;
  state.addServiceEvent(service, `(service ${service.name}) rolling back to ${target.slice(target.lastIndexOf('/') + 1)} (deployment ${dep.id}).`, now);
}

function launch(state: SandboxState, cluster: ClusterRecord, service: ServiceRecord, dep: DeploymentRecord, n: number, now: number): void {
  const td = state.taskDefinition(dep.taskDefinitionArn);
  const started: TaskRecord[] = [];
  for (let i = 0; i < n; i++) started.push(createTask(state, cluster, td, now, { service, deployment: dep }));
  dep.updatedAt = now;
  state.addServiceEvent(service, `(service ${service.name}) has started ${n} tasks: ${taskList(started)}.`, now);
}

function stopTasks(state: SandboxState, service: ServiceRecord, victims: TaskRecord[], dep: DeploymentRecord, now: number): void {
  const stopped = victims.filter((t) => requestStop(t, now, 'ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${dep.id})`));
  for (const t of stopped) state.taskChanged(t, now);
  if (stopped.length === 0) return;
  dep.updatedAt = now;
  state.addServiceEvent(service, `(service ${service.name}) has stopped ${stopped.length} running tasks: ${taskList(stopped)}.`, now);
}

function prune(cluster: ClusterRecord, now: number): void {
  for (const [id, task] of cluster.tasks) {
    if (task.lastStatus === 'STOPPED' && task.stoppedAt !== undefined && now - task.stoppedAt > STOPPED_TASK_RETENTION_MS) {
      cluster.tasks.delete(id);
      if (task.serviceName !== undefined) cluster.services.get(task.serviceName)?.tasks.delete(task);
    }
  }
}
