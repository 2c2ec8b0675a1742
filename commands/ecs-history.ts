/**
 * `/ecs history <service> [n]`: the latest changes to a service, newest first — dockhand's own
 * (who, what, when, outcome, from the audit log's cluster and service columns) merged with the
 * family's task definition revisions and the service's current deployments.
 */
import { defineSubcommand } from '../src/core/command.ts';
import type { Block } from '../src/core/reply.ts';
import { reply } from '../src/core/reply.ts';
import { shortName } from '../src/ports/container-service.ts';
import { ago, awsNow, chooseCluster, clusterOption, containersOf, findService, fitRows, footer, imageTag, textBudget, whereIn } from './ecs-common.ts';

interface Row {
  at: number;
  now: number;
  what: string;
  who: string;
  outcome: string;
}

const historyOptions = [
  { name: 'service', type: 'string', description: 'The service name', positional: true, required: true, example: 'web' },
  { name: 'n', type: 'integer', description: 'How many entries of each kind to show (default 10)', positional: true, min: 1, max: 50 },
  clusterOption,
] as const;

/** `/ecs history <service> [n]`. */
export const historySub = defineSubcommand({
  name: 'history',
  description: "A service's latest changes: dockhand's deploys, rollbacks and scales, its revisions and deployments",
  options: historyOptions,
  role: 'viewer',
  changes: false,
  example: '/ecs history web',
  handler: async (args, ctx) => {
    const n = args.n ?? 10;
    const choice = chooseCluster(ctx, args.cluster);
    const service = await findService(ctx, choice, args.service);
    const ecs = containersOf(ctx);
    const region = choice.target.region;
    const now = ctx.ports.clock.now();
    const aws = awsNow(ctx);
    const rows: Row[] = [];
    for (const e of (await ctx.ports.audit.forService?.(choice.ref.name, service.name, n)) ?? []) {
      if (e.outcome === 'pending' || e.outcome === 'confirming') continue;
      rows.push({ at: e.at, now, what: e.command.slice(0, 80), who: `${e.userName} (${e.platform})`, outcome: e.outcome + (e.detail && e.outcome !== 'ok' ? `: ${e.detail.slice(0, 60)}` : '') });
    }
    const current = await ecs.describeTaskDefinition(region, service.taskDefinition);
    const arns = await ecs.listTaskDefinitions(region, current.family, { limit: n });
    const revisions = await Promise.all(arns.map((a) => ecs.describeTaskDefinition(region, a)));
    for (const td of revisions) {
      rows.push({
        at: td.registeredAt ?? 0,
        now: aws,
        what: `revision ${shortName(td.arn)} registered: ${td.containers.map((c) => `${c.name} ${imageTag(c.image)}`).join(', ')}`,
        who: 'ECS',
        outcome: td.arn === service.taskDefinition ? 'ACTIVE, running' : (td.status ?? 'ACTIVE'),
      });
    }
    for (const d of service.deployments) {
      rows.push({
        at: d.createdAt ?? 0,
        now: aws,
        what: `deployment ${d.id} (${d.status}) of ${shortName(d.taskDefinition)}: ${d.runningCount}/${d.desiredCount} running`,
        who: 'ECS',
        outcome: d.rolloutState ?? '—',
      });
    }
    // Newest first; dockhand's rows are stamped in real time, ECS's in AWS time (the sandbox may run faster).
    rows.sort((a, b) => a.now - a.at - (b.now - b.at));
    const table = rows.map((r) => [ago(r.at || undefined, r.now), r.what, r.who, r.outcome]);
    const fit = fitRows(table, textBudget(ctx.caller.platform));
    const blocks: Block[] = [
      { kind: 'heading', text: `History of ${service.name} in ${whereIn(ctx, choice.ref)}` },
      fit.rows.length ? { kind: 'table', columns: ['when', 'what', 'who', 'outcome'], rows: fit.rows } : { kind: 'text', text: 'Nothing recorded yet.' },
    ];
    if (fit.omitted > 0) blocks.push({ kind: 'context', text: `${fit.omitted} older entries left out; /ecs history ${service.name} ${Math.max(1, Math.floor(n / 2))} shows fewer.` });
    if (!ctx.ports.audit.forService) blocks.push({ kind: 'context', text: "dockhand's own changes are not listed: this audit log keeps no service column." });
    blocks.push(footer(ctx, choice.ref));
    return reply(blocks, { summary: `History of ${service.name}` });
  },
});
