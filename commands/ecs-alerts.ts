/**
 * `/ecs alerts`, `/ecs mute <service> <duration>` and `/ecs unmute <service>`: what the crash
 * watcher has open, and holding a noisy service's alerts back for a while (they are still recorded).
 */
import { defineSubcommand, type CommandContext, type SubcommandDef } from '../src/core/command.ts';
import { UserError } from '../src/core/errors.ts';
import { formatDuration } from '../src/core/parser.ts';
import type { Block } from '../src/core/reply.ts';
import type { IncidentStore } from '../src/ports/incident-store.ts';
import { firstPollKey } from '../src/watcher/rules.ts';
// Ages read the same everywhere in /ecs (`14m ago`), from one helper.
import { ago, awsNow, chooseCluster, clusterOption, findService, footer, whereIn } from './ecs-common.ts';
import { span, utcClock, utcTime } from '../src/core/time.ts';

function storeOf(ctx: CommandContext): IncidentStore {
  if (!ctx.ports.incidents) {
    throw new UserError('not-configured', 'the crash watcher is not running in this setup', 'It starts with dockhand when ECS is wired (DOCKHAND_BACKEND=sandbox, or AWS_REGION/AWS_PROFILE for real AWS).');
  }
  return ctx.ports.incidents;
}


/** Checks the service exists when ECS is wired, so a typo is caught with a did-you-mean. */
async function checkService(ctx: CommandContext, cluster: string | undefined, service: string): Promise<{ cluster: string; service: string }> {
  const choice = chooseCluster(ctx, cluster);
  if (!ctx.ports.containers) return { cluster: choice.ref.name, service };
  const s = await findService(ctx, choice, service);
  return { cluster: choice.ref.name, service: s.name };
}

/** `/ecs alerts`. */
export const alertsSub = defineSubcommand({
  name: 'alerts',
  description: 'List open crash incidents, muted services and alerts waiting for delivery',
  options: [clusterOption] as const,
  role: 'viewer',
  changes: false,
  example: '/ecs alerts',
  handler: async (args, ctx) => {
    const store = storeOf(ctx);
    // Mutes are stamped in real time; crashes and recoveries in AWS's (the sandbox's may run faster).
    const now = ctx.ports.clock.now();
    const seenNow = awsNow(ctx);
    const cluster = args.cluster === undefined ? undefined : chooseCluster(ctx, args.cluster).ref.name;
    const inScope = (c: string): boolean => cluster === undefined || c === cluster;
    const open = (await store.openIncidents()).filter((i) => inScope(i.cluster));
    const mutes = (await store.activeMutes(now)).filter((m) => inScope(m.cluster));
    const recovered = (await store.recoveredSince(seenNow - 24 * 60 * 60_000)).filter((i) => inScope(i.cluster));
    const blocks: Block[] = [{ kind: 'heading', text: `Crash alerts${cluster ? ` in cluster ${cluster}` : ''}` }];
    // Before its first poll the watcher knows nothing, which is not the same as "all is well".
    const unwatched: string[] = [];
    for (const c of cluster ? [cluster] : ctx.settings.clusters.map((x) => x.name)) if ((await store.condition(firstPollKey(c))) === null) unwatched.push(c);
    if (unwatched.length > 0) {
      blocks.push({
        kind: 'text',
        text: `⏳ The crash watcher has not polled ${unwatched.length === 1 ? 'cluster' : 'clusters'} ${unwatched.join(', ')} yet, so crashes there are not counted. It runs while dockhand runs on a terminal or a chat platform (in a piped script, set DOCKHAND_WATCH_EVERY).`,
      });
    }
    if (open.length === 0) blocks.push({ kind: 'text', text: unwatched.length > 0 ? 'No open incidents recorded.' : 'No open incidents: no service is crash-looping.' });
    else {
      blocks.push({ kind: 'text', text: `*Open incidents (${open.length})*` });
      blocks.push({
        kind: 'table',
        columns: ['Service', 'Cluster', 'Crashes', 'Since', 'Last crash', 'Last reason'],
        align: ['left', 'left', 'right', 'left', 'left', 'left'],
        rows: open.map((i) => [i.service, i.cluster, String(i.crashes), ago(i.firstCrashAt, seenNow), ago(i.lastCrashAt, seenNow), i.lastReason.length > 80 ? `${i.lastReason.slice(0, 79)}…` : i.lastReason]),
      });
    }
    if (mutes.length > 0) {
      blocks.push({ kind: 'text', text: `*Muted (${mutes.length})* — their alerts are recorded but not posted` });
      blocks.push({
        kind: 'table',
        columns: ['Service', 'Cluster', 'Until', 'By'],
        rows: mutes.map((m) => [m.service, m.cluster, `${utcTime(m.until)} (${span(m.until - now)} left)`, m.by]),
      });
    } else blocks.push({ kind: 'text', text: 'No service is muted.' });
    if (recovered.length > 0) {
      blocks.push({ kind: 'text', text: `*Recovered in the last 24h (${recovered.length})*` });
      blocks.push({
        kind: 'table',
        columns: ['Service', 'Cluster', 'Crashes', 'Recovered'],
        align: ['left', 'left', 'right', 'left'],
        rows: recovered.slice(0, 10).map((i) => [i.service, i.cluster, String(i.crashes), ago(i.recoveredAt ?? seenNow, seenNow)]),
      });
    }
    const stats = await ctx.ports.alertOutbox?.stats();
    const failed = (await ctx.ports.alertOutbox?.failures(5)) ?? [];
    if (failed.length > 0) {
      // Given-up messages say why and what to do, so a channel that silently gets nothing is noticed here.
      blocks.push({ kind: 'text', text: `*Undeliverable alerts (latest ${failed.length})*` });
      blocks.push({
        kind: 'table',
        columns: ['Channel', 'Given up', 'Why'],
        rows: failed.map((f) => [`${f.platform} ${f.channelId}`, f.failedAt === undefined ? '—' : utcTime(f.failedAt), f.lastError ?? 'unknown']),
      });
    }
    const ref = chooseCluster(ctx, args.cluster).ref;
    blocks.push(footer(ctx, ref, stats ? `outbox: ${stats.pending} waiting, ${stats.failed} undeliverable` : undefined));
    if (open.length > 0) {
      blocks.push({
        kind: 'actions',
        buttons: open.slice(0, 5).map((i) => ({ label: `Status ${i.service}`, action: `run:/ecs status ${i.service} --cluster ${i.cluster}` })),
      });
    }
    return { visibility: 'channel', blocks };
  },
});

/** `/ecs mute <service> <duration>`. */
export const muteSub = defineSubcommand({
  name: 'mute',
  description: "Hold back a service's crash alerts for a while (they are still recorded)",
  options: [
    { name: 'service', type: 'string', description: 'The service name', positional: true, required: true, example: 'payments' },
    { name: 'duration', type: 'duration', description: 'How long, such as 30m, 1h or 1d', positional: true, required: true, min: 60_000, max: 7 * 24 * 60 * 60_000 },
    clusterOption,
  ] as const,
  role: 'operator',
  changes: false,
  example: '/ecs mute payments 1h',
  handler: async (args, ctx) => {
    const store = storeOf(ctx);
    const { cluster, service } = await checkService(ctx, args.cluster, args.service);
    const now = ctx.ports.clock.now();
    const until = now + args.duration;
    await store.mute({ cluster, service, until, by: `${ctx.caller.platform}:${ctx.caller.displayName}`, at: now });
    const open = await store.openIncident(cluster, service);
    const text = `🔕 ${service} in ${whereIn(ctx, chooseCluster(ctx, args.cluster).ref)} is muted for ${formatDuration(args.duration)} (until ${utcClock(until)}). Its crashes are still recorded${open ? ` and counted in the open incident (${open.crashes} crashes so far)` : ''}; /ecs unmute ${service} ends it early.`;
    return { visibility: 'channel', summary: text, blocks: [{ kind: 'text', text }, footer(ctx, chooseCluster(ctx, args.cluster).ref)] };
  },
});

/** `/ecs unmute <service>`. */
export const unmuteSub = defineSubcommand({
  name: 'unmute',
  description: "Post a muted service's crash alerts again",
  options: [{ name: 'service', type: 'string', description: 'The service name', positional: true, required: true, example: 'payments' }, clusterOption] as const,
  role: 'operator',
  changes: false,
  example: '/ecs unmute payments',
  handler: async (args, ctx) => {
    const store = storeOf(ctx);
    const choice = chooseCluster(ctx, args.cluster);
    const cluster = choice.ref.name;
    if (!(await store.unmute(cluster, args.service))) {
      const muted = (await store.activeMutes(ctx.ports.clock.now())).filter((m) => m.cluster === cluster).map((m) => m.service);
      throw new UserError('not-muted', `${args.service} is not muted in cluster ${cluster}`, muted.length > 0 ? `Muted there: ${muted.join(', ')}.` : 'No service is muted there.');
    }
    const text = `🔔 ${args.service} in ${whereIn(ctx, choice.ref)} is no longer muted; its next crash will be posted.`;
    return { visibility: 'channel', summary: text, blocks: [{ kind: 'text', text }, footer(ctx, choice.ref)] };
  },
});

/** The alert subcommands the lead adds to the `ecs` command. */
export const alertSubcommands: SubcommandDef[] = [alertsSub, muteSub, unmuteSub];
