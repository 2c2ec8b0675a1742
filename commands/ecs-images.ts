/** `/ecs images [repo]`: ECR repositories, their images, scan findings, and which services run them. */
import { defineSubcommand, type CommandContext } from '../src/core/command.ts';
import type { Block } from '../src/core/reply.ts';
import { reply } from '../src/core/reply.ts';
import type { ImageInfo, RepositoryInfo, SeverityCounts } from '../src/ports/image-registry.ts';
import {
  ago,
  awsNow,
  chooseCluster,
  clusterOption,
  count,
  fitRows,
  footer,
  formatBytes,
  imageRepository,
  imagesOf,
  shortDigest,
  textBudget,
  type ClusterChoice,
  unknownThing,
} from './ecs-common.ts';
import { allServices, imagesOfTaskDefinitions, mapFew } from './ecs-services.ts';

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;

/** "2 critical, 5 high" — or "none" when the scan found nothing, "not scanned" without a scan. */
export function findingsText(image: ImageInfo): string {
  if (!image.scan) return 'not scanned';
  if (image.scan.status && image.scan.status !== 'COMPLETE' && image.scan.status !== 'ACTIVE') return image.scan.status.toLowerCase().replace(/_/g, ' ');
  const c: SeverityCounts = image.scan.counts;
  const parts = SEVERITIES.filter((s) => (c[s] ?? 0) > 0).map((s) => `${c[s]} ${s.toLowerCase()}`);
  return parts.length ? parts.join(', ') : 'none';
}

function newest(images: readonly ImageInfo[]): ImageInfo | undefined {
  let best: ImageInfo | undefined;
  for (const i of images) if (!best || (i.pushedAt ?? 0) > (best.pushedAt ?? 0)) best = i;
  return best;
}

/**
 * Which services of the cluster run images of this repository, by tag and by digest,
 * read from their task definitions.
 */
async function usersOf(
  ctx: CommandContext,
  choice: ClusterChoice,
  repo: RepositoryInfo,
): Promise<{ byTag: Map<string, string[]>; byDigest: Map<string, string[]>; problem: string | undefined }> {
  const byTag = new Map<string, string[]>();
  const byDigest = new Map<string, string[]>();
  const services = await allServices(ctx, choice);
  const images = await imagesOfTaskDefinitions(ctx, choice.target.region, services.map((s) => s.taskDefinition));
  for (const s of services) {
    const image = images.get(s.taskDefinition);
    if (!image) continue;
    const repoPart = imageRepository(image);
    if (repoPart !== repo.uri && repoPart !== repo.name && !repoPart.endsWith(`/${repo.name}`)) continue;
    const at = image.indexOf('@');
    if (at >= 0) {
      const d = image.slice(at + 1);
      byDigest.set(d, [...(byDigest.get(d) ?? []), s.name]);
    } else {
      const colon = image.lastIndexOf(':');
      const tag = colon > image.lastIndexOf('/') ? image.slice(colon + 1) : 'latest';
      byTag.set(tag, [...(byTag.get(tag) ?? []), s.name]);
    }
  }
  return { byTag, byDigest, problem: images.problem };
}

/** `/ecs images [repo]`. */
export const imagesSub = defineSubcommand({
  name: 'images',
  description: 'ECR repositories with their newest image, or one repository’s images: tags, age, size, findings',
  options: [{ name: 'repo', type: 'string', description: 'A repository name', positional: true, kind: 'a repository name', example: 'web' }, clusterOption] as const,
  role: 'viewer',
  changes: false,
  example: '/ecs images web',
  handler: async (args, ctx) => {
    const choice = chooseCluster(ctx, args.cluster);
    const ecr = imagesOf(ctx);
    const region = choice.target.region;
    const now = awsNow(ctx);
    const budget = textBudget(ctx.caller.platform);
    const repos = (await ecr.listRepositories(region)).sort((a, b) => a.name.localeCompare(b.name));

    if (args.repo === undefined) {
      // A few repositories at a time: one by one, an account with a hundred of them takes too long for chat.
      const rows = await mapFew(repos, async (r) => {
        const images = await ecr.listImages(region, r.name);
        const n = newest(images);
        return [
          r.name,
          count(images.length),
          n ? n.tags.join(', ') || '(untagged)' : '—',
          n ? ago(n.pushedAt, now) : '—',
          n ? formatBytes(n.sizeBytes) : '—',
          n ? findingsText(n) : '—',
        ];
      });
      const fit = fitRows(rows, budget);
      const blocks: Block[] = [
        { kind: 'heading', text: `Repositories in ${region} — ${count(repos.length)}` },
        {
          kind: 'table',
          columns: ['Repository', 'Images', 'Newest tags', 'Pushed', 'Size', 'Findings (newest)'],
          rows: fit.rows,
          align: ['left', 'right', 'left', 'left', 'right', 'left'],
        },
      ];
      if (fit.omitted > 0) blocks.push({ kind: 'text', text: `… ${count(fit.omitted)} more repositories not shown (message limit).` });
      blocks.push(footer(ctx, choice.ref, '/ecs images <repo> lists one repository'));
      return reply(blocks, { summary: `${repos.length} repositories` });
    }

    const repo = repos.find((r) => r.name === args.repo);
    if (!repo) throw unknownThing('repository', args.repo, repos.map((r) => r.name), `ECR in ${region}`, '/ecs images');
    const images = (await ecr.listImages(region, repo.name)).sort((a, b) => (b.pushedAt ?? 0) - (a.pushedAt ?? 0));
    const users = await usersOf(ctx, choice, repo);
    const rows = images.map((i) => {
      const names = new Set<string>([...(users.byDigest.get(i.digest) ?? []), ...i.tags.flatMap((t) => users.byTag.get(t) ?? [])]);
      return [i.tags.join(', ') || '(untagged)', shortDigest(i.digest), ago(i.pushedAt, now), formatBytes(i.sizeBytes), findingsText(i), [...names].sort().join(', ') || '—'];
    });
    const fit = fitRows(rows, budget);
    const blocks: Block[] = [
      { kind: 'heading', text: `Images of ${repo.name} in ${region} — ${count(images.length)}, newest first` },
      {
        kind: 'table',
        columns: ['Tags', 'Digest', 'Pushed', 'Size', 'Findings', `Used by (in ${choice.ref.name})`],
        rows: fit.rows,
        align: ['left', 'left', 'left', 'right', 'left', 'left'],
      },
    ];
    if (fit.omitted > 0) blocks.push({ kind: 'text', text: `… ${count(fit.omitted)} older images not shown (message limit).` });
    // A service pointing at a tag or digest the repository does not have cannot pull it: say so.
    const tags = new Set(images.flatMap((i) => i.tags));
    const digests = new Set(images.map((i) => i.digest));
    const missing = [
      ...[...users.byTag].filter(([tag]) => !tags.has(tag)).map(([tag, names]) => ({ ref: `${repo.name}:${tag}`, names })),
      ...[...users.byDigest].filter(([d]) => !digests.has(d)).map(([d, names]) => ({ ref: `${repo.name}@${shortDigest(d)}`, names })),
    ];
    if (users.problem) blocks.push({ kind: 'context', text: `Which services run these images is unknown: ${users.problem}` });
    for (const m of missing) {
      const who = [...new Set(m.names)].sort();
      blocks.push({ kind: 'text', text: `⚠️ ${who.join(', ')} ${who.length === 1 ? 'runs' : 'run'} ${m.ref}, which is not in this repository; new tasks cannot pull it.` });
    }
    blocks.push(footer(ctx, choice.ref));
    return reply(blocks, { summary: `${images.length} images in ${repo.name}` });
  },
});
