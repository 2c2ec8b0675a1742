import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../e2e/cli.ts';
import { hasMotoServer, startMotoServer, type MotoServer } from './moto-server.ts';

const root = join(import.meta.dirname, '../..');
const TEMPLATE = join(root, 'deploy/cloudformation.yaml');

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

const CFN_LINT = has('cfn-lint', ['--version']);
const AWS_CLI = has('aws', ['--version']);
const MOTO = hasMotoServer();
if (!CFN_LINT) console.warn('deploy-moto.test.ts: cfn-lint check skipped — cfn-lint is not installed (pip install cfn-lint)');
if (!(AWS_CLI && MOTO)) console.warn('deploy-moto.test.ts: moto deployment skipped — it needs moto_server and the aws CLI (pip install "moto[server]" awscli)');

describe.skipIf(!CFN_LINT)('deploy/cloudformation.yaml and cfn-lint', () => {
  it('passes cfn-lint with no error or warning', () => {
    const r = spawnSync('cfn-lint', [TEMPLATE], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe.skipIf(!(AWS_CLI && MOTO))('deploy/cloudformation.yaml deployed to moto_server', () => {
  let moto: MotoServer;
  const env = (): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  });
  /** Runs the aws CLI against moto and returns its JSON answer. */
  const aws = (...args: string[]): Record<string, unknown> => {
    const r = spawnSync('aws', ['--endpoint-url', moto.url, '--output', 'json', ...args], { encoding: 'utf8', env: env(), timeout: 60_000 });
    if (r.status !== 0) throw new Error(`aws ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
  };
  let outputs: Record<string, string>;

  beforeAll(async () => {
    moto = await startMotoServer();
    const vpc = (aws('ec2', 'describe-vpcs').Vpcs as { VpcId: string }[])[0]?.VpcId as string;
    const subnets = (aws('ec2', 'describe-subnets').Subnets as { SubnetId: string; VpcId: string }[]).filter((s) => s.VpcId === vpc).slice(0, 2);
    const secret = aws('secretsmanager', 'create-secret', '--name', 'dockhand/database-url', '--secret-string', 'postgres://dockhand:pw@db:5432/dockhand').ARN as string;
    aws(
      'cloudformation', 'create-stack', '--stack-name', 'dockhand', '--template-body', `file://${TEMPLATE}`, '--capabilities', 'CAPABILITY_IAM',
      '--parameters',
      'ParameterKey=ImageUri,ParameterValue=123456789012.dkr.ecr.us-east-1.amazonaws.com/dockhand:0.1.0',
      'ParameterKey=WatchedClusters,ParameterValue=prod',
      `ParameterKey=VpcId,ParameterValue=${vpc}`,
      `ParameterKey=SubnetIds,ParameterValue=${subnets.map((s) => s.SubnetId).join('\\,')}`,
      `ParameterKey=DatabaseUrlSecretArn,ParameterValue=${secret}`,
    );
    let stack: { StackStatus: string; Outputs?: { OutputKey: string; OutputValue: string }[] } | undefined;
    for (let i = 0; i < 30; i++) {
      stack = (aws('cloudformation', 'describe-stacks', '--stack-name', 'dockhand').Stacks as (typeof stack)[])[0];
      if (stack && !stack.StackStatus.endsWith('_IN_PROGRESS')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
    outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  }, 120_000);

  afterAll(async () => {
    await moto?.stop();
  });

  it('creates the service with two replicas, secrets from Secrets Manager and awslogs logging', () => {
    const svc = (aws('ecs', 'describe-services', '--cluster', outputs.ClusterName as string, '--services', 'dockhand').services as Record<string, unknown>[])[0];
    expect(svc?.desiredCount).toBe(2);
    const td = aws('ecs', 'describe-task-definition', '--task-definition', svc?.taskDefinition as string).taskDefinition as {
      containerDefinitions: { secrets: ({ name: string } | null)[]; logConfiguration: { logDriver: string; options: Record<string, string> } }[];
    };
    const c = td.containerDefinitions[0];
    // moto 5.2 keeps `!Ref AWS::NoValue` list items as null where CloudFormation drops them: the platforms left empty.
    expect(c?.secrets.filter((s) => s !== null).map((s) => s.name)).toEqual(['DATABASE_URL']);
    expect(c?.logConfiguration.logDriver).toBe('awslogs');
    expect(c?.logConfiguration.options['awslogs-group']).toBe(outputs.LogGroupName);
  });

  it("creates the task role with the actions of src/aws/iam-policy.json", () => {
    const resources = aws('cloudformation', 'describe-stack-resources', '--stack-name', 'dockhand').StackResources as { LogicalResourceId: string; PhysicalResourceId: string }[];
    const roleName = resources.find((r) => r.LogicalResourceId === 'TaskRole')?.PhysicalResourceId as string;
    const raw = aws('iam', 'get-role-policy', '--role-name', roleName, '--policy-name', 'dockhand').PolicyDocument;
    // Real IAM returns the document as JSON; moto 5.2 returns it as a Python dict's text, so the actions are read by their shape.
    // Condition keys (iam:PassedToService) have the same shape as actions, so the Condition blocks are left out.
    const actions = [...new Set(JSON.stringify(raw).replace(/Condition[^}]*}[^}]*}/g, '').match(/\b[a-z]+:[A-Z][A-Za-z]+\b/g) ?? [])].sort();
    expect(JSON.stringify(raw)).toContain('iam:PassedToService');
    const policy = JSON.parse(readFileSync(join(root, 'src/aws/iam-policy.json'), 'utf8')) as { Statement: { Action: string | string[] }[] };
    expect(actions).toEqual(policy.Statement.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action])).sort());
  });

  it('creates the event queue with its dead-letter queue and the EventBridge rule for ECS task state changes', () => {
    const attrs = aws('sqs', 'get-queue-attributes', '--queue-url', outputs.EventsQueueUrl as string, '--attribute-names', 'All').Attributes as Record<string, string>;
    expect(JSON.parse(attrs.RedrivePolicy as string).maxReceiveCount).toBe(5);
    const rules = aws('events', 'list-rules').Rules as { EventPattern: string }[];
    const pattern = JSON.parse(rules.find((r) => r.EventPattern.includes('ECS Task State Change'))?.EventPattern ?? '{}') as Record<string, unknown>;
    expect(pattern.source).toEqual(['aws.ecs']);
  });

  it('lets dockhand, pointed at the same endpoint, list its own service', async () => {
    const run = await runCli(['/ecs services', '/ecs status dockhand'], {
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: moto.url,
      DOCKHAND_BACKEND: 'aws',
      DOCKHAND_CLUSTERS: outputs.ClusterName as string,
    });
    expect(run.stdout).toMatch(/Services in cluster dockhand-Cluster-\S+ \(us-east-1\) — 1/);
    expect(run.stdout).toMatch(/dockhand\s+2\s+/);
    expect(run.stdout).toContain('123456789012.dkr.ecr.us-east-1.amazonaws.com/dockhand:0.1.0');
  }, 90_000);
});
