/**
 * ECS operations (target prefix AmazonEC2ContainerServiceV20141113) with ECS's limits,
 * paging and error types.
 */
import type { SandboxState } from './state.ts';
import type { DeploymentRecord, TaskDefinitionRecord, TaskRecord } from './model.ts';
import {
  AwsError,
  decodeToken,
  encodeToken,
  invalidParameter,
  optBool,
  optInt,
  optString,
  optStringList,
  pageBySeq,
  pageSize,
  reqString,
} from './protocol.ts';
import type { JsonObject } from './protocol.ts';
import { clusterShape, serviceShape, taskDefinitionShape, taskShape } from './ecs-shapes.ts';
import { requestStop } from './lifecycle.ts';

/** One operation: request body in, response body out (or an AwsError thrown). */
export type Operation = (state: SandboxState, body: JsonObject) => JsonObject;

function listClusters(state: SandboxState, body: JsonObject): JsonObject {
  const limit = pageSize(body, 'maxResults', 100, 100);
  const { page, nextToken } = pageBySeq(state.clusters.values(), optString(body, 'nextToken'), limit);
  return withToken({ clusterArns: page.map((c) => c.arn) }, nextToken);
}

function describeClusters(state: SandboxState, body: JsonObject): JsonObject {
  const refs = optStringList(body, 'clusters') ?? ['default'];
  if (refs.length > 100) throw invalidParameter('clusters can have at most 100 items.');
  const clusters: JsonObject[] = [];
  const failures: JsonObject[] = [];
  for (const ref of refs) {
    const name = ref.startsWith('arn:') ? ref.slice(ref.indexOf('cluster/') + 8) : ref;
    const cluster = state.clusters.get(name);
    if (cluster) clusters.push(clusterShape(cluster));
    else failures.push({ arn: ref.startsWith('arn:') ? ref : state.arn('ecs', `cluster/${ref}`), reason: 'MISSING' });
  }
  return { clusters, failures };
}

function listServices(state: SandboxState, body: JsonObject): JsonObject {
  const cluster = state.cluster(optString(body, 'cluster'));
  const limit = pageSize(body, 'maxResults', 10, 100);
  const launchType = optString(body, 'launchType');
  const strategy = optString(body, 'schedulingStrategy');
  if (strategy !== undefined && strategy !== 'REPLICA' && strategy !== 'DAEMON') throw invalidParameter(`Invalid schedulingStrategy: ${strategy}`);
  const services = [...cluster.services.values()].filter(
    (s) => s.status !== 'INACTIVE' && (launchType === undefined || s.launchType === launchType) && strategy !== 'DAEMON',
  );
  const { page, nextToken } = pageBySeq(services, optString(body, 'nextToken'), limit);
  return withToken({ serviceArns: page.map((s) => s.arn) }, nextToken);
}

function describeServices(state: SandboxState, body: JsonObject): JsonObject {
  const cluster = state.cluster(optString(body, 'cluster'));
  const refs = optStringList(body, 'services');
  if (!refs || refs.length === 0) throw invalidParameter('Services cannot be empty.');
  if (refs.length > 10) throw invalidParameter('service names can have at most 10 items.');
  const services: JsonObject[] = [];
  const failures: JsonObject[] = [];
  for (const ref of refs) {
    const service = state.findService(cluster, ref);
    if (service) services.push(serviceShape(state, service));
    else failures.push({ arn: ref.startsWith('arn:') ? ref : state.arn('ecs', `service/${cluster.name}/${ref}`), reason: 'MISSING' });
  }
  return { services, failures };
}

function updateService(state: SandboxState, body: JsonObject): JsonObject {
  const cluster = state.cluster(optString(body, 'cluster'));
  const service = state.service(cluster, reqString(body, 'service'));
  if (service.status !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
  const desired = optInt(body, 'desiredCount');
  const tdRef = optString(body, 'taskDefinition');
  const force = optBool(body, 'forceNewDeployment') ?? false;
  if (desired !== undefined && desired < 0) throw invalidParameter('desiredCount must be greater than or equal to 0.');
  const td = tdRef !== undefined ? state.taskDefinition(tdRef) : undefined;
  if (td && td.status !== 'ACTIVE') throw new AwsError('ClientException', 'TaskDefinition is inactive');
  const now = state.clock.now();
  if (desired !== undefined) service.desiredCount = desired;
  const current = service.deployments[0];
  if (current) current.desiredCount = service.desiredCount;
  if (force || (td !== undefined && td.arn !== service.taskDefinitionArn)) {
    if (td) service.taskDefinitionArn = td.arn;
    const dep: DeploymentRecord = {
      id: state.deploymentId(),
      status: 'PRIMARY',
      taskDefinitionArn: service.taskDefinitionArn,
      desiredCount: service.desiredCount,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment in progress.',
    };
    for (const d of service.deployments) d.status = 'ACTIVE';
    service.deployments.unshift(dep);
    service.startFailures = 0;
    service.launchNotBefore = 0;
    service.steady = false;
  } else if (desired !== undefined) {
    service.steady = false;
    // A new scale-up gets a fresh launch attempt, as ECS resets its throttle on user action.
    service.launchNotBefore = 0;
  }
  return { service: serviceShape(state, service) };
}

function listTasks(state: SandboxState, body: JsonObject): JsonObject {
  const cluster = state.cluster(optString(body, 'cluster'));
  const limit = pageSize(body, 'maxResults', 100, 100);
  const serviceName = optString(body, 'serviceName');
  const family = optString(body, 'family');
  const startedBy = optString(body, 'startedBy');
  const launchType = optString(body, 'launchType');
  const desiredStatus = optString(body, 'desiredStatus') ?? 'RUNNING';
  if (!['RUNNING', 'PENDING', 'STOPPED'].includes(desiredStatus)) throw invalidParameter(`Invalid desiredStatus: ${desiredStatus}`);
  if (serviceName !== undefined && family !== undefined) {
    throw invalidParameter('family and serviceName cannot both be specified.');
  }
  let source: Iterable<TaskRecord> = cluster.tasks.values();
  if (serviceName !== undefined) {
    const service = state.findService(cluster, serviceName);
    if (!service) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    source = service.tasks;
  }
  const matches = filterIter(
    source,
    (t) =>
      t.desiredStatus === desiredStatus &&
      (family === undefined || t.taskDefinition.family === family) &&
      (startedBy === undefined || t.startedBy === startedBy) &&
      (launchType === undefined || t.launchType === launchType),
  );
  const { page, nextToken } = pageBySeq(matches, optString(body, 'nextToken'), limit);
  return withToken({ taskArns: page.map((t) => t.arn) }, nextToken);
}

function describeTasks(state: SandboxState, body: JsonObject): JsonObject {
  const cluster = state.cluster(optString(body, 'cluster'));
  const refs = optStringList(body, 'tasks');
  if (!refs || refs.length === 0) throw invalidParameter('Tasks cannot be empty.');
  if (refs.length > 100) throw invalidParameter('Tasks can have at most 100 items.');
  const tasks: JsonObject[] = [];
  const failures: JsonObject[] = [];
  for (const ref of refs) {
    const task = state.findTask(cluster, ref);
    if (task) tasks.push(taskShape(state, task));
    else failures.push({ arn: ref.startsWith('arn:') ? ref : state.arn('ecs', `task/${cluster.name}/${ref}`), reason: 'MISSING' });
  }
  return { tasks, failures };
}

function stopTask(state: SandboxState, body: JsonObject): JsonObject {
  const cluster = state.cluster(optString(body, 'cluster'));
  const task = state.findTask(cluster, reqString(body, 'task'));
  if (!task) throw invalidParameter('The referenced task was not found.');
  const reason = optString(body, 'reason');
  const at = state.clock.now();
  requestStop(task, at, 'UserInitiated', reason ?? 'Task stopped by user');
  state.taskChanged(task, at);
  return { task: taskShape(state, task) };
}

/** Tags come back only when asked for with `include: ["TAGS"]`, as the DescribeTaskDefinition reference says. */
function withTags(td: TaskDefinitionRecord, body: JsonObject): JsonObject {
  const include = optStringList(body, 'include') ?? [];
  if (include.some((i) => i !== 'TAGS')) throw invalidParameter(`Invalid include value: ${include.join(', ')}`);
  const out: JsonObject = { taskDefinition: taskDefinitionShape(td) };
  if (include.includes('TAGS')) out['tags'] = td.tags.map((t) => ({ key: t.key, value: t.value }));
  return out;
}

function describeTaskDefinition(state: SandboxState, body: JsonObject): JsonObject {
  const td = state.taskDefinition(reqString(body, 'taskDefinition', 'ClientException'));
  return withTags(td, body);
}

function registerTaskDefinition(state: SandboxState, body: JsonObject): JsonObject {
  const td = state.registerTaskDefinition(body);
  return { taskDefinition: taskDefinitionShape(td), tags: td.tags.map((t) => ({ key: t.key, value: t.value })) };
}

function deregisterTaskDefinition(state: SandboxState, body: JsonObject): JsonObject {
  const td = state.deregisterTaskDefinition(reqString(body, 'taskDefinition', 'ClientException'));
  return { taskDefinition: taskDefinitionShape(td) };
}

function listTaskDefinitions(state: SandboxState, body: JsonObject): JsonObject {
  const limit = pageSize(body, 'maxResults', 100, 100);
  const family = optString(body, 'familyPrefix');
  const status = optString(body, 'status') ?? 'ACTIVE';
  const sort = optString(body, 'sort') ?? 'ASC';
  if (sort !== 'ASC' && sort !== 'DESC') throw invalidParameter(`Invalid sort: ${sort}`);
  const all = [...state.taskDefinitions.values()]
    .flat()
    .filter((td) => td.status === status && (family === undefined || td.family === family))
    .sort((a, b) => (a.family < b.family ? -1 : a.family > b.family ? 1 : a.revision - b.revision));
  if (sort === 'DESC') all.reverse();
  const cursor = decodeToken(optString(body, 'nextToken'));
  const start = cursor === undefined ? 0 : Number(cursor['o']);
  if (!Number.isInteger(start) || start < 0) throw invalidParameter('Invalid token');
  const page = all.slice(start, start + limit);
  const next = start + limit < all.length ? encodeToken({ o: start + limit }) : undefined;
  return withToken({ taskDefinitionArns: page.map((td) => td.arn) }, next);
}

function* filterIter<T>(items: Iterable<T>, keep: (item: T) => boolean): Iterable<T> {
  for (const item of items) if (keep(item)) yield item;
}

function withToken(out: JsonObject, nextToken: string | undefined): JsonObject {
  if (nextToken !== undefined) out['nextToken'] = nextToken;
  return out;
}

/** The ECS operations the sandbox serves, by name. */
export const ecsOperations: Record<string, Operation> = {
  ListClusters: listClusters,
  DescribeClusters: describeClusters,
  ListServices: listServices,
  DescribeServices: describeServices,
  UpdateService: updateService,
  ListTasks: listTasks,
  DescribeTasks: describeTasks,
  StopTask: stopTask,
  DescribeTaskDefinition: describeTaskDefinition,
  RegisterTaskDefinition: registerTaskDefinition,
  DeregisterTaskDefinition: deregisterTaskDefinition,
  ListTaskDefinitions: listTaskDefinitions,
};
