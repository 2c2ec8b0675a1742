/**
 * The sandbox's store: clusters, services, tasks, task definitions, ECR repositories and
 * log groups, with the builders tests and scenarios use to set up a world, and the
 * look-ups the operation handlers share (which throw AWS's not-found errors).
 */
import { AwsError } from './protocol.ts';
import type { JsonObject } from './protocol.ts';
import type { SandboxClock } from './clock.ts';
import { Rng } from './rng.ts';
import { createTask, startRunning } from './lifecycle.ts';
import type {
  ClusterRecord,
  DeploymentRecord,
  FailureMode,
  FindingRecord,
  ImageRecord,
  LogEventRecord,
  LogGroupRecord,
  LogStreamRecord,
  LogStyle,
  RepositoryRecord,
  ServiceRecord,
  TaskDefinitionRecord,
  TaskRecord,
} from './model.ts';

/** Options for a task definition built by defineTaskDefinition. */
export interface TaskDefinitionOptions {
  family: string;
  /** Full image reference; defaults to the sandbox ECR repository named after the family, tag `latest`. */
  image?: string;
  containerName?: string;
  cpu?: string;
  memory?: string;
  port?: number;
  /** awslogs group; defaults to `/ecs/<family>`; false leaves logging unconfigured. */
  logGroup?: string | false;
  streamPrefix?: string;
  healthCheck?: boolean;
  environment?: Record<string, string>;
  /** Tags of the revision. */
  tags?: Record<string, string>;
}

/** Options for a service built by createService. */
export interface ServiceOptions {
  name: string;
  /** ARN, `family:revision`, `family`, or a record from defineTaskDefinition. */
  taskDefinition: string | TaskDefinitionRecord;
  desiredCount?: number;
  failure?: FailureMode;
  logStyle?: LogStyle;
  /** Place the desired tasks already RUNNING (default true); false lets the scheduler launch them. */
  running?: boolean;
  launchType?: 'FARGATE' | 'EC2';
  circuitBreaker?: { enable: boolean; rollback: boolean };
  /** When the service was created (epoch ms); defaults to now. */
  createdAt?: number;
}

/** Options for an image pushed with putImage. */
export interface ImageOptions {
  tags: string[];
  digest?: string;
  pushedAt?: number;
  sizeInBytes?: number;
  /** Scan findings, either as full records or as counts per severity; absent means never scanned. */
  findings?: FindingRecord[] | Partial<Record<FindingRecord['severity'], number>>;
}

const MAX_EVENTS_PER_STREAM = 10_000;
/** Streams kept per group; a crash loop makes a stream per task, so the oldest go first (like retention would). */
const MAX_STREAMS_PER_GROUP = 2_000;
const MAX_SERVICE_EVENTS = 100;

/** Everything a sandbox holds, plus builders and look-ups. */
export class SandboxState {
  /** Region in every ARN and awslogs option. */
  readonly region: string;
  /** Account id in every ARN. */
  readonly accountId: string;
  /** The sandbox clock all records are stamped with. */
  readonly clock: SandboxClock;
  /** The seeded randomness behind ids, timings and log lines. */
  readonly rng: Rng;
  /** Clusters by name, in creation order. */
  readonly clusters = new Map<string, ClusterRecord>();
  /** Task definition revisions by family (index = revision - 1). */
  readonly taskDefinitions = new Map<string, TaskDefinitionRecord[]>();
  /** ECR repositories by name. */
  readonly repositories = new Map<string, RepositoryRecord>();
  /** Log groups by name. */
  readonly logGroups = new Map<string, LogGroupRecord>();
  private seqCounter = 0;
  private eventIdCounter = 0;
  /** Told of every task whose state changed (the sandbox turns these into EventBridge events). */
  onTaskChange: ((task: TaskRecord, at: number) => void) | undefined;

  constructor(opts: { clock: SandboxClock; region?: string; accountId?: string; seed?: number }) {
    this.clock = opts.clock;
    this.region = opts.region ?? 'us-east-1';
    this.accountId = opts.accountId ?? '123456789012';
    this.rng = new Rng(opts.seed ?? 20141113);
  }

  /** Reports a task whose version moved since it was last reported; called after every lifecycle step. */
  taskChanged(task: TaskRecord, at: number): void {
    if (task.publishedVersion === task.version) return;
    task.publishedVersion = task.version;
    this.onTaskChange?.(task, at);
  }

  /** The next value of the sandbox-wide ordering counter. */
  nextSeq(): number {
    return ++this.seqCounter;
  }

  /** An ARN of this sandbox's region and account. */
  arn(service: 'ecs' | 'ecr' | 'logs', resource: string): string {
    return `arn:aws:${service}:${this.region}:${this.accountId}:${resource}`;
  }

  /** The registry host of this sandbox's ECR (images the tasks pull from). */
  get registryHost(): string {
    return `${this.accountId}.dkr.ecr.${this.region}.amazonaws.com`;
  }

  // ---- ECS --------------------------------------------------------------------------

  /** Creates (or returns) a cluster. */
  createCluster(name: string): ClusterRecord {
    const existing = this.clusters.get(name);
    if (existing) return existing;
    const cluster: ClusterRecord = {
      seq: this.nextSeq(),
      name,
      arn: this.arn('ecs', `cluster/${name}`),
      createdAt: this.clock.now(),
      services: new Map(),
      tasks: new Map(),
    };
    this.clusters.set(name, cluster);
    return cluster;
  }

  /** Finds a cluster by name or ARN (default `default`), or throws ClusterNotFoundException. */
  cluster(ref: string | undefined): ClusterRecord {
    const name = lastSegment(ref ?? 'default', 'cluster/');
    const cluster = this.clusters.get(name);
    if (!cluster) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  /** Finds a service by name or ARN in a cluster, or undefined. */
  findService(cluster: ClusterRecord, ref: string): ServiceRecord | undefined {
    return cluster.services.get(ref.includes(':') ? (ref.split('/').pop() ?? ref) : ref);
  }

  /** Finds a service or throws ServiceNotFoundException, as UpdateService does. */
  service(cluster: ClusterRecord, ref: string): ServiceRecord {
    const service = this.findService(cluster, ref);
    if (!service || service.status === 'INACTIVE') throw new AwsError('ServiceNotFoundException', 'Service not found.');
    return service;
  }

  /** Finds a task by id or ARN in a cluster. */
  findTask(cluster: ClusterRecord, ref: string): TaskRecord | undefined {
    return cluster.tasks.get(ref.split('/').pop() ?? ref);
  }

  /** Registers a task definition revision from a RegisterTaskDefinition-shaped body. */
  registerTaskDefinition(body: JsonObject): TaskDefinitionRecord {
    const family = body['family'];
    if (typeof family !== 'string' || !/^[a-zA-Z0-9_-]{1,255}$/.test(family)) {
      throw new AwsError('ClientException', 'Family contains invalid characters or is blank.');
    }
    const containers = body['containerDefinitions'];
    if (!Array.isArray(containers) || containers.length === 0) {
      throw new AwsError('ClientException', 'Container list cannot be empty.');
    }
    for (const c of containers) {
      if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new AwsError('ClientException', 'Container definition is invalid.');
      if (typeof c['name'] !== 'string' || c['name'] === '') throw new AwsError('ClientException', 'Container.name should not be null or empty.');
      if (typeof c['image'] !== 'string' || c['image'] === '') throw new AwsError('ClientException', 'Container.image should not be null or empty.');
    }
    const tags = parseTags(body['tags']);
    const revisions = this.taskDefinitions.get(family) ?? [];
    const revision = revisions.length + 1;
    const record: TaskDefinitionRecord = {
      seq: this.nextSeq(),
      arn: this.arn('ecs', `task-definition/${family}:${revision}`),
      family,
      revision,
      status: 'ACTIVE',
      registeredAt: this.clock.now(),
      body: structuredClone(body),
      tags,
    };
    delete record.body['tags'];
    revisions.push(record);
    this.taskDefinitions.set(family, revisions);
    return record;
  }

  /** Marks a revision INACTIVE, as DeregisterTaskDefinition does; it stays describable, and running tasks keep it. */
  deregisterTaskDefinition(ref: string): TaskDefinitionRecord {
    if (!/:\d+$/.test(ref)) throw new AwsError('ClientException', 'The specified task definition does not include a revision number.');
    const td = this.taskDefinition(ref);
    if (td.status === 'ACTIVE') {
      td.status = 'INACTIVE';
      td.deregisteredAt = this.clock.now();
    }
    return td;
  }

  /** Builds and registers a one-container Fargate task definition with awslogs logging. */
  defineTaskDefinition(opts: TaskDefinitionOptions): TaskDefinitionRecord {
    const name = opts.containerName ?? opts.family;
    const container: JsonObject = {
      name,
      image: opts.image ?? `${this.registryHost}/${opts.family}:latest`,
      cpu: 0,
      essential: true,
      portMappings: opts.port ? [{ containerPort: opts.port, hostPort: opts.port, protocol: 'tcp' }] : [],
      environment: Object.entries(opts.environment ?? {}).map(([k, v]) => ({ name: k, value: v })),
      mountPoints: [],
      volumesFrom: [],
    };
    if (opts.logGroup !== false) {
      container['logConfiguration'] = {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': opts.logGroup ?? `/ecs/${opts.family}`,
          'awslogs-region': this.region,
          'awslogs-stream-prefix': opts.streamPrefix ?? 'ecs',
        },
      };
    }
    if (opts.healthCheck) {
      container['healthCheck'] = {
        command: ['CMD-SHELL', `curl -f http://localhost:${opts.port ?? 8080}/health || exit 1`],
        interval: 30,
        timeout: 5,
        retries: 3,
        startPeriod: 10,
      };
    }
    return this.registerTaskDefinition({
      family: opts.family,
      containerDefinitions: [container],
      taskRoleArn: `arn:aws:iam::${this.accountId}:role/${opts.family}-task`,
      executionRoleArn: `arn:aws:iam::${this.accountId}:role/ecsTaskExecutionRole`,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: opts.cpu ?? '256',
      memory: opts.memory ?? '512',
      ...(opts.tags ? { tags: Object.entries(opts.tags).map(([key, value]) => ({ key, value })) } : {}),
    });
  }

  /** Resolves `family`, `family:revision` or an ARN, or throws ClientException as ECS does. */
  taskDefinition(ref: string): TaskDefinitionRecord {
    const short = lastSegment(ref, 'task-definition/');
    const [family, rev] = short.split(':');
    const revisions = family === undefined ? undefined : this.taskDefinitions.get(family);
    let found: TaskDefinitionRecord | undefined;
    if (revisions && rev !== undefined) found = revisions[Number(rev) - 1];
    else if (revisions) found = [...revisions].reverse().find((r) => r.status === 'ACTIVE');
    if (!found) throw new AwsError('ClientException', 'Unable to describe task definition.');
    return found;
  }

  /** Creates a service; its tasks are placed RUNNING at once unless `running: false` or its image cannot be pulled. */
  createService(clusterName: string, opts: ServiceOptions): ServiceRecord {
    const cluster = this.cluster(clusterName);
    if (cluster.services.has(opts.name)) throw new AwsError('InvalidParameterException', 'Creation of service was not idempotent.');
    const td = typeof opts.taskDefinition === 'string' ? this.taskDefinition(opts.taskDefinition) : opts.taskDefinition;
    const now = opts.createdAt ?? this.clock.now();
    const desired = opts.desiredCount ?? 1;
    const failure = opts.failure ?? { kind: 'healthy' };
    const placeRunning = (opts.running ?? true) && failure.kind !== 'image-pull' && this.unpullableImage(td) === undefined;
    const deployment: DeploymentRecord = {
      id: this.deploymentId(),
      status: 'PRIMARY',
      taskDefinitionArn: td.arn,
      desiredCount: desired,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
      rolloutState: placeRunning ? 'COMPLETED' : 'IN_PROGRESS',
      rolloutStateReason: '',
    };
    const service: ServiceRecord = {
      seq: this.nextSeq(),
      name: opts.name,
      arn: this.arn('ecs', `service/${cluster.name}/${opts.name}`),
      clusterName: cluster.name,
      status: 'ACTIVE',
      desiredCount: desired,
      taskDefinitionArn: td.arn,
      launchType: opts.launchType ?? 'FARGATE',
      createdAt: now,
      createdBy: `arn:aws:iam::${this.accountId}:role/dockhand-deployer`,
      deployments: [deployment],
      events: [],
      failure,
      logStyle: opts.logStyle ?? 'web',
      circuitBreaker: opts.circuitBreaker ?? { enable: false, rollback: false },
      healthCheckGracePeriodSeconds: 0,
      tasks: new Set(),
      crashCount: 0,
      startFailures: 0,
      launchNotBefore: 0,
      lastFailureAt: 0,
      steady: false,
      steadyEventAt: 0,
      unableEventAt: 0,
    };
    deployment.rolloutStateReason = placeRunning ? `ECS deployment ${deployment.id} completed.` : '';
    cluster.services.set(service.name, service);
    if (placeRunning && desired > 0) {
      const tasks: TaskRecord[] = [];
      for (let i = 0; i < desired; i++) {
        const task = createTask(this, cluster, td, now, { service, deployment });
        startRunning(this, task, now);
        tasks.push(task);
      }
      this.addServiceEvent(service, `(service ${service.name}) has started ${tasks.length} tasks: ${tasks.map((t) => `(task ${t.id})`).join(' ')}.`, now);
    }
    if (placeRunning) {
      service.lastCompletedTaskDefinitionArn = td.arn;
      service.steady = true;
      service.steadyEventAt = now;
      this.addServiceEvent(service, `(service ${service.name}) has reached a steady state.`, now);
    }
    return service;
  }

  /** Starts a standalone task (group `family:<family>`), as RunTask would; the scheduler takes it to RUNNING. */
  runTask(clusterName: string, taskDefinition: string | TaskDefinitionRecord, opts: { startedBy?: string } = {}): TaskRecord {
    const cluster = this.cluster(clusterName);
    const td = typeof taskDefinition === 'string' ? this.taskDefinition(taskDefinition) : taskDefinition;
    return createTask(this, cluster, td, this.clock.now(), opts.startedBy === undefined ? {} : { startedBy: opts.startedBy });
  }

  /** Changes how a service's future tasks fail (running tasks keep their plan). */
  setFailureMode(clusterName: string, serviceName: string, mode: FailureMode): void {
    const service = this.service(this.cluster(clusterName), serviceName);
    service.failure = mode;
    service.startFailures = 0;
    service.launchNotBefore = 0;
  }

  /** Puts an event at the head of a service's list, keeping the latest 100. */
  addServiceEvent(service: ServiceRecord, message: string, at: number): void {
    service.events.unshift({ id: this.rng.uuid(), createdAt: at, message });
    if (service.events.length > MAX_SERVICE_EVENTS) service.events.length = MAX_SERVICE_EVENTS;
  }

  /** A fresh deployment id in ECS's `ecs-svc/<19 digits>` form. */
  deploymentId(): string {
    return `ecs-svc/${this.rng.digits(19)}`;
  }

  // ---- ECR --------------------------------------------------------------------------

  /** Creates (or returns) an ECR repository. */
  createRepository(name: string, opts: { scanOnPush?: boolean; createdAt?: number } = {}): RepositoryRecord {
    const existing = this.repositories.get(name);
    if (existing) return existing;
    const repo: RepositoryRecord = {
      seq: this.nextSeq(),
      name,
      arn: this.arn('ecr', `repository/${name}`),
      uri: `${this.registryHost}/${name}`,
      createdAt: opts.createdAt ?? this.clock.now(),
      scanOnPush: opts.scanOnPush ?? true,
      tagMutability: 'MUTABLE',
      images: new Map(),
    };
    this.repositories.set(name, repo);
    return repo;
  }

  /** Finds a repository or throws RepositoryNotFoundException with ECR's message. */
  repository(name: string): RepositoryRecord {
    const repo = this.repositories.get(name);
    if (!repo) {
      throw new AwsError(
        'RepositoryNotFoundException',
        `The repository with name '${name}' does not exist in the registry with id '${this.accountId}'`,
      );
    }
    return repo;
  }

  /** Pushes an image; its tags move off any older image that had them, as on ECR. */
  putImage(repoName: string, opts: ImageOptions): ImageRecord {
    const repo = this.createRepository(repoName);
    for (const other of repo.images.values()) other.tags = other.tags.filter((t) => !opts.tags.includes(t));
    const pushedAt = opts.pushedAt ?? this.clock.now();
    const image: ImageRecord = {
      seq: this.nextSeq(),
      digest: opts.digest ?? `sha256:${this.rng.hex(64)}`,
      tags: [...opts.tags],
      pushedAt,
      sizeInBytes: opts.sizeInBytes ?? this.rng.int(20_000_000, 400_000_000),
      manifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    };
    if (opts.findings !== undefined) {
      image.scan = { completedAt: pushedAt + 60_000, findings: Array.isArray(opts.findings) ? opts.findings : this.makeFindings(opts.findings) };
    }
    repo.images.set(image.digest, image);
    return image;
  }

  /** The digest an image reference of this sandbox's ECR resolves to, if any. */
  resolveImage(image: string): string | undefined {
    const ref = this.ecrReference(image);
    if (!ref) return undefined;
    const repo = this.repositories.get(ref.repository);
    if (!repo) return undefined;
    if (ref.digest !== undefined) return repo.images.has(ref.digest) ? ref.digest : undefined;
    for (const img of repo.images.values()) if (img.tags.includes(ref.tag ?? 'latest')) return img.digest;
    return undefined;
  }

  /**
   * The first image of a task definition that a pull would not find: one of this sandbox's ECR
   * repositories without that tag or digest (ECS then stops the task with CannotPullContainerError).
   * Images of other registries, and of repositories the sandbox does not hold, are taken as
   * pullable, so worlds built without ECR (most tests) keep running.
   */
  unpullableImage(td: TaskDefinitionRecord): string | undefined {
    const defs = Array.isArray(td.body['containerDefinitions']) ? td.body['containerDefinitions'] : [];
    for (const raw of defs) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || typeof raw['image'] !== 'string') continue;
      const ref = this.ecrReference(raw['image']);
      if (ref && this.repositories.has(ref.repository) && this.resolveImage(raw['image']) === undefined) return raw['image'];
    }
    return undefined;
  }

  /** Splits an image reference of this sandbox's registry into repository and tag or digest. */
  private ecrReference(image: string): { repository: string; tag?: string; digest?: string } | undefined {
    const prefix = `${this.registryHost}/`;
    if (!image.startsWith(prefix)) return undefined;
    const rest = image.slice(prefix.length);
    const at = rest.indexOf('@');
    if (at >= 0) return { repository: rest.slice(0, at), digest: rest.slice(at + 1) };
    const colon = rest.lastIndexOf(':');
    return colon >= 0 ? { repository: rest.slice(0, colon), tag: rest.slice(colon + 1) } : { repository: rest };
  }

  private makeFindings(counts: Partial<Record<FindingRecord['severity'], number>>): FindingRecord[] {
    const out: FindingRecord[] = [];
    const packages = ['openssl', 'glibc', 'zlib', 'curl', 'libxml2', 'busybox', 'expat', 'ncurses', 'sqlite', 'libssh2'];
    for (const [severity, n] of Object.entries(counts) as [FindingRecord['severity'], number][]) {
      for (let i = 0; i < n; i++) {
        const id = `CVE-20${this.rng.int(21, 25)}-${this.rng.int(1000, 49999)}`;
        const pkg = this.rng.pick(packages);
        out.push({
          name: id,
          description: `A flaw in ${pkg} may allow a remote attacker to cause a denial of service or execute code.`,
          uri: `https://security-tracker.debian.org/tracker/${id}`,
          severity,
          attributes: [
            { key: 'package_name', value: pkg },
            { key: 'package_version', value: `${this.rng.int(1, 3)}.${this.rng.int(0, 12)}.${this.rng.int(0, 9)}` },
            { key: 'CVSS2_SCORE', value: String(severity === 'CRITICAL' ? 10 : severity === 'HIGH' ? 7.5 : 5) },
          ],
        });
      }
    }
    return out;
  }

  // ---- CloudWatch Logs --------------------------------------------------------------

  /** Creates (or returns) a log group. */
  createLogGroup(name: string, opts: { retentionInDays?: number; createdAt?: number } = {}): LogGroupRecord {
    const existing = this.logGroups.get(name);
    if (existing) return existing;
    const group: LogGroupRecord = {
      seq: this.nextSeq(),
      name,
      arn: this.arn('logs', `log-group:${name}`),
      createdAt: opts.createdAt ?? this.clock.now(),
      streams: new Map(),
    };
    if (opts.retentionInDays !== undefined) group.retentionInDays = opts.retentionInDays;
    this.logGroups.set(name, group);
    return group;
  }

  /** Finds a log group by name or ARN, or throws ResourceNotFoundException. */
  logGroup(ref: string): LogGroupRecord {
    const name = ref.startsWith('arn:') ? ref.replace(/^arn:[^:]*:logs:[^:]*:[^:]*:log-group:/, '').replace(/:\*$/, '') : ref;
    const group = this.logGroups.get(name);
    if (!group) throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return group;
  }

  /** Creates (or returns) a log stream, creating its group too. */
  createLogStream(groupName: string, streamName: string, at = this.clock.now()): LogStreamRecord {
    const group = this.createLogGroup(groupName, { createdAt: at });
    const existing = group.streams.get(streamName);
    if (existing) return existing;
    const stream: LogStreamRecord = { seq: this.nextSeq(), name: streamName, createdAt: at, events: [], storedBytes: 0 };
    if (group.streams.size >= MAX_STREAMS_PER_GROUP) {
      let oldest: LogStreamRecord | undefined;
      for (const s of group.streams.values()) {
        if (!oldest || (s.lastEventTimestamp ?? s.createdAt) < (oldest.lastEventTimestamp ?? oldest.createdAt)) oldest = s;
      }
      if (oldest) group.streams.delete(oldest.name);
    }
    group.streams.set(streamName, stream);
    return stream;
  }

  /** Appends events to a stream (created as needed), keeping each stream sorted and bounded. */
  putLogEvents(groupName: string, streamName: string, events: { timestamp: number; message: string }[]): void {
    if (events.length === 0) return;
    const first = events[0];
    const stream = this.createLogStream(groupName, streamName, first ? first.timestamp : undefined);
    const ingestion = this.clock.now();
    let sorted = true;
    for (const e of events) {
      const rec: LogEventRecord = { id: ++this.eventIdCounter, timestamp: e.timestamp, message: e.message, ingestionTime: Math.max(ingestion, e.timestamp) };
      const last = stream.events[stream.events.length - 1];
      if (last && last.timestamp > rec.timestamp) sorted = false;
      stream.events.push(rec);
      stream.storedBytes += Buffer.byteLength(e.message) + 26;
      stream.firstEventTimestamp = Math.min(stream.firstEventTimestamp ?? rec.timestamp, rec.timestamp);
      stream.lastEventTimestamp = Math.max(stream.lastEventTimestamp ?? rec.timestamp, rec.timestamp);
      stream.lastIngestionTime = rec.ingestionTime;
    }
    if (!sorted) stream.events.sort((a, b) => a.timestamp - b.timestamp || a.id - b.id);
    if (stream.events.length > MAX_EVENTS_PER_STREAM) stream.events.splice(0, stream.events.length - MAX_EVENTS_PER_STREAM);
  }
}

/** RegisterTaskDefinition's `tags` (key/value pairs), refused as ECS refuses malformed ones. */
function parseTags(raw: unknown): { key: string; value: string }[] {
  if (raw === undefined) return [];
  // ECS: at most 50 tags a resource; keys 1-128 characters, values up to 256 (Tagging your Amazon ECS resources).
  if (!Array.isArray(raw) || raw.length > 50) throw new AwsError('InvalidParameterException', 'tags must be a list of at most 50 key/value pairs.');
  return raw.map((t) => {
    const o = typeof t === 'object' && t !== null ? (t as Record<string, unknown>) : {};
    const key = o['key'];
    const value = o['value'] ?? '';
    if (typeof key !== 'string' || key.length < 1 || key.length > 128 || typeof value !== 'string' || value.length > 256) {
      throw new AwsError('InvalidParameterException', 'Tag keys must be 1-128 characters and values at most 256.');
    }
    return { key, value };
  });
}

/** The part of an ARN after `marker` (or the reference itself when it is not an ARN). */
function lastSegment(ref: string, marker: string): string {
  const i = ref.indexOf(marker);
  return ref.startsWith('arn:') && i >= 0 ? ref.slice(i + marker.length) : ref;
}

