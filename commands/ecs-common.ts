/**
 * What the /ecs subcommands share: which cluster a command acts on, finding services with
 * did-you-mean, the footer every reply carries, and fitting output into a chat message.
 */
import type { CommandContext, OptionSpec, Platform } from '../src/core/command.ts';
import { clipInput, UserError } from '../src/core/errors.ts';
import { closest } from '../src/core/parser.ts';
import type { Block } from '../src/core/reply.ts';
import type { ClusterRef, Guardrail } from '../src/core/settings.ts';
import type { ContainerService, ClusterTarget, ServiceSummary } from '../src/ports/container-service.ts';
import { isCloudError, shortName } from '../src/ports/container-service.ts';
import type { ImageRegistry } from '../src/ports/image-registry.ts';
import type { LogSource } from '../src/ports/log-source.ts';

/** The `--cluster` flag every /ecs subcommand takes. */
export const clusterOption = {
  name: 'cluster',
  type: 'string',
  description: 'The cluster, where several are configured (the first is the default)',
  example: 'prod',
} as const satisfies OptionSpec;

/** The guardrail applied to services config does not name. */
export const DEFAULT_GUARDRAIL: Guardrail = { min: 0, max: 50 };

/** The cluster a command acts on, with how to call the API for it. */
export interface ClusterChoice {
  /** The configured cluster. */
  ref: ClusterRef;
  /** What the ports take. */
  target: ClusterTarget;
}

/** Picks the cluster named by `--cluster`, or the first configured one. */
export function chooseCluster(ctx: CommandContext, name: string | undefined): ClusterChoice {
  const clusters = ctx.settings.clusters;
  const first = clusters[0] ?? { name: 'default', region: 'us-east-1' };
  if (name === undefined) return { ref: first, target: { cluster: first.name, region: first.region } };
  const ref = clusters.find((c) => c.name === name) ?? clusters.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (!ref) {
    const near = closest(name, clusters.map((c) => c.name));
    throw new UserError(
      'unknown-cluster',
      `no cluster '${clipInput(name)}' is configured${near ? ` — did you mean '${near}'?` : ''}`,
      `Configured clusters: ${clusters.map((c) => `${c.name} (${c.region})`).join(', ') || 'none'}.`,
    );
  }
  return { ref, target: { cluster: ref.name, region: ref.region } };
}

/** The ECS port, or a clear error when it is not wired. */
export function containersOf(ctx: CommandContext): ContainerService {
  if (!ctx.ports.containers) throw notWired('ECS');
  return ctx.ports.containers;
}

/** The ECR port, or a clear error when it is not wired. */
export function imagesOf(ctx: CommandContext): ImageRegistry {
  if (!ctx.ports.images) throw notWired('ECR');
  return ctx.ports.images;
}

/** The CloudWatch Logs port, or a clear error when it is not wired. */
export function logsOf(ctx: CommandContext): LogSource {
  if (!ctx.ports.logs) throw notWired('CloudWatch Logs');
  return ctx.ports.logs;
}

function notWired(what: string): UserError {
  return new UserError('not-configured', `dockhand has no ${what} connection in this setup`, 'Set DOCKHAND_BACKEND=sandbox, or AWS_REGION/AWS_PROFILE for real AWS.');
}

/** "cluster demo (us-east-1)", with the account alias when config gives one. */
export function where(ref: ClusterRef): string {
  return `cluster ${ref.name}${ref.alias ? ` [${ref.alias}]` : ''} (${ref.region})`;
}

/** Like `where`, and says when it is the sandbox: "cluster demo (us-east-1, sandbox)". */
export function whereIn(ctx: CommandContext, ref: ClusterRef): string {
  return ctx.settings.sandbox ? `${where(ref).slice(0, -1)}, sandbox)` : where(ref);
}

/** The footer every /ecs reply carries: cluster, region, and whether the data is the sandbox's. */
export function footer(ctx: CommandContext, ref: ClusterRef, extra?: string): Block {
  const parts = [`cluster ${ref.name}${ref.alias ? ` [${ref.alias}]` : ''}`, ref.region];
  if (ctx.settings.sandbox) parts.push('sandbox data (not real AWS)');
  if (extra) parts.push(extra);
  return { kind: 'context', text: parts.join(' · ') };
}

/** The guardrail for a service: its own, else `*`, else min 0 / max 50. */
export function guardrailFor(ctx: CommandContext, service: string): Guardrail {
  return ctx.settings.guardrails.get(service) ?? ctx.settings.guardrails.get('*') ?? DEFAULT_GUARDRAIL;
}

/**
 * Describes one service by name; an unknown one raises "no service 'wbe' in cluster demo —
 * did you mean 'web'?" with the names the cluster has.
 */
export async function findService(ctx: CommandContext, choice: ClusterChoice, name: string): Promise<ServiceSummary> {
  const ecs = containersOf(ctx);
  const out = await ecs.describeServices(choice.target, [name]);
  const found = out.items.find((s) => s.status !== 'INACTIVE');
  if (found) return found;
  const names = (await ecs.listServices(choice.target)).map(shortName);
  // ECS names are case-sensitive, but `WEB` for `web` is no typo worth a round trip when only one service fits.
  const fits = names.filter((n) => n.toLowerCase() === name.toLowerCase());
  if (fits.length === 1) {
    const again = (await ecs.describeServices(choice.target, [fits[0]!])).items.find((s) => s.status !== 'INACTIVE');
    if (again) return again;
  }
  throw unknownThing('service', name, names, where(choice.ref), `/ecs services${choice.ref === ctx.settings.clusters[0] ? '' : ` --cluster ${choice.ref.name}`}`);
}

/** "no service 'wbe' in cluster demo (us-east-1) — did you mean 'web'?", with what exists as the hint. */
export function unknownThing(kind: string, name: string, candidates: readonly string[], place: string, listCommand?: string): UserError {
  const near = closest(name, candidates);
  const shown = candidates.slice(0, 10).join(', ');
  const hint =
    candidates.length === 0
      ? `There is no ${kind} there at all.`
      : `${candidates.length > 10 ? `${candidates.length} ${kind === 'repository' ? 'repositories' : `${kind}s`}, such as` : 'There are'}: ${shown}.${listCommand ? ` ${listCommand} lists them.` : ''}`;
  return new UserError(`unknown-${kind}`, `no ${kind} '${clipInput(name)}' in ${place}${near ? ` — did you mean '${near}'?` : ''}`, hint);
}

/**
 * A configured cluster that ECS does not have (a typo in DOCKHAND_CLUSTERS or dockhand.yaml):
 * says which clusters ECS has in that region, with the closest one, instead of only "no cluster".
 * Returns the error unchanged when it is something else or the clusters cannot be listed.
 */
export async function explainMissingCluster(e: unknown, ctx: CommandContext, clusterArg: unknown): Promise<unknown> {
  if (!isCloudError(e, 'cluster-not-found') || !ctx.ports.containers) return e;
  let choice: ClusterChoice;
  try {
    choice = chooseCluster(ctx, typeof clusterArg === 'string' ? clusterArg : undefined);
  } catch {
    return e;
  }
  let names: string[];
  try {
    names = (await ctx.ports.containers.listClusters(choice.target.region)).map((c) => c.name);
  } catch {
    return e;
  }
  const near = closest(choice.ref.name, names);
  const place = `${ctx.settings.sandbox ? 'the sandbox' : 'ECS'} in ${choice.target.region}`;
  return new UserError(
    'unknown-cluster',
    `${place} has no cluster '${clipInput(choice.ref.name)}'${near ? ` — did you mean '${near}'?` : ''}`,
    `${names.length ? `It has: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}. ` : 'It has no clusters at all. '}The cluster names come from DOCKHAND_CLUSTERS or clusters in dockhand.yaml.`,
  );
}

/** Roughly how many characters of text one reply may carry on each platform, leaving room for the rest. */
export function textBudget(platform: Platform): number {
  switch (platform) {
    case 'discord':
      return 1_700; // a 2,000-character message (or embed field) with a heading and footer
    case 'slack':
      return 11_000; // sections of 3,000 split by the renderer, well under Slack's ~40,000
    case 'console':
      return 60_000;
  }
}

/** Lines that fit a budget: keeps the newest (the end) or the first, and says how many were left out. */
export function fitLines(lines: readonly string[], budget: number, keep: 'start' | 'end'): { lines: string[]; omitted: number } {
  let used = 0;
  const kept: string[] = [];
  const order = keep === 'end' ? [...lines].reverse() : lines;
  for (const l of order) {
    if (used + l.length + 1 > budget && kept.length > 0) break;
    kept.push(l.length > budget ? `${l.slice(0, Math.max(0, budget - 1))}…` : l);
    used += Math.min(l.length, budget) + 1;
  }
  if (keep === 'end') kept.reverse();
  return { lines: kept, omitted: lines.length - kept.length };
}

/** Table rows that fit a budget, in order; the rest are counted. */
export function fitRows(rows: readonly string[][], budget: number): { rows: string[][]; omitted: number } {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const rowChars = widths.reduce((a, w) => a + w + 3, 0) + 1;
  const max = Math.max(1, Math.floor(budget / Math.max(1, rowChars)));
  return { rows: rows.slice(0, max), omitted: Math.max(0, rows.length - max) };
}

/** Now, as AWS (or the sandbox, which may run faster than real time) stamps its times. */
export function awsNow(ctx: CommandContext): number {
  return (ctx.ports.awsClock ?? ctx.ports.clock).now();
}

/** Ages read the same everywhere (`3m ago`, `2h ago`): the one helper in src/core/time.ts. */
export { ago } from '../src/core/time.ts';

/** A UTC time of day, `14:03:07`. */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** `web:12` from a task definition ARN. */
export function revisionOf(taskDefinitionArn: string): string {
  return shortName(taskDefinitionArn);
}

/** The tag (or short digest) of an image reference: `nginx:1.27` → `1.27`. */
export function imageTag(image: string | undefined): string {
  if (!image) return '—';
  const at = image.indexOf('@');
  if (at >= 0) return shortDigest(image.slice(at + 1));
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : 'latest';
}

/** The repository part of an image reference, without tag or digest. */
export function imageRepository(image: string): string {
  const at = image.indexOf('@');
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** `sha256:0123456789ab…` → `0123456789ab`. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** Bytes as `123 MB`. */
export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** A number with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The rollout state a table shows for a service: the primary deployment's, plus how many are in flight. */
export function rolloutOf(s: ServiceSummary): string {
  const primary = s.deployments.find((d) => d.status === 'PRIMARY') ?? s.deployments[0];
  const state = primary?.rolloutState ?? (s.deployments.length > 1 ? 'IN_PROGRESS' : 'COMPLETED');
  const label = state === 'IN_PROGRESS' ? 'in progress' : state === 'COMPLETED' ? 'completed' : 'FAILED';
  return s.deployments.length > 1 ? `${label} (${s.deployments.length} deployments)` : label;
}
