/**
 * Metrics on CloudWatch through the AWS SDK v3: AWS/ECS CPUUtilization and MemoryUtilization of a
 * service (dimensions ClusterName and ServiceName) and, where Container Insights with enhanced
 * observability is on, one task's MemoryUtilized, all in one GetMetricData call.
 *
 * Names checked against AWS's pages:
 * - AWS/ECS CPUUtilization and MemoryUtilization, service level by ClusterName + ServiceName, sent once a minute and
 *   only while the service has RUNNING tasks: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html
 * - They are percentages of what the task definition specifies (memoryReservation when set, else memory), so EC2
 *   tasks with only a soft limit can pass 100%: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_utilization.html
 * - ECS/ContainerInsights MemoryUtilized (MiB used) by ClusterName + TaskDefinitionFamily:
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html; the per-task
 *   TaskId dimension comes only with enhanced observability (Container-Insights-enhanced-observability-metrics-ECS.html),
 *   whose table was not available to check here: where it is off or named otherwise, the query simply returns no points.
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { MetricPoint, Metrics, MetricsQuery, ServiceMetrics } from '../ports/metrics.ts';
import { clientConfig, RegionalClients, type AwsClientOptions } from './clients.ts';
import { call } from './errors.ts';

/** Pages GetMetricData may take before we stop (one page holds up to 100,800 points, far more than a chat reply needs). */
const MAX_PAGES = 5;

function stat(id: string, namespace: string, metric: string, dims: Record<string, string>, period: number): MetricDataQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: metric, Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })) },
      Period: period,
      Stat: 'Average',
    },
    ReturnData: true,
  };
}

function points(results: MetricDataResult[], id: string): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const r of results) {
    if (r.Id !== id) continue;
    const ts = r.Timestamps ?? [];
    const vs = r.Values ?? [];
    for (let i = 0; i < Math.min(ts.length, vs.length); i++) {
      const t = ts[i];
      const v = vs[i];
      if (t !== undefined && v !== undefined) out.push({ t: t.getTime(), v });
    }
  }
  // GetMetricData answers newest first by default (ScanBy TimestampDescending).
  return out.sort((a, b) => a.t - b.t);
}

/** Metrics on CloudWatch (or anything that speaks its protocol, such as the sandbox). */
export class SdkMetrics implements Metrics {
  private readonly clients: RegionalClients<CloudWatchClient>;

  /** Builds one CloudWatch client per region on first use. */
  constructor(options: AwsClientOptions = {}) {
    this.clients = new RegionalClients((region) => new CloudWatchClient(clientConfig(region, options)), options);
  }

  /** CPU and memory of a service (and a task's memory) over the window, in as few calls as paging allows. */
  async serviceUtilization(q: MetricsQuery): Promise<ServiceMetrics> {
    const dims = { ClusterName: q.cluster, ServiceName: q.service };
    const queries = [stat('cpu', 'AWS/ECS', 'CPUUtilization', dims, q.periodSeconds), stat('memory', 'AWS/ECS', 'MemoryUtilization', dims, q.periodSeconds)];
    if (q.taskId) {
      queries.push(
        stat('task', 'ECS/ContainerInsights', 'MemoryUtilized', { ClusterName: q.cluster, TaskDefinitionFamily: q.taskFamily ?? q.service, TaskId: q.taskId }, q.periodSeconds),
      );
    }
    const results: MetricDataResult[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await call(
        { action: 'cloudwatch:GetMetricData', region: q.region, resource: `metrics of service ${q.service} in cluster ${q.cluster}`, cluster: q.cluster },
        () =>
          this.clients.get(q.region).send(
            new GetMetricDataCommand({
              MetricDataQueries: queries,
              StartTime: new Date(q.start),
              EndTime: new Date(q.end),
              ScanBy: 'TimestampAscending',
              ...(token ? { NextToken: token } : {}),
            }),
          ),
      );
      results.push(...(out.MetricDataResults ?? []));
      token = out.NextToken;
      if (!token) break;
    }
    return {
      cpu: points(results, 'cpu'),
      memory: points(results, 'memory'),
      periodSeconds: q.periodSeconds,
      ...(q.taskId ? { taskMemoryMiB: points(results, 'task') } : {}),
    };
  }

  /** Closes the clients' sockets. */
  destroy(): void {
    this.clients.destroy();
  }
}
