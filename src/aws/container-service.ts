import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  DeregisterTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  paginateListClusters,
  paginateListServices,
  paginateListTaskDefinitions,
  paginateListTasks,
  type Cluster,
  type ContainerDefinition,
  type Failure,
  type Service,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import {
  CloudError,
  shortName,
  type ClusterSummary,
  type ClusterTarget,
  type ContainerService,
  type Described,
  type DescribeFailure,
  type RolloutState,
  type ServiceSummary,
  type ServiceUpdate,
  type TaskDefinitionInfo,
  type TaskInfo,
  type TaskQuery,
  type ContainerDefinitionInfo,
} from '../ports/container-service.ts';
import { chunks, mapLimited, ms } from './batch.ts';
import { clientConfig, RegionalClients, type AwsClientOptions } from './clients.ts';
import { call } from './errors.ts';

/** DescribeServices takes at most 10 services a call. */
const SERVICES_PER_CALL = 10;
/** DescribeTasks takes at most 100 tasks a call. */
const TASKS_PER_CALL = 100;
/** DescribeClusters takes at most 100 clusters a call. */
const CLUSTERS_PER_CALL = 100;
/** Batches in flight at once, so a big cluster does not burst the account's API quota. */
const PARALLEL = 3;

function failures(list: Failure[] | undefined): DescribeFailure[] {
  return (list ?? []).map((f) => ({
    arn: f.arn ?? '',
    reason: f.reason ?? 'UNKNOWN',
    ...(f.detail ? { detail: f.detail } : {}),
  }));
}

function toCluster(c: Cluster): ClusterSummary {
  return {
    name: c.clusterName ?? shortName(c.clusterArn ?? ''),
    arn: c.clusterArn ?? '',
    status: c.status ?? 'UNKNOWN',
    activeServicesCount: c.activeServicesCount ?? 0,
    runningTasksCount: c.runningTasksCount ?? 0,
    pendingTasksCount: c.pendingTasksCount ?? 0,
  };
}

function toService(s: Service): ServiceSummary {
  return {
    name: s.serviceName ?? shortName(s.serviceArn ?? ''),
    arn: s.serviceArn ?? '',
    clusterArn: s.clusterArn ?? '',
    status: s.status ?? 'UNKNOWN',
    desiredCount: s.desiredCount ?? 0,
    runningCount: s.runningCount ?? 0,
    pendingCount: s.pendingCount ?? 0,
    taskDefinition: s.taskDefinition ?? s.deployments?.find((d) => d.status === 'PRIMARY')?.taskDefinition ?? '',
    ...(s.launchType ? { launchType: s.launchType } : {}),
    deployments: (s.deployments ?? []).map((d) => ({
      id: d.id ?? '',
      status: d.status ?? 'UNKNOWN',
      taskDefinition: d.taskDefinition ?? '',
      desiredCount: d.desiredCount ?? 0,
      runningCount: d.runningCount ?? 0,
      pendingCount: d.pendingCount ?? 0,
      failedTasks: d.failedTasks ?? 0,
      ...(d.rolloutState ? { rolloutState: d.rolloutState as RolloutState } : {}),
      ...(d.rolloutStateReason ? { rolloutStateReason: d.rolloutStateReason } : {}),
      ...(d.createdAt ? { createdAt: d.createdAt.getTime() } : {}),
      ...(d.updatedAt ? { updatedAt: d.updatedAt.getTime() } : {}),
    })),
    events: (s.events ?? []).map((e) => ({
      id: e.id ?? '',
      createdAt: ms(e.createdAt) ?? 0,
      message: e.message ?? '',
    })),
    ...(s.createdAt ? { createdAt: s.createdAt.getTime() } : {}),
    ...(s.deploymentConfiguration?.deploymentCircuitBreaker
      ? { circuitBreaker: { enable: s.deploymentConfiguration.deploymentCircuitBreaker.enable ?? false, rollback: s.deploymentConfiguration.deploymentCircuitBreaker.rollback ?? false } }
      : {}),
  };
}

function toTask(t: Task): TaskInfo {
  const arn = t.taskArn ?? '';
  const opt = <K extends string, V>(k: K, v: V | undefined | null): Partial<Record<K, V>> =>
    v === undefined || v === null ? {} : ({ [k]: v } as Record<K, V>);
  return {
    arn,
    id: shortName(arn),
    clusterArn: t.clusterArn ?? '',
    taskDefinition: t.taskDefinitionArn ?? '',
    ...opt('group', t.group),
    ...opt('startedBy', t.startedBy),
    lastStatus: t.lastStatus ?? 'UNKNOWN',
    desiredStatus: t.desiredStatus ?? 'UNKNOWN',
    ...opt('stopCode', t.stopCode),
    ...opt('stoppedReason', t.stoppedReason),
    ...opt('createdAt', ms(t.createdAt)),
    ...opt('startedAt', ms(t.startedAt)),
    ...opt('stoppingAt', ms(t.stoppingAt)),
    ...opt('stoppedAt', ms(t.stoppedAt)),
    ...opt('launchType', t.launchType),
    containers: (t.containers ?? []).map((c) => ({
      name: c.name ?? '',
      ...opt('image', c.image),
      ...opt('imageDigest', c.imageDigest),
      ...opt('lastStatus', c.lastStatus),
      ...opt('exitCode', c.exitCode),
      ...opt('reason', c.reason),
      ...opt('healthStatus', c.healthStatus),
    })),
  };
}

function numeric(v: string | undefined): number | undefined {
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function toContainerDefinition(c: ContainerDefinition, region: string): ContainerDefinitionInfo {
  const lc = c.logConfiguration;
  const group = lc?.logDriver === 'awslogs' ? lc.options?.['awslogs-group'] : undefined;
  return {
    name: c.name ?? '',
    image: c.image ?? '',
    essential: c.essential ?? true,
    ...(c.memory !== undefined ? { memory: c.memory } : {}),
    ...(c.memoryReservation !== undefined ? { memoryReservation: c.memoryReservation } : {}),
    ...(c.healthCheck?.command?.length ? { healthCheck: c.healthCheck.command } : {}),
    ...(group
      ? {
          logs: {
            group,
            region: lc?.options?.['awslogs-region'] ?? region,
            ...(lc?.options?.['awslogs-stream-prefix'] ? { streamPrefix: lc.options['awslogs-stream-prefix'] } : {}),
          },
        }
      : {}),
  };
}

function toTaskDefinition(td: TaskDefinition, fallbackArn: string, region: string): TaskDefinitionInfo {
  return {
    arn: td.taskDefinitionArn ?? fallbackArn,
    family: td.family ?? '',
    revision: td.revision ?? 0,
    containers: (td.containerDefinitions ?? []).map((c) => toContainerDefinition(c, region)),
    // ECS returns task-level sizes as strings ("512"); "0.5 vCPU" forms only appear on input.
    ...(numeric(td.cpu) !== undefined ? { cpu: numeric(td.cpu) } : {}),
    ...(numeric(td.memory) !== undefined ? { memory: numeric(td.memory) } : {}),
    ...(td.status ? { status: td.status } : {}),
    ...(td.registeredAt ? { registeredAt: td.registeredAt.getTime() } : {}),
  };
}

/** ContainerService on Amazon ECS through the AWS SDK v3 (or anything that speaks its protocol). */
export class SdkContainerService implements ContainerService {
  private readonly clients: RegionalClients<ECSClient>;

  /** Builds one ECS client per region on first use, with the given endpoint and credentials. */
  constructor(options: AwsClientOptions = {}) {
    this.clients = new RegionalClients((region) => new ECSClient(clientConfig(region, options)), options);
  }

  /** The clusters of a region, with their counts. */
  async listClusters(region: string): Promise<ClusterSummary[]> {
    const site = { action: 'ecs:ListClusters', region };
    const arns = await call(site, async () => {
      const all: string[] = [];
      for await (const page of paginateListClusters({ client: this.clients.get(region), pageSize: 100 }, {})) {
        all.push(...(page.clusterArns ?? []));
      }
      return all;
    });
    return (await this.describeClusters(region, arns)).items;
  }

  /** The named clusters, 100 a call; unknown ones come back in `failures`. */
  async describeClusters(region: string, names: readonly string[]): Promise<Described<ClusterSummary>> {
    const client = this.clients.get(region);
    const pages = await mapLimited(chunks(names, CLUSTERS_PER_CALL), PARALLEL, (batch) =>
      call({ action: 'ecs:DescribeClusters', region }, () => client.send(new DescribeClustersCommand({ clusters: batch }))),
    );
    return {
      items: pages.flatMap((p) => (p.clusters ?? []).map(toCluster)),
      failures: pages.flatMap((p) => failures(p.failures)),
    };
  }

  /** The ARNs of all services of a cluster, every page. */
  async listServices(target: ClusterTarget): Promise<string[]> {
    const site = { action: 'ecs:ListServices', region: target.region, resource: `cluster ${target.cluster}`, cluster: target.cluster };
    return call(site, async () => {
      const all: string[] = [];
      const pages = paginateListServices({ client: this.clients.get(target.region), pageSize: 100 }, { cluster: target.cluster });
      for await (const page of pages) all.push(...(page.serviceArns ?? []));
      return all;
    }, 'cluster-not-found');
  }

  /** The named services, 10 a call; missing ones come back in `failures` with reason MISSING. */
  async describeServices(target: ClusterTarget, names: readonly string[]): Promise<Described<ServiceSummary>> {
    const client = this.clients.get(target.region);
    const pages = await mapLimited(chunks(names, SERVICES_PER_CALL), PARALLEL, (batch) =>
      call(
        { action: 'ecs:DescribeServices', region: target.region, resource: `cluster ${target.cluster}`, cluster: target.cluster },
        () => client.send(new DescribeServicesCommand({ cluster: target.cluster, services: batch })),
        'cluster-not-found',
      ),
    );
    return {
      items: pages.flatMap((p) => (p.services ?? []).map(toService)),
      failures: pages.flatMap((p) => failures(p.failures)),
    };
  }

  /** Changes desired count and/or forces a new deployment. */
  async updateService(target: ClusterTarget, service: string, update: ServiceUpdate): Promise<ServiceSummary> {
    const out = await call(
      { action: 'ecs:UpdateService', region: target.region, resource: `service ${service} in cluster ${target.cluster}`, cluster: target.cluster, name: service },
      () =>
        this.clients.get(target.region).send(
          new UpdateServiceCommand({
            cluster: target.cluster,
            service,
            ...(update.desiredCount !== undefined ? { desiredCount: update.desiredCount } : {}),
            ...(update.forceNewDeployment ? { forceNewDeployment: true } : {}),
            ...(update.taskDefinition !== undefined ? { taskDefinition: update.taskDefinition } : {}),
          }),
        ),
      'service-not-found',
    );
    if (!out.service) {
      throw new CloudError('service-not-found', 'ecs:UpdateService', `ECS returned no service '${service}' in ${target.cluster}.`, {
        resource: service,
      });
    }
    return toService(out.service);
  }

  /** Task ARNs, every page, by service and desired status. */
  async listTasks(target: ClusterTarget, query: TaskQuery = {}): Promise<string[]> {
    const site = {
      action: 'ecs:ListTasks',
      region: target.region,
      resource: query.serviceName ? `service ${query.serviceName} in cluster ${target.cluster}` : `cluster ${target.cluster}`,
      cluster: target.cluster,
      ...(query.serviceName ? { name: query.serviceName } : {}),
    };
    return call(site, async () => {
      const all: string[] = [];
      const pages = paginateListTasks(
        { client: this.clients.get(target.region), pageSize: 100 },
        {
          cluster: target.cluster,
          ...(query.serviceName ? { serviceName: query.serviceName } : {}),
          ...(query.desiredStatus ? { desiredStatus: query.desiredStatus } : {}),
        },
      );
      for await (const page of pages) {
        all.push(...(page.taskArns ?? []));
        if (query.limit !== undefined && all.length >= query.limit) return all.slice(0, query.limit);
      }
      return all;
    }, 'cluster-not-found');
  }

  /** The given tasks, 100 a call; unknown ones come back in `failures`. */
  async describeTasks(target: ClusterTarget, taskArns: readonly string[]): Promise<Described<TaskInfo>> {
    const client = this.clients.get(target.region);
    const pages = await mapLimited(chunks(taskArns, TASKS_PER_CALL), PARALLEL, (batch) =>
      call(
        { action: 'ecs:DescribeTasks', region: target.region, resource: `cluster ${target.cluster}`, cluster: target.cluster },
        () => client.send(new DescribeTasksCommand({ cluster: target.cluster, tasks: batch })),
        'cluster-not-found',
      ),
    );
    return {
      items: pages.flatMap((p) => (p.tasks ?? []).map(toTask)),
      failures: pages.flatMap((p) => failures(p.failures)),
    };
  }

  /** A task definition with each container's awslogs configuration. */
  async describeTaskDefinition(region: string, taskDefinition: string): Promise<TaskDefinitionInfo> {
    const out = await call(
      { action: 'ecs:DescribeTaskDefinition', region, resource: `task definition ${shortName(taskDefinition)}` },
      () => this.clients.get(region).send(new DescribeTaskDefinitionCommand({ taskDefinition })),
      'invalid-request',
    );
    const td = out.taskDefinition;
    if (!td) throw new CloudError('invalid-request', 'ecs:DescribeTaskDefinition', `ECS returned no task definition ${taskDefinition}.`);
    return toTaskDefinition(td, taskDefinition, region);
  }

  /**
   * Registers `from` again with only the named containers' images changed. The revision is read
   * with its tags (`include: TAGS`), and everything but the fields ECS sets itself goes back, so
   * roles, ports, secrets, logging, health checks, volumes and fields newer than this code are kept.
   */
  async registerImageRevision(region: string, from: string, images: Readonly<Record<string, string>>): Promise<TaskDefinitionInfo> {
    const client = this.clients.get(region);
    const described = await call(
      { action: 'ecs:DescribeTaskDefinition', region, resource: `task definition ${shortName(from)}` },
      () => client.send(new DescribeTaskDefinitionCommand({ taskDefinition: from, include: ['TAGS'] })),
      'invalid-request',
    );
    const td = described.taskDefinition;
    if (!td?.family) throw new CloudError('invalid-request', 'ecs:DescribeTaskDefinition', `ECS returned no task definition ${from}.`);
    // Read-only fields of the TaskDefinition shape: RegisterTaskDefinition has no such parameters.
    const {
      taskDefinitionArn: _arn,
      revision: _revision,
      status: _status,
      requiresAttributes: _requires,
      compatibilities: _compatibilities,
      registeredAt: _registeredAt,
      registeredBy: _registeredBy,
      deregisteredAt: _deregisteredAt,
      ...writable
    } = td;
    const containers = (td.containerDefinitions ?? []).map((c) => {
      const image = c.name !== undefined ? images[c.name] : undefined;
      return image === undefined ? c : { ...c, image };
    });
    const unknown = Object.keys(images).filter((name) => !containers.some((c) => c.name === name));
    if (unknown.length > 0) {
      throw new CloudError('invalid-request', 'ecs:RegisterTaskDefinition', `Task definition ${shortName(from)} has no container ${unknown.join(', ')}.`);
    }
    const tags = described.tags ?? [];
    const out = await call(
      { action: 'ecs:RegisterTaskDefinition', region, resource: `task definition family ${td.family}` },
      () =>
        client.send(
          new RegisterTaskDefinitionCommand({
            ...writable,
            family: td.family,
            containerDefinitions: containers,
            ...(tags.length > 0 ? { tags } : {}),
          }),
        ),
    );
    if (!out.taskDefinition) throw new CloudError('invalid-request', 'ecs:RegisterTaskDefinition', `ECS registered no revision of ${td.family}.`);
    return toTaskDefinition(out.taskDefinition, '', region);
  }

  /** Deregisters one revision; ECS keeps it describable as INACTIVE. */
  async deregisterTaskDefinition(region: string, taskDefinition: string): Promise<void> {
    await call(
      { action: 'ecs:DeregisterTaskDefinition', region, resource: `task definition ${shortName(taskDefinition)}` },
      () => this.clients.get(region).send(new DeregisterTaskDefinitionCommand({ taskDefinition })),
      'invalid-request',
    );
  }

  /** A family's revisions, newest first; `familyPrefix` also matches longer names, so those are left out. */
  async listTaskDefinitions(region: string, family: string, options: { status?: 'ACTIVE' | 'INACTIVE'; limit?: number } = {}): Promise<string[]> {
    const limit = options.limit ?? 100;
    return call({ action: 'ecs:ListTaskDefinitions', region, resource: `task definition family ${family}` }, async () => {
      const all: string[] = [];
      const pages = paginateListTaskDefinitions(
        { client: this.clients.get(region), pageSize: Math.min(100, Math.max(1, limit)) },
        { familyPrefix: family, status: options.status ?? 'ACTIVE', sort: 'DESC' },
      );
      for await (const page of pages) {
        for (const arn of page.taskDefinitionArns ?? []) if (shortName(arn).startsWith(`${family}:`)) all.push(arn);
        if (all.length >= limit) return all.slice(0, limit);
      }
      return all;
    });
  }

  /** Stops one task with a reason ECS records. */
  async stopTask(target: ClusterTarget, task: string, reason: string): Promise<TaskInfo> {
    const out = await call(
      { action: 'ecs:StopTask', region: target.region, resource: `task ${shortName(task)} in cluster ${target.cluster}`, cluster: target.cluster },
      () => this.clients.get(target.region).send(new StopTaskCommand({ cluster: target.cluster, task, reason })),
      'task-not-found',
    );
    if (!out.task) throw new CloudError('task-not-found', 'ecs:StopTask', `ECS returned no task ${task}.`, { resource: task });
    return toTask(out.task);
  }

  /** Closes the clients' sockets. */
  destroy(): void {
    this.clients.destroy();
  }
}
