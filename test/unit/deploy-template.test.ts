import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTemplate, type Template } from '../integration/cfn-template.ts';

const root = join(import.meta.dirname, '../..');
const template: Template = parseTemplate(readFileSync(join(root, 'deploy/cloudformation.yaml'), 'utf8'));
const policy = JSON.parse(readFileSync(join(root, 'src/aws/iam-policy.json'), 'utf8')) as {
  Statement: { Sid?: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown }[];
};

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
/** `!Sub arn:${AWS::Partition}:…` as the plain ARN pattern the JSON policy writes. */
const plainArn = (v: unknown): unknown => {
  // The template narrows the JSON policy's any-queue pattern to its own events queue.
  if (JSON.stringify(v) === JSON.stringify({ 'Fn::GetAtt': ['EventsQueue', 'Arn'] })) return 'arn:aws:sqs:*:*:*';
  if (v && typeof v === 'object' && 'Fn::Sub' in v) return String((v as { 'Fn::Sub': string })['Fn::Sub']).replace('${AWS::Partition}', 'aws');
  return v;
};

function resource(name: string): { Type: string; Properties: Record<string, unknown> } {
  const r = template.Resources[name];
  expect(r, `resource ${name}`).toBeDefined();
  return r as { Type: string; Properties: Record<string, unknown> };
}

function container(): Record<string, unknown> {
  const defs = resource('TaskDefinition').Properties.ContainerDefinitions as Record<string, unknown>[];
  expect(defs).toHaveLength(1);
  return defs[0] as Record<string, unknown>;
}

describe('deploy/cloudformation.yaml', () => {
  it("gives the task role exactly the statements of src/aws/iam-policy.json, so dockhand on ECS can do what it does and no more", () => {
    const role = resource('TaskRole').Properties as { Policies: { PolicyDocument: { Statement: Record<string, unknown>[] } }[] };
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const fromTemplate = statements.map((s) => ({
      Sid: s.Sid,
      Action: list(s.Action).map(String).sort(),
      Resource: list(s.Resource).map(plainArn).sort(),
      Condition: s.Condition,
    }));
    const fromPolicy = policy.Statement.map((s) => ({ Sid: s.Sid, Action: list(s.Action).map(String).sort(), Resource: list(s.Resource).sort(), Condition: s.Condition }));
    expect(fromTemplate).toEqual(fromPolicy);
  });

  it('passes tokens and DATABASE_URL as Secrets Manager secrets, never as plain environment values', () => {
    const c = container();
    const env = (c.Environment as { Name: string; Value: unknown }[]).map((e) => e.Name);
    for (const name of env) expect(name).not.toMatch(/TOKEN|SECRET|PASSWORD|DATABASE_URL|AWS_SECRET/);
    const secrets = (c.Secrets as unknown[]).flatMap((s) => {
      // Optional platforms are `!If [Has…, {Name, ValueFrom}, !Ref AWS::NoValue]`.
      if (s && typeof s === 'object' && 'Fn::If' in s) return [(s as { 'Fn::If': unknown[] })['Fn::If'][1]];
      return [s];
    }) as { Name: string; ValueFrom: { Ref: string } }[];
    expect(secrets.map((s) => s.Name).sort()).toEqual(['DATABASE_URL', 'DISCORD_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_BOT_TOKEN']);
    for (const s of secrets) expect(template.Parameters[s.ValueFrom.Ref], `${s.Name} comes from a parameter`).toBeDefined();
  });

  it('runs on Fargate with awslogs logging, a node health check and a circuit breaker', () => {
    const td = resource('TaskDefinition').Properties;
    expect(td.RequiresCompatibilities).toEqual(['FARGATE']);
    expect(td.NetworkMode).toBe('awsvpc');
    const c = container();
    expect((c.LogConfiguration as { LogDriver: string }).LogDriver).toBe('awslogs');
    const health = (c.HealthCheck as { Command: string[] }).Command;
    expect(health.slice(0, 2)).toEqual(['CMD', 'node']);
    expect(health.join(' ')).toContain('/healthz');
    const svc = resource('Service').Properties as { DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: boolean } }; DesiredCount: { Ref: string } };
    expect(svc.DeploymentConfiguration.DeploymentCircuitBreaker.Enable).toBe(true);
    expect(template.Parameters[svc.DesiredCount.Ref]?.Default).toBe(2);
    expect(template.Parameters.AssignPublicIp?.AllowedValues).toEqual(['ENABLED', 'DISABLED']);
  });

  it('sends stopped ECS tasks from EventBridge to a queue with a dead-letter queue that only the rule may write to', () => {
    const rule = resource('TaskStateChangeRule').Properties as { EventPattern: Record<string, unknown> };
    expect(rule.EventPattern.source).toEqual(['aws.ecs']);
    expect(rule.EventPattern['detail-type']).toEqual(['ECS Task State Change']);
    expect(rule.EventPattern.detail).toEqual({ desiredStatus: ['STOPPED'] });
    const queue = resource('EventsQueue').Properties as { RedrivePolicy: { deadLetterTargetArn: unknown; maxReceiveCount: number } };
    expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] });
    const qp = JSON.stringify(resource('EventsQueuePolicy').Properties);
    expect(qp).toContain('events.amazonaws.com');
    expect(qp).toContain('aws:SourceArn');
    // dockhand is told the queue, which switches it to watch.source: events.
    const env = container().Environment as { Name: string; Value: unknown }[];
    expect(env.find((e) => e.Name === 'DOCKHAND_EVENTS_QUEUE_URL')?.Value).toEqual({ Ref: 'EventsQueue' });
  });

  it('opens no inbound port: dockhand only connects out', () => {
    const sg = resource('TaskSecurityGroup').Properties;
    expect(sg.SecurityGroupIngress).toBeUndefined();
  });
});
