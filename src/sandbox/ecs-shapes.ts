/**
 * Renders sandbox records in ECS's JSON response shapes (field names as in the ECS API
 * reference; timestamps as epoch seconds).
 */
import type { SandboxState } from './state.ts';
import type { ClusterRecord, DeploymentRecord, ServiceRecord, TaskDefinitionRecord, TaskRecord } from './model.ts';
import { ts } from './protocol.ts';
import type { Json, JsonObject } from './protocol.ts';

/** Drops undefined fields so the JSON carries only what AWS would send. */
function clean(o: { [key: string]: Json | undefined }): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/** A Cluster object as DescribeClusters returns it. */
export function clusterShape(cluster: ClusterRecord): JsonObject {
  let running = 0;
  let pending = 0;
  for (const t of cluster.tasks.values()) {
    if (t.lastStatus === 'RUNNING') running++;
    else if (t.desiredStatus === 'RUNNING') pending++;
  }
  let active = 0;
  for (const s of cluster.services.values()) if (s.status === 'ACTIVE') active++;
  return {
    clusterArn: cluster.arn,
    clusterName: cluster.name,
    status: 'ACTIVE',
    registeredContainerInstancesCount: 0,
    runningTasksCount: running,
    pendingTasksCount: pending,
    activeServicesCount: active,
    statistics: [],
    tags: [],
    settings: [{ name: 'containerInsights', value: 'disabled' }],
    capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    defaultCapacityProviderStrategy: [],
  };
}

function networkConfiguration(): JsonObject {
  return {
    awsvpcConfiguration: {
      subnets: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
      securityGroups: ['sg-0123456789abcdef0'],
      assignPublicIp: 'DISABLED',
    },
  };
}

function deploymentShape(service: ServiceRecord, dep: DeploymentRecord): JsonObject {
  let running = 0;
  let pending = 0;
  for (const t of service.tasks) {
    if (t.deploymentId !== dep.id || t.desiredStatus !== 'RUNNING') continue;
    if (t.lastStatus === 'RUNNING') running++;
    else pending++;
  }
  return clean({
    id: dep.id,
    status: dep.status,
    taskDefinition: dep.taskDefinitionArn,
    desiredCount: dep.desiredCount,
    pendingCount: pending,
    runningCount: running,
    failedTasks: dep.failedTasks,
    createdAt: ts(dep.createdAt),
    updatedAt: ts(dep.updatedAt),
    launchType: service.launchType,
    platformVersion: service.launchType === 'FARGATE' ? '1.4.0' : undefined,
    platformFamily: service.launchType === 'FARGATE' ? 'Linux' : undefined,
    networkConfiguration: networkConfiguration(),
    rolloutState: dep.rolloutState,
    rolloutStateReason: dep.rolloutStateReason || undefined,
  });
}

/** A Service object as DescribeServices and UpdateService return it. */
export function serviceShape(state: SandboxState, service: ServiceRecord): JsonObject {
  let running = 0;
  let pending = 0;
  for (const t of service.tasks) {
    if (t.desiredStatus !== 'RUNNING') continue;
    if (t.lastStatus === 'RUNNING') running++;
    else pending++;
  }
  const cluster = state.clusters.get(service.clusterName);
  return clean({
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: cluster?.arn,
    loadBalancers: [],
    serviceRegistries: [],
    status: service.status,
    desiredCount: service.desiredCount,
    runningCount: running,
    pendingCount: pending,
    launchType: service.launchType,
    platformVersion: service.launchType === 'FARGATE' ? 'LATEST' : undefined,
    platformFamily: service.launchType === 'FARGATE' ? 'Linux' : undefined,
    taskDefinition: service.taskDefinitionArn,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { ...service.circuitBreaker },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    deployments: service.deployments.map((d) => deploymentShape(service, d)),
    roleArn: `arn:aws:iam::${state.accountId}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`,
    events: service.events.map((e) => ({ id: e.id, createdAt: e.createdAt / 1000, message: e.message })),
    createdAt: ts(service.createdAt),
    placementConstraints: [],
    placementStrategy: [],
    networkConfiguration: networkConfiguration(),
    healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds,
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    createdBy: service.createdBy,
    enableECSManagedTags: true,
    propagateTags: 'NONE',
    enableExecuteCommand: false,
    availabilityZoneRebalancing: 'ENABLED',
  });
}

/** A Task object as DescribeTasks and StopTask return it. */
export function taskShape(state: SandboxState, task: TaskRecord): JsonObject {
  const cluster = state.clusters.get(task.clusterName);
  const eni = `eni-${task.id.slice(0, 17)}`;
  return clean({
    attachments: [
      {
        id: `${task.id.slice(0, 8)}-${task.id.slice(8, 12)}-${task.id.slice(12, 16)}-${task.id.slice(16, 20)}-${task.id.slice(20, 32)}`,
        type: 'ElasticNetworkInterface',
        status: task.lastStatus === 'STOPPED' ? 'DELETED' : task.lastStatus === 'RUNNING' ? 'ATTACHED' : 'PRECREATED',
        details: [
          { name: 'subnetId', value: 'subnet-0a1b2c3d4e5f60718' },
          { name: 'networkInterfaceId', value: eni },
          { name: 'privateIPv4Address', value: task.privateIp },
        ],
      },
    ],
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: task.availabilityZone,
    clusterArn: cluster?.arn,
    connectivity: task.connectivityAt !== undefined ? 'CONNECTED' : undefined,
    connectivityAt: ts(task.connectivityAt),
    containers: task.containers.map((c) =>
      clean({
        containerArn: c.arn,
        taskArn: task.arn,
        name: c.name,
        image: c.image,
        imageDigest: c.imageDigest,
        runtimeId: c.runtimeId,
        lastStatus: c.lastStatus,
        exitCode: c.exitCode,
        reason: c.reason,
        networkBindings: [],
        networkInterfaces: [{ attachmentId: task.id, privateIpv4Address: task.privateIp }],
        healthStatus: c.healthStatus,
        cpu: c.cpu,
        memory: c.memory,
      }),
    ),
    cpu: task.cpu,
    createdAt: ts(task.createdAt),
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: false,
    executionStoppedAt: ts(task.executionStoppedAt),
    group: task.group,
    healthStatus: task.healthStatus,
    lastStatus: task.lastStatus,
    launchType: task.launchType,
    memory: task.memory,
    overrides: { containerOverrides: task.containers.map((c) => ({ name: c.name })), inferenceAcceleratorOverrides: [] },
    platformVersion: task.launchType === 'FARGATE' ? '1.4.0' : undefined,
    platformFamily: task.launchType === 'FARGATE' ? 'Linux' : undefined,
    pullStartedAt: ts(task.pullStartedAt),
    pullStoppedAt: ts(task.pullStoppedAt),
    startedAt: ts(task.startedAt),
    startedBy: task.startedBy,
    stopCode: task.stopCode,
    stoppedAt: ts(task.stoppedAt),
    stoppedReason: task.stoppedReason,
    stoppingAt: ts(task.stoppingAt),
    tags: [],
    taskArn: task.arn,
    taskDefinitionArn: task.taskDefinition.arn,
    version: task.version,
    ephemeralStorage: { sizeInGiB: 20 },
  });
}

/** A TaskDefinition object: the registered fields plus what ECS adds. */
export function taskDefinitionShape(td: TaskDefinitionRecord): JsonObject {
  const body = td.body;
  const requires = Array.isArray(body['requiresCompatibilities']) ? body['requiresCompatibilities'] : ['EC2'];
  return clean({
    taskDefinitionArn: td.arn,
    containerDefinitions: body['containerDefinitions'],
    family: td.family,
    taskRoleArn: body['taskRoleArn'],
    executionRoleArn: body['executionRoleArn'],
    networkMode: body['networkMode'] ?? 'bridge',
    revision: td.revision,
    volumes: body['volumes'] ?? [],
    status: td.status,
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }, { name: 'ecs.capability.task-eni' }],
    placementConstraints: body['placementConstraints'] ?? [],
    compatibilities: ['EC2', 'FARGATE'],
    runtimePlatform: body['runtimePlatform'],
    requiresCompatibilities: requires,
    cpu: body['cpu'],
    memory: body['memory'],
    pidMode: body['pidMode'],
    ipcMode: body['ipcMode'],
    proxyConfiguration: body['proxyConfiguration'],
    inferenceAccelerators: body['inferenceAccelerators'],
    ephemeralStorage: body['ephemeralStorage'],
    enableFaultInjection: body['enableFaultInjection'],
    registeredAt: ts(td.registeredAt),
    deregisteredAt: ts(td.deregisteredAt),
    registeredBy: 'arn:aws:iam::' + td.arn.split(':')[4] + ':role/dockhand-deployer',
  });
}
