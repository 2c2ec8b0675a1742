/**
 * Suggestions for an option being typed (platform autocomplete): service names of the chosen or
 * default cluster, repositories, containers, clusters, quiz packs and quiz item ids. Platform-neutral;
 * an adapter asks and renders. Lists are cached for a few seconds so typing does not call
 * ListServices on every key press.
 */
import type { Ports } from '../ports/index.ts';
import type { ArgMap } from './command.ts';
import type { CoreSettings } from './settings.ts';

/** What a suggestion list can be read from, by option name. */
const SOURCES = new Set(['service', 'repo', 'container', 'cluster', 'pack', 'item']);

/** True when dockhand can suggest values for an option of this name. */
export function suggestsFor(optionName: string): boolean {
  return SOURCES.has(optionName);
}

/** The most suggestions a platform shows (Discord's 25 autocomplete choices). */
export const MAX_SUGGESTIONS = 25;

/** Orders candidates: those starting with the typed text first, then those containing it, case-insensitively; at most `max`. */
export function rankSuggestions(candidates: readonly string[], typed: string, max = MAX_SUGGESTIONS): string[] {
  const t = typed.trim().toLowerCase();
  const uniq = [...new Set(candidates)];
  const prefix = uniq.filter((c) => c.toLowerCase().startsWith(t));
  const inner = uniq.filter((c) => !c.toLowerCase().startsWith(t) && c.toLowerCase().includes(t));
  return [...prefix.sort(), ...inner.sort()].slice(0, max);
}

/** Lists behind suggestions, cached per key for `ttlMs`; the promise is cached so a burst makes one call. */
export class SuggestionCache {
  private readonly entries = new Map<string, { at: number; values: Promise<string[]> }>();
  private readonly ttlMs: number;

  constructor(ttlMs = 5_000) {
    this.ttlMs = ttlMs;
  }

  /** The cached list for `key`, or a fresh one from `load`; a failed load is not kept. */
  get(key: string, now: number, load: () => Promise<string[]>): Promise<string[]> {
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.values;
    const values = load().catch((e: unknown) => {
      this.entries.delete(key);
      throw e;
    });
    if (this.entries.size > 500) this.entries.clear();
    this.entries.set(key, { at: now, values });
    return values;
  }
}

/** What a suggestion is asked for. */
export interface SuggestRequest {
  /** The command, such as `ecs`. */
  command: string;
  /** The subcommand, such as `logs`. */
  subcommand?: string;
  /** The option being typed. */
  option: string;
  /** What has been typed so far. */
  typed: string;
  /** The other options already filled in (such as `cluster` or `service`). */
  args: ArgMap;
}

/** Values to suggest, best first, at most 25; empty when nothing applies or the source fails. */
export async function suggest(req: SuggestRequest, ports: Ports, settings: CoreSettings, cache: SuggestionCache): Promise<string[]> {
  const now = ports.clock.now();
  const clusterName = typeof req.args.cluster === 'string' ? req.args.cluster : undefined;
  const cluster = (clusterName && settings.clusters.find((c) => c.name.toLowerCase() === clusterName.toLowerCase())) || settings.clusters[0];
  const shortName = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);
  let list: string[];
  try {
    switch (req.option) {
      case 'cluster':
        list = settings.clusters.map((c) => c.name);
        break;
      case 'service': {
        const containers = ports.containers;
        if (!containers || !cluster) return [];
        list = await cache.get(`services:${cluster.region}:${cluster.name}`, now, async () => (await containers.listServices({ cluster: cluster.name, region: cluster.region })).map(shortName));
        break;
      }
      case 'repo': {
        const images = ports.images;
        if (!images || !cluster) return [];
        list = await cache.get(`repos:${cluster.region}`, now, async () => (await images.listRepositories(cluster.region)).map((r) => r.name));
        break;
      }
      case 'container': {
        const containers = ports.containers;
        const service = typeof req.args.service === 'string' ? req.args.service : undefined;
        if (!containers || !cluster || !service) return [];
        list = await cache.get(`containers:${cluster.region}:${cluster.name}:${service}`, now, async () => {
          const s = (await containers.describeServices({ cluster: cluster.name, region: cluster.region }, [service])).items[0];
          if (!s) return [];
          return (await containers.describeTaskDefinition(cluster.region, s.taskDefinition)).containers.map((c) => c.name);
        });
        break;
      }
      case 'pack':
        list = [...(ports.packs?.packs.keys() ?? [])];
        break;
      case 'item': {
        const packId = typeof req.args.pack === 'string' ? req.args.pack : undefined;
        const packs = [...(ports.packs?.packs.values() ?? [])].filter((p) => !packId || p.id === packId);
        // Retired items are asked nowhere, and an interview takes only open (interview and exercise) items.
        list = packs.flatMap((p) => p.items.filter((i) => !i.retired && (req.subcommand !== 'interview' || i.type !== 'mcq')).map((i) => i.id));
        break;
      }
      default:
        return [];
    }
  } catch {
    // A suggestion list is a convenience: when AWS fails, the user can still type the value.
    return [];
  }
  return rankSuggestions(list, req.typed);
}
