import { describe, expect, it } from 'vitest';
import type { ServiceSummary, TaskDefinitionInfo, TaskInfo } from '../../src/ports/container-service.ts';
import { diagnose, exitCodeMeaning, resourceInitPart, tasksNeedingLogs, type DiagnosisEvidence, type FindingId } from '../../src/diagnosis/rules.ts';

const NOW = 10_000_000_000;
const MIN = 60_000;
const OOM = 'OutOfMemoryError: Container killed due to memory usage';
const PULL_NF = 'CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 1.dkr.ecr.us-east-1.amazonaws.com/reports:0.6.0: not found';
const PULL_DENIED =
  'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 1.dkr.ecr.us-east-1.amazonaws.com/web:1.4.0: unexpected status from HEAD request: 403 Forbidden';
const PULL_TIMEOUT = 'CannotPullContainerError: failed to do request: Head "https://1.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/1.4.0": dial tcp 10.0.3.17:443: i/o timeout';

let seq = 0;
function task(over: Partial<TaskInfo> = {}): TaskInfo {
  const id = (over.id ?? `t${++seq}`).padEnd(32, '0');
  return {
    arn: `arn:aws:ecs:us-east-1:1:task/demo/${id}`,
    id,
    clusterArn: 'arn:aws:ecs:us-east-1:1:cluster/demo',
    taskDefinition: 'arn:aws:ecs:us-east-1:1:task-definition/svc:3',
    group: 'service:svc',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    createdAt: NOW - 30 * MIN,
    startedAt: NOW - 29 * MIN,
    containers: [{ name: 'svc', image: 'x/svc:1' }],
    ...over,
  };
}

function crashed(minsAgo: number, exitCode: number, reason?: string): TaskInfo {
  return task({
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    startedAt: NOW - (minsAgo + 1) * MIN,
    stoppedAt: NOW - minsAgo * MIN,
    containers: [{ name: 'svc', exitCode, ...(reason ? { reason } : {}) }],
  });
}

function failedStart(minsAgo: number, reason: string): TaskInfo {
  return task({
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stopCode: 'TaskFailedToStart',
    stoppedReason: reason,
    startedAt: undefined,
    stoppedAt: NOW - minsAgo * MIN,
    containers: [{ name: 'svc', reason }],
  });
}

function service(over: Partial<ServiceSummary> = {}): ServiceSummary {
  return {
    name: 'svc',
    arn: 'arn:aws:ecs:us-east-1:1:service/demo/svc',
    clusterArn: 'arn:aws:ecs:us-east-1:1:cluster/demo',
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    taskDefinition: 'arn:aws:ecs:us-east-1:1:task-definition/svc:3',
    deployments: [
      {
        id: 'ecs-svc/1',
        status: 'PRIMARY',
        taskDefinition: 'arn:aws:ecs:us-east-1:1:task-definition/svc:3',
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        failedTasks: 0,
        rolloutState: 'COMPLETED',
        createdAt: NOW - 120 * MIN,
      },
    ],
    events: [{ id: 'e1', createdAt: NOW - 100 * MIN, message: '(service svc) has reached a steady state.' }],
    ...over,
  };
}

const TD: TaskDefinitionInfo = {
  arn: 'arn:aws:ecs:us-east-1:1:task-definition/svc:3',
  family: 'svc',
  revision: 3,
  memory: 512,
  cpu: 256,
  containers: [{ name: 'svc', image: 'x/svc:1', essential: true, memoryReservation: 256, healthCheck: ['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1'] }],
};

function ev(over: Partial<DiagnosisEvidence> = {}): DiagnosisEvidence {
  return { now: NOW, service: service(), tasks: [task(), task()], taskDefinition: TD, ...over };
}

const below = (running: number): Partial<ServiceSummary> => ({ runningCount: running, events: [{ id: 'e', createdAt: NOW - 20 * MIN, message: '(service svc) has reached a steady state.' }] });

describe('diagnosis rules', () => {
  const table: Array<[string, DiagnosisEvidence, FindingId, RegExp]> = [
    ['a healthy service says so with its numbers', ev(), 'healthy', /^healthy: 2\/2 running, no crash in the last hour$/],
    [
      'out-of-memory kills among the last crashes',
      ev({ service: service(below(1)), tasks: [task(), crashed(1, 137, OOM), crashed(3, 1), crashed(5, 137, OOM), crashed(7, 1)] }),
      'oom',
      /^out of memory: 2 of the last 4 crashes$/,
    ],
    ['essential container exits by exit code', ev({ tasks: [task(), crashed(1, 1), crashed(2, 1), crashed(4, 139)] }), 'exit-code', /^essential container exits: exit 1 in 2 of 3 exits/],
    [
      'image tag missing from ECR',
      ev({
        service: service(below(0)),
        tasks: [failedStart(1, PULL_NF), failedStart(3, PULL_NF)],
        registry: { image: '1.dkr.ecr.us-east-1.amazonaws.com/reports:0.6.0', repository: 'reports', tag: '0.6.0', exists: true, tags: ['0.5.0', 'latest', '0.4.0'] },
      }),
      'image-not-found',
      /^image tag 0\.6\.0 is not in ECR repository reports$/,
    ],
    [
      'image repository missing from ECR',
      ev({ tasks: [failedStart(1, PULL_NF)], registry: { image: 'r/reports:0.6.0', repository: 'reports', tag: '0.6.0', exists: false, tags: [] } }),
      'image-not-found',
      /^image repository reports does not exist in ECR$/,
    ],
    ['registry refuses the pull', ev({ tasks: [failedStart(1, PULL_DENIED)] }), 'pull-auth', /^image pull refused: 1 task could not authenticate/],
    ['registry cannot be reached', ev({ tasks: [failedStart(1, PULL_TIMEOUT)] }), 'image-pull', /could not reach the registry/],
    [
      'failing container health checks',
      ev({
        tasks: [
          task(),
          task({
            lastStatus: 'STOPPED',
            desiredStatus: 'STOPPED',
            stopCode: 'ServiceSchedulerInitiated',
            stoppedReason: 'Task failed container health checks',
            stoppedAt: NOW - 2 * MIN,
            containers: [{ name: 'svc', exitCode: 143, healthStatus: 'UNHEALTHY' }],
          }),
        ],
      }),
      'health-check',
      /^failing health checks: 1 task replaced in the last hour$/,
    ],
    [
      'ResourceInitializationError names the part that failed',
      ev({
        tasks: [
          failedStart(
            1,
            'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s)',
          ),
        ],
      }),
      'resource-init',
      /\(secrets\)/,
    ],
    [
      'unable to place tasks',
      ev({
        service: service({
          runningCount: 0,
          events: [
            {
              id: 'p',
              createdAt: NOW - 2 * MIN,
              message: '(service svc) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.',
            },
          ],
        }),
        tasks: [],
      }),
      'placement',
      /^cannot place tasks: 1 "unable to place a task" event/,
    ],
    ['tasks stuck in PENDING', ev({ tasks: [task({ lastStatus: 'PENDING', createdAt: NOW - 12 * MIN, startedAt: undefined })] }), 'stuck-pending', /^1 task stuck in PENDING for 12m$/],
    [
      'a deployment the circuit breaker failed',
      ev({
        service: service({
          deployments: [
            {
              id: 'ecs-svc/2',
              status: 'PRIMARY',
              taskDefinition: 'arn:aws:ecs:us-east-1:1:task-definition/svc:4',
              desiredCount: 2,
              runningCount: 0,
              pendingCount: 0,
              failedTasks: 3,
              rolloutState: 'FAILED',
              rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
              createdAt: NOW - 20 * MIN,
              updatedAt: NOW - 10 * MIN,
            },
          ],
        }),
      }),
      'deployment-failed',
      /^deployment failed: ECS deployment circuit breaker: tasks failed to start\.$/,
    ],
    ['running below desired for a while', ev({ service: service(below(1)), tasks: [task()] }), 'below-desired', /^below desired: 1\/2 running, last steady 20m ago$/],
  ];

  it.each(table)('%s', (_name, evidence, id, title) => {
    const findings = diagnose(evidence);
    const first = findings[0];
    expect(first?.id).toBe(id);
    expect(first?.title).toMatch(title);
  });

  it('a service short of tasks for under three minutes is starting, not below desired', () => {
    const e = ev({ service: service({ runningCount: 1, events: [{ id: 'e', createdAt: NOW - MIN, message: '(service svc) has reached a steady state.' }] }), tasks: [task()] });
    expect(diagnose(e).map((f) => f.id)).toEqual(['healthy']);
  });

  it('the OOM finding carries the limits and the memory trend, and points at the heap logs', () => {
    const points = Array.from({ length: 30 }, (_, i) => ({ t: NOW - (30 - i) * MIN, v: 40 + i * 2 }));
    const e = ev({ tasks: [crashed(1, 137, OOM), crashed(3, 1)], metrics: { cpu: [], memory: points, periodSeconds: 60 } });
    const oom = diagnose(e).find((f) => f.id === 'oom');
    expect(oom?.evidence).toContain('memory: task 512 MiB, container svc hard limit none, reservation 256 MiB');
    expect(oom?.evidence.find((l) => l.startsWith('service memory'))).toMatch(/^service memory [▁▂▃▄▅▆▇█]+ avg 69%, max 98%/);
    expect(oom?.command).toBe('/ecs logs svc --filter heap');
    expect(diagnose(e).map((f) => f.id)).toEqual(['oom', 'exit-code']);
  });

  it('without metrics, the OOM finding says why instead of guessing', () => {
    const e = ev({ tasks: [crashed(1, 137, OOM)], metricsProblem: 'AWS denied cloudwatch:GetMetricData' });
    expect(diagnose(e)[0]?.evidence).toContain('memory trend unavailable: AWS denied cloudwatch:GetMetricData');
  });

  it('exit codes say what they usually mean', () => {
    expect(exitCodeMeaning(1)).toMatch(/application error/);
    expect(exitCodeMeaning(137)).toMatch(/SIGKILL: out of memory/);
    expect(exitCodeMeaning(139)).toMatch(/segmentation fault/);
    expect(exitCodeMeaning(143)).toMatch(/SIGTERM/);
    expect(exitCodeMeaning(130)).toBe('killed by signal 2');
  });

  it('the exit finding shows the last lines before each of the latest 3 exits', () => {
    const tasks = [crashed(1, 1), crashed(2, 1), crashed(3, 1), crashed(4, 1)];
    const logs = new Map(tasks.map((t, i) => [t.id, Array.from({ length: 15 }, (_, j) => `task ${i} line ${j}`)]));
    const f = diagnose(ev({ tasks, logsBeforeExit: logs }))[0];
    expect(f?.logs?.map((l) => l.lines.length)).toEqual([10, 10, 10]);
    expect(f?.logs?.[0]?.lines.at(-1)).toBe('task 0 line 14');
    expect(tasksNeedingLogs({ tasks })).toEqual(tasks.slice(0, 3));
  });

  it('the image finding suggests deploying a tag that exists', () => {
    const e = ev({ tasks: [failedStart(1, PULL_NF)], registry: { image: 'r/reports:0.6.0', repository: 'reports', tag: '0.6.0', exists: true, tags: ['latest', 'git-abc', '0.5.0'] } });
    const f = diagnose(e)[0];
    expect(f?.command).toBe('/ecs deploy svc 0.5.0');
    expect(f?.evidence).toContain('tags it has (newest first): latest, git-abc, 0.5.0');
  });

  it('ResourceInitializationError parts', () => {
    expect(resourceInitPart('ResourceInitializationError: failed to validate logger args: The specified log group does not exist.').part).toBe('log group');
    expect(resourceInitPart('ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth').part).toBe('registry auth');
    expect(resourceInitPart('ResourceInitializationError: failed to configure ENI: no free IP addresses').part).toBe('network interface (ENI)');
  });
});
