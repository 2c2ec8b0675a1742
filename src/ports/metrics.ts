/**
 * Service metrics (CloudWatch) in platform-neutral shapes: CPU and memory utilization of an ECS
 * service as one-minute (or coarser) points. Times are milliseconds since the epoch.
 */

/** One averaged data point. */
export interface MetricPoint {
  /** The start of the period it averages. */
  t: number;
  /** The value (percent for utilization). */
  v: number;
}

/** Which service, where, and over what window. */
export interface MetricsQuery {
  /** The region of the cluster. */
  region: string;
  /** The cluster name. */
  cluster: string;
  /** The service name. */
  service: string;
  /** The start of the window. */
  start: number;
  /** The end of the window. */
  end: number;
  /** Seconds each point averages (60 or a multiple of it). */
  periodSeconds: number;
  /** Also read this task's own memory (Container Insights' MemoryUtilized by TaskId), when it is on. */
  taskId?: string;
  /** The task definition family of that task (a Container Insights task dimension); defaults to the service name. */
  taskFamily?: string;
}

/** The service's utilization over the window, oldest point first. */
export interface ServiceMetrics {
  /** AWS/ECS CPUUtilization of the service (percent of the CPU it reserved). */
  cpu: MetricPoint[];
  /** AWS/ECS MemoryUtilization of the service (percent of the memory it reserved). */
  memory: MetricPoint[];
  /** The period the points average, seconds. */
  periodSeconds: number;
  /** ECS/ContainerInsights MemoryUtilized of the asked-for task, MiB; absent or empty where Container Insights is off. */
  taskMemoryMiB?: MetricPoint[];
}

/** Where service metrics are read (CloudWatch GetMetricData). */
export interface Metrics {
  /**
   * CPU and memory utilization of one service in one call. A service without data (new, or idle
   * with no tasks) gives empty series. Throws CloudError `access-denied` or `throttled`.
   */
  serviceUtilization(query: MetricsQuery): Promise<ServiceMetrics>;
}
