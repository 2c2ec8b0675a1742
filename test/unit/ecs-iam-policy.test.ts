import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const AWS_DIR = join(import.meta.dirname, '../../src/aws');
const PREFIX: Record<string, string> = {
  '@aws-sdk/client-ecs': 'ecs',
  '@aws-sdk/client-ecr': 'ecr',
  '@aws-sdk/client-cloudwatch-logs': 'logs',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-sqs': 'sqs',
};
/** SQS batch calls are authorized by their single-message action (Developer Guide, "Amazon SQS batch actions"). */
const BATCH_ACTION: Record<string, string> = { 'sqs:DeleteMessageBatch': 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibilityBatch': 'sqs:ChangeMessageVisibility', 'sqs:SendMessageBatch': 'sqs:SendMessage' };

/** Every IAM action the src/aws code can call, read from its SDK commands and paginators. */
function actionsUsedByCode(): Set<string> {
  const used = new Set<string>();
  for (const file of readdirSync(AWS_DIR).filter((f) => f.endsWith('.ts'))) {
    const src = readFileSync(join(AWS_DIR, file), 'utf8');
    const clientImport = /from '(@aws-sdk\/client-[a-z-]+)'/.exec(src);
    if (!clientImport) continue;
    const prefix = PREFIX[clientImport[1] as string];
    expect(prefix, `unknown client in ${file}`).toBeDefined();
    for (const m of src.matchAll(/new (\w+)Command\(/g)) used.add(BATCH_ACTION[`${prefix}:${m[1]}`] ?? `${prefix}:${m[1]}`);
    for (const m of src.matchAll(/paginate(\w+)\(/g)) used.add(`${prefix}:${m[1]}`);
  }
  return used;
}

/** The actions named in call sites (`action: 'ecs:...'`), which error messages quote. */
function actionsNamedInMessages(): Set<string> {
  const named = new Set<string>();
  for (const file of readdirSync(AWS_DIR).filter((f) => f.endsWith('.ts'))) {
    const src = readFileSync(join(AWS_DIR, file), 'utf8');
    for (const m of src.matchAll(/action: '((?:ecs|ecr|logs|cloudwatch|sqs):\w+)'/g)) named.add(m[1] as string);
  }
  return named;
}

/**
 * Permissions a call needs besides its own action, which no SDK command names. Issues that add
 * calls with such needs extend this list.
 */
const IMPLIED_ACTIONS: Record<string, string> = {
  // RegisterTaskDefinition with taskRoleArn/executionRoleArn passes those roles to ECS tasks.
  'iam:PassRole': 'ecs:RegisterTaskDefinition',
  // RegisterTaskDefinition with `tags` (deploy copies a revision's tags) tags the new revision.
  'ecs:TagResource': 'ecs:RegisterTaskDefinition',
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

const policy = JSON.parse(readFileSync(join(AWS_DIR, 'iam-policy.json'), 'utf8')) as { Version: string; Statement: Statement[] };
const granted = new Set(policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));

describe('least-privilege IAM policy (src/aws/iam-policy.json)', () => {
  it('grants exactly the actions the AWS layer calls, no more and no fewer', () => {
    const used = actionsUsedByCode();
    expect(used.size).toBeGreaterThan(10);
    for (const [implied, by] of Object.entries(IMPLIED_ACTIONS)) {
      expect(used, `${implied} is listed for ${by}, which the code no longer calls`).toContain(by);
      used.add(implied);
    }
    expect([...granted].sort()).toEqual([...used].sort());
  });

  it('lets dockhand pass roles only to ECS tasks, and tag only task definitions', () => {
    const pass = policy.Statement.find((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes('iam:PassRole'));
    expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    const tag = policy.Statement.find((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes('ecs:TagResource'));
    expect(tag?.Resource).toBe('arn:aws:ecs:*:*:task-definition/*:*');
  });

  it('names in error messages only actions that the code calls', () => {
    const used = actionsUsedByCode();
    for (const a of actionsNamedInMessages()) expect(used, `${a} is quoted but never called`).toContain(a);
  });

  it('is a valid Allow-only policy without wildcard actions', () => {
    expect(policy.Version).toBe('2012-10-17');
    for (const s of policy.Statement) {
      expect(s.Effect).toBe('Allow');
      for (const a of Array.isArray(s.Action) ? s.Action : [s.Action]) expect(a).not.toContain('*');
    }
  });

  it('scopes the changing actions to services and tasks rather than every resource', () => {
    const writers = policy.Statement.filter((s) => {
      const acts = Array.isArray(s.Action) ? s.Action : [s.Action];
      return acts.includes('ecs:UpdateService') || acts.includes('ecs:StopTask');
    });
    expect(writers.length).toBeGreaterThan(0);
    for (const s of writers) expect(s.Resource).not.toBe('*');
  });

  it('grants cloudwatch:GetMetricData for /ecs metrics, diagnose and the OOM alert trend, on every resource (it has no resource-level permissions)', () => {
    const st = policy.Statement.find((x) => (Array.isArray(x.Action) ? x.Action : [x.Action]).includes('cloudwatch:GetMetricData'));
    expect(st?.Resource).toBe('*');
    expect(actionsUsedByCode()).toContain('cloudwatch:GetMetricData');
  });
});
