/**
 * CloudWatch GetMetricData (target prefix GraniteServiceVersion20100801, AWS JSON 1.0 with
 * query-compatible error codes, as @aws-sdk/client-cloudwatch 3.1164 speaks it) over the sandbox's
 * own tasks: AWS/ECS CPUUtilization and MemoryUtilization by ClusterName and ServiceName are
 * one-minute averages of what the service's running tasks use, so the numbers agree with the tasks:
 * web steady, api busier by day, payments' memory climbing to about 100% before each OOM kill, and
 * no data while no task runs (reports). Container Insights is off in the sandbox, so
 * ECS/ContainerInsights metrics come back empty, as CloudWatch answers for a metric nobody publishes.
 */
import type { SandboxState } from './state.ts';
import type { ServiceRecord, TaskRecord } from './model.ts';
import { AwsError, decodeToken, encodeToken, optInt, optString } from './protocol.ts';
import type { Json, JsonObject } from './protocol.ts';
import type { Operation } from './ecs.ts';

/** The query-protocol error code and fault side CloudWatch sends in `x-amzn-query-error` for each error type. */
export const QUERY_ERROR_CODES: Readonly<Record<string, string>> = {
  InvalidParameterValueException: 'InvalidParameterValue;Sender',
  InvalidParameterCombinationException: 'InvalidParameterCombination;Sender',
  MissingRequiredParameterException: 'MissingParameter;Sender',
  InvalidNextToken: 'InvalidNextToken;Sender',
  ValidationError: 'ValidationError;Sender',
  AccessDeniedException: 'AccessDenied;Sender',
  ThrottlingException: 'Throttling;Sender',
  InternalServiceFault: 'InternalServiceError;Receiver',
  ServerException: 'InternalServiceError;Receiver',
  SerializationException: 'SerializationException;Sender',
  UnknownOperationException: 'InvalidAction;Sender',
};

const MINUTE = 60_000;
/** GetMetricData's limits (CloudWatch API Reference, GetMetricData). */
const MAX_QUERIES = 500;
const DEFAULT_MAX_DATAPOINTS = 100_800;
const ID = /^[a-z][a-zA-Z0-9_]{0,254}$/;
const STATS = new Set(['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount']);

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterValueException', message);
}

/** A deterministic number in [-1, 1] from a key and a minute, so the same minute always reads the same. */
function noise(key: string, minute: number): number {
  let h = 2166136261 ^ minute;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  h = Math.imul(h ^ (h >>> 13), 0x5bd1e995);
  return (((h ^ (h >>> 15)) >>> 0) / 4294967295) * 2 - 1;
}

/** 0 at night, 1 at 14:00 UTC: how busy a service that follows the working day is. */
function daylight(t: number): number {
  const hour = (t % 86_400_000) / 3_600_000;
  return Math.max(0, Math.sin((Math.PI * (hour - 6)) / 16));
}

/** Where a task's life ends (or will end), for the memory curve of a leaking task. */
function endOf(task: TaskRecord): number | undefined {
  return task.executionStoppedAt ?? task.stoppingAt ?? task.plannedExit?.at;
}

function isOom(task: TaskRecord): boolean {
  return task.plannedExit?.kind === 'oom' || task.containers.some((c) => c.exitCode === 137 && /OutOfMemory/i.test(c.reason ?? ''));
}

function running(task: TaskRecord, t: number): boolean {
  if (task.startedAt === undefined || task.startedAt > t) return false;
  const end = task.executionStoppedAt ?? task.stoppingAt ?? task.stoppedAt;
  return end === undefined || t < end;
}

/** What one running task uses at time t, in percent of what it reserved. */
function taskUse(service: ServiceRecord, task: TaskRecord, metric: 'cpu' | 'memory', t: number): number {
  const minute = Math.floor(t / MINUTE);
  const jitter = noise(`${service.name}:${metric}`, minute);
  if (service.failure.kind === 'crash' || service.failure.kind === 'oom') {
    if (metric === 'cpu') return 30 + 6 * jitter;
    // A leak: memory rises from the start; tasks that will be OOM-killed reach 100% well before the kill.
    const start = task.startedAt ?? t;
    const end = endOf(task) ?? start + 40_000;
    const frac = Math.min(1, Math.max(0, (t - start) / Math.max(1, end - start)));
    return isOom(task) ? Math.min(100, 45 + 55 * Math.min(1, frac * 1.7)) : 45 + 15 * frac + jitter;
  }
  return profile(service, metric, t);
}

/** The steady or daily profile of a service with healthy tasks. */
function profile(service: ServiceRecord, metric: 'cpu' | 'memory', t: number): number {
  const minute = Math.floor(t / MINUTE);
  const jitter = noise(`${service.name}:${metric}`, minute);
  if (service.logStyle === 'api') return metric === 'cpu' ? 12 + 55 * daylight(t) + 3 * jitter : 42 + 18 * daylight(t) + jitter;
  const base = 10 + (Math.abs(noise(service.name, 0)) * 25);
  return metric === 'cpu' ? base + 2 * jitter : base + 15 + jitter;
}

/**
 * The service's value at one sample time: the mean over the tasks running then, or undefined when
 * none ran. Before the sandbox's oldest task record (its pre-run history) a healthy service is
 * taken to have run as it runs now; a crash-looping one repeats its cycle of two exits and an OOM kill.
 */
function sample(state: SandboxState, service: ServiceRecord, metric: 'cpu' | 'memory', t: number, oldest: number): number | undefined {
  if (t < service.createdAt) return undefined;
  if (t < oldest) {
    // A service whose image ECR does not have never ran, before the records as now.
    if (service.failure.kind === 'image-pull' || service.desiredCount === 0 || state.unpullableImage(state.taskDefinition(service.taskDefinitionArn)) !== undefined) return undefined;
    if (service.failure.kind === 'crash' || service.failure.kind === 'oom') {
      // Two short-lived exits, then a long-lived task that leaks until it is killed.
      const cycle = 260_000;
      const phase = ((((t - oldest) % cycle) + cycle) % cycle) / cycle;
      const jitter = noise(`${service.name}:${metric}`, Math.floor(t / MINUTE));
      if (metric === 'cpu') return 30 + 6 * jitter;
      return phase < 0.4 ? 50 + jitter : Math.min(100, 45 + 55 * Math.min(1, ((phase - 0.4) / 0.6) * 1.7));
    }
    return profile(service, metric, t);
  }
  let sum = 0;
  let n = 0;
  for (const task of service.tasks) {
    if (!running(task, t)) continue;
    sum += taskUse(service, task, metric, t);
    n++;
  }
  return n ? sum / n : undefined;
}

/** The per-period averages of one service metric over [start, end), oldest first; periods without a running task are left out. */
export function serviceSeries(
  state: SandboxState,
  service: ServiceRecord,
  metric: 'cpu' | 'memory',
  start: number,
  end: number,
  periodMs: number,
  stat: string,
): Array<{ t: number; v: number }> {
  let oldest = Infinity;
  for (const task of service.tasks) oldest = Math.min(oldest, task.createdAt);
  if (oldest === Infinity) oldest = state.clock.now();
  // Short periods are sampled every 5 s (the agent reports several times a minute); long ones once a minute.
  const step = periodMs <= 5 * MINUTE ? 5_000 : MINUTE;
  const out: Array<{ t: number; v: number }> = [];
  const first = Math.floor(start / periodMs) * periodMs;
  const now = state.clock.now();
  for (let b = first; b < end; b += periodMs) {
    // CloudWatch has no data for the minute in progress.
    if (b + Math.min(periodMs, MINUTE) > now) break;
    const values: number[] = [];
    for (let t = b + step / 2; t < b + periodMs; t += step) {
      const v = sample(state, service, metric, t, oldest);
      if (v !== undefined) values.push(v);
    }
    if (values.length === 0) continue;
    const v =
      stat === 'Maximum'
        ? Math.max(...values)
        : stat === 'Minimum'
          ? Math.min(...values)
          : stat === 'SampleCount'
            ? values.length
            : stat === 'Sum'
              ? values.reduce((a, x) => a + x, 0)
              : values.reduce((a, x) => a + x, 0) / values.length;
    out.push({ t: b, v: Math.round(v * 100) / 100 });
  }
  return out;
}

function obj(v: Json | undefined, what: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new AwsError('SerializationException', `${what} must be a structure`);
  return v;
}

function time(body: JsonObject, key: string): number {
  const v = body[key];
  if (v === undefined || v === null) throw new AwsError('MissingRequiredParameterException', `The parameter ${key} is required.`);
  // The JSON protocol sends timestamps as epoch seconds.
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new AwsError('SerializationException', `${key} must be a timestamp in epoch seconds`);
  return Math.round(v * 1000);
}

interface Query {
  id: string;
  label: string;
  points: Array<{ t: number; v: number }>;
}

function runQuery(state: SandboxState, q: JsonObject, start: number, end: number): Query | undefined {
  const id = optString(q, 'Id') ?? '';
  if (!ID.test(id)) throw invalid(`The value ${id} for parameter MetricDataQueries.member.Id is not valid: it must start with a lowercase letter and contain only letters, numbers and underscores.`);
  const expression = optString(q, 'Expression');
  const statRaw = q['MetricStat'];
  if ((expression === undefined) === (statRaw === undefined || statRaw === null)) {
    throw new AwsError('ValidationError', `Exactly one of Expression and MetricStat must be given for query ${id}.`);
  }
  if (expression !== undefined) throw invalid(`The sandbox does not evaluate metric math expressions (query ${id}).`);
  const ms = obj(statRaw, 'MetricStat');
  const metric = obj(ms['Metric'], 'MetricStat.Metric');
  const period = optInt(ms, 'Period');
  if (period === undefined) throw new AwsError('MissingRequiredParameterException', `The parameter MetricStat.Period is required (query ${id}).`);
  // Periods of 1, 5, 10, 20 and 30 s are high-resolution; everything else must be a multiple of 60.
  if (!(period === 1 || period === 5 || period === 10 || period === 20 || period === 30 || (period > 0 && period % 60 === 0))) {
    throw invalid(`The parameter MetricStat.Period must be 1, 5, 10, 20, 30, or a multiple of 60 (query ${id}).`);
  }
  const stat = optString(ms, 'Stat') ?? '';
  if (!STATS.has(stat) && !/^p\d{1,2}(\.\d+)?$/.test(stat)) throw invalid(`The value ${stat} for parameter MetricStat.Stat is not valid (query ${id}).`);
  const namespace = optString(metric, 'Namespace');
  const name = optString(metric, 'MetricName');
  const dimsRaw = metric['Dimensions'];
  const dims = new Map<string, string>();
  if (Array.isArray(dimsRaw)) {
    for (const d of dimsRaw) {
      const dd = obj(d, 'Dimension');
      dims.set(String(dd['Name']), String(dd['Value']));
    }
  }
  const returnData = q['ReturnData'] !== false;
  const label = optString(q, 'Label') ?? name ?? id;
  let points: Array<{ t: number; v: number }> = [];
  const which = name === 'CPUUtilization' ? 'cpu' : name === 'MemoryUtilization' ? 'memory' : undefined;
  if (namespace === 'AWS/ECS' && which && dims.size === 2 && dims.has('ClusterName') && dims.has('ServiceName')) {
    const service = state.clusters.get(dims.get('ClusterName') as string)?.services.get(dims.get('ServiceName') as string);
    // Pure-percent stats average well; the sandbox answers percentiles with the average.
    if (service) points = serviceSeries(state, service, which, start, end, period * 1000, stat.startsWith('p') ? 'Average' : stat);
  }
  return returnData ? { id, label, points } : undefined;
}

function getMetricData(state: SandboxState, body: JsonObject): JsonObject {
  const raw = body['MetricDataQueries'];
  if (!Array.isArray(raw) || raw.length === 0) throw new AwsError('MissingRequiredParameterException', 'The parameter MetricDataQueries is required.');
  if (raw.length > MAX_QUERIES) throw invalid(`The collection MetricDataQueries must not have more than ${MAX_QUERIES} members.`);
  const start = time(body, 'StartTime');
  const end = time(body, 'EndTime');
  if (start >= end) throw new AwsError('ValidationError', 'The parameter StartTime must be less than the parameter EndTime.');
  const scanBy = optString(body, 'ScanBy') ?? 'TimestampDescending';
  if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending') throw invalid(`The value ${scanBy} for parameter ScanBy is not valid.`);
  const max = optInt(body, 'MaxDatapoints') ?? DEFAULT_MAX_DATAPOINTS;
  if (max < 1) throw invalid('The parameter MaxDatapoints must be greater than 0.');
  const ids = new Set<string>();
  const results: Query[] = [];
  for (const q of raw) {
    const r = runQuery(state, obj(q, 'MetricDataQuery'), start, end);
    const id = optString(obj(q, 'MetricDataQuery'), 'Id') as string;
    if (ids.has(id)) throw invalid(`The Id ${id} is used by more than one query.`);
    ids.add(id);
    if (r) results.push(r);
  }
  // Pages cut the concatenated points of all queries at MaxDatapoints; the token remembers how far.
  const cursor = decodeToken(optString(body, 'NextToken'), 'InvalidNextToken');
  const skip = cursor === undefined ? 0 : Number(cursor['o']);
  if (!Number.isInteger(skip) || skip < 0) throw new AwsError('InvalidNextToken', 'The service returned an invalid token.');
  let offset = 0;
  let taken = 0;
  let more = false;
  const out: JsonObject[] = [];
  for (const r of results) {
    const ordered = scanBy === 'TimestampAscending' ? r.points : [...r.points].reverse();
    const from = Math.max(0, Math.min(ordered.length, skip - offset));
    const room = max - taken;
    const page = ordered.slice(from, from + room);
    offset += ordered.length;
    taken += page.length;
    const partial = from + page.length < ordered.length;
    if (partial) more = true;
    out.push({
      Id: r.id,
      Label: r.label,
      Timestamps: page.map((p) => p.t / 1000),
      Values: page.map((p) => p.v),
      StatusCode: partial ? 'PartialData' : 'Complete',
    });
  }
  const response: JsonObject = { MetricDataResults: out, Messages: [] };
  if (more) response['NextToken'] = encodeToken({ o: skip + taken });
  return response;
}

/** The CloudWatch operations the sandbox serves. */
export const cloudwatchOperations: Record<string, Operation> = {
  GetMetricData: getMetricData,
};
