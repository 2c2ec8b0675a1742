/** `/ecs logs`: a service's log lines through its task definition's awslogs configuration, and following them. */
import { randomBytes } from 'node:crypto';
import { defineSubcommand, type Caller, type CommandContext } from '../src/core/command.ts';
import { clipInput, UserError } from '../src/core/errors.ts';
import { formatDuration, parseDuration } from '../src/core/parser.ts';
import type { Block, FollowUpTask, PostFollowUp, Reply } from '../src/core/reply.ts';
import { reply } from '../src/core/reply.ts';
import { resumable } from '../src/core/job-runner.ts';
import type { ContainerDefinitionInfo } from '../src/ports/container-service.ts';
import { isCloudError } from '../src/ports/container-service.ts';
import type { LogFilter, LogLine } from '../src/ports/log-source.ts';
import {
  awsNow,
  chooseCluster,
  clockTime,
  clusterOption,
  containersOf,
  count,
  findService,
  fitLines,
  footer,
  logsOf,
  revisionOf,
  textBudget,
  type ClusterChoice,
  unknownThing,
  where,
  whereIn,
} from './ecs-common.ts';

/** Default look-back of `/ecs logs`. */
export const DEFAULT_SINCE_MS = 15 * 60_000;
/** Default number of lines. */
export const DEFAULT_LINES = 50;
/** How often `--follow` looks for new lines. */
export const FOLLOW_POLL_MS = 5_000;
/** The longest pause between looks while AWS throttles. */
const FOLLOW_MAX_POLL_MS = 60_000;
/** The most new lines one follow-up message reads per look. */
const FOLLOW_BATCH = 1_000;
/** Longer windows to suggest when a read found nothing, within --since's 14-day maximum. */
const FURTHER_BACK = ['1h', '6h', '1d', '7d', '14d'];

/** One log source of a service: a container and where its logs go. */
interface LogTarget {
  container: string;
  filter: LogFilter;
}

/** A `--follow` in progress, so `/ecs unfollow` can end it. */
interface ActiveFollow {
  service: string;
  /** Where, as `cluster demo (us-east-1, sandbox)`. */
  place: string;
  startedBy: string;
  controller: AbortController;
}

/** The job kind of a `--follow` log tail: recorded so `/ecs unfollow` on any replica stops it. */
export const LOGS_FOLLOW_JOB = 'logs-follow';

/**
 * What a replica does with a `--follow` whose replica stopped: says in its thread that it ended
 * early and how to start it again (a tail is cheap to restart, and lines posted twice would confuse).
 */
export function resumeLogsFollow(args: Record<string, unknown>, ctx: CommandContext): FollowUpTask | undefined {
  const { service, key, endAt, command } = args as { service?: unknown; key?: unknown; endAt?: unknown; command?: unknown };
  if (typeof service !== 'string' || typeof key !== 'string') return undefined;
  return async (post) => {
    const left = typeof endAt === 'number' ? endAt - ctx.ports.clock.now() : 0;
    const again = typeof command === 'string' && command ? `Run \`${command}\` again to go on following.` : `Run /ecs logs ${service} --follow again to go on following.`;
    const text = left > 0 ? `The follow of ${service} ended early: the dockhand replica running it stopped. ${again}` : `Stopped following ${service}: the dockhand replica running it stopped near the end.`;
    await post(reply([{ kind: 'context', text }], { thread: { key, parent: false }, summary: `Stopped following ${service}` }));
  };
}

/** Follows by channel (`platform:workspace:channel`). */
const follows = new Map<string, Set<ActiveFollow>>();

function channelKey(c: Caller): string {
  return `${c.platform}:${c.workspaceId}:${c.channelId}`;
}

/** How many `--follow`s run in a channel, for tests and help. */
export function activeFollows(c: Caller): number {
  return follows.get(channelKey(c))?.size ?? 0;
}

/** CloudWatch Logs reads several plain words as "all of them"; a phrase is quoted so it matches as typed. */
export function filterPatternFor(text: string): string {
  const t = text.trim();
  if (/["{}[\]?]/.test(t) || !/\s/.test(t)) return t;
  return `"${t}"`;
}

/** The same filter in another case (`ERROR`, `error`, `Error`) when it finds lines the typed one did not. */
async function otherCaseMatch(ctx: CommandContext, targets: LogTarget[], extra: Partial<LogFilter>, filter: string): Promise<string | undefined> {
  if (!/[a-z]/i.test(filter) || /["{}[\]%]/.test(filter)) return undefined;
  const variants = [filter.toUpperCase(), filter.toLowerCase(), filter.charAt(0).toUpperCase() + filter.slice(1).toLowerCase()].filter((v, i, all) => v !== filter && all.indexOf(v) === i);
  for (const v of variants) {
    const r = await readLines(ctx, targets, { ...extra, filterPattern: filterPatternFor(v) }, 1, 'last');
    if (r.lines.length > 0) return /\s/.test(v) ? `"${v}"` : v;
  }
  return undefined;
}

/** The short task id of an awslogs stream (`prefix/container/taskid` → first 8 characters of taskid). */
function taskOfStream(stream: string): string {
  const last = stream.slice(stream.lastIndexOf('/') + 1);
  return last.slice(0, 8);
}

/**
 * Log text as it may be shown: apps log ANSI colours and other control characters, which are
 * junk in chat and could drive the operator's terminal, so colours are dropped and the rest shown as `�`.
 */
export function cleanLogText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)?/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '�')
  );
}

function formatLine(l: LogLine & { container: string }, showContainer: boolean): string {
  return `${clockTime(l.timestamp)} ${taskOfStream(l.stream)}${showContainer ? ` ${l.container}` : ''}  ${cleanLogText(l.message)}`;
}

/** Works out which containers and streams to read for a service. */
async function logTargets(
  ctx: CommandContext,
  choice: ClusterChoice,
  service: { name: string; taskDefinition: string },
  opts: { container?: string | undefined; task?: string | undefined; forgottenTask?: string | undefined },
): Promise<{ targets: LogTarget[]; taskId?: string; forgotten?: boolean }> {
  const ecs = containersOf(ctx);
  const td = await ecs.describeTaskDefinition(choice.target.region, service.taskDefinition);
  let containers: ContainerDefinitionInfo[];
  if (opts.container !== undefined) {
    const c = td.containers.find((x) => x.name === opts.container) ?? td.containers.find((x) => x.name.toLowerCase() === opts.container!.toLowerCase());
    if (!c) throw unknownThing('container', opts.container, td.containers.map((x) => x.name), `task definition ${revisionOf(td.arn)} of ${service.name}`);
    if (!c.logs) {
      throw new UserError('no-logs', `container ${c.name} of ${service.name} does not send its logs to CloudWatch Logs (no awslogs log driver)`, 'dockhand reads logs only through the awslogs driver.');
    }
    containers = [c];
  } else {
    containers = td.containers.filter((c) => c.logs);
    if (containers.length === 0) {
      throw new UserError('no-logs', `no container of ${service.name} (${revisionOf(td.arn)}) sends its logs to CloudWatch Logs`, 'dockhand reads logs only through the awslogs log driver.');
    }
  }
  let taskId: string | undefined = opts.forgottenTask;
  let forgotten = opts.forgottenTask !== undefined;
  if (opts.task !== undefined && !forgotten) {
    const [running, stopped] = await Promise.all([
      ecs.listTasks(choice.target, { serviceName: service.name, desiredStatus: 'RUNNING' }),
      ecs.listTasks(choice.target, { serviceName: service.name, desiredStatus: 'STOPPED' }),
    ]);
    const ids = [...running, ...stopped].map((a) => a.slice(a.lastIndexOf('/') + 1));
    const want = opts.task.toLowerCase();
    const hits = ids.filter((id) => id.toLowerCase().startsWith(want));
    const full = fullTaskId(opts.task);
    if (hits.length === 0 && full !== undefined) {
      // ECS forgets stopped tasks after about an hour, but their log streams stay; a full id names the stream exactly.
      hits.push(full);
      forgotten = true;
    }
    if (hits.length === 0) throw unknownThing('task', opts.task, ids.map((id) => id.slice(0, 8)), `service ${service.name} of ${where(choice.ref)}`, `/ecs status ${service.name}`);
    if (hits.length > 1) throw new UserError('ambiguous-task', `'${clipInput(opts.task)}' matches ${hits.length} tasks of ${service.name}`, `Give more of the id: ${hits.slice(0, 5).map((h) => h.slice(0, 12)).join(', ')}.`);
    taskId = hits[0];
  }
  const targets = containers.map((c) => {
    const logs = c.logs!;
    const base: LogFilter = { region: logs.region ?? choice.target.region, group: logs.group };
    if (logs.streamPrefix) {
      const prefix = `${logs.streamPrefix}/${c.name}/`;
      return { container: c.name, filter: taskId ? { ...base, streamNames: [`${prefix}${taskId}`] } : { ...base, streamNamePrefix: prefix } };
    }
    return { container: c.name, filter: base };
  });
  return { targets, ...(taskId ? { taskId } : {}), ...(forgotten ? { forgotten } : {}) };
}

/** The 32-hex task id of a full task id or task ARN, or undefined for anything shorter. */
export function fullTaskId(text: string): string | undefined {
  const m = /^(?:arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task\/(?:[^/]+\/)?)?([0-9a-f]{32})$/i.exec(text.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}

/** Reads the newest `limit` lines across targets, oldest first. */
async function readLines(
  ctx: CommandContext,
  targets: readonly LogTarget[],
  extra: Partial<LogFilter>,
  limit: number,
  keep: 'first' | 'last',
  signal?: AbortSignal,
): Promise<{ lines: Array<LogLine & { container: string }>; matched: number; incomplete: boolean }> {
  const logs = logsOf(ctx);
  const parts = await Promise.all(
    targets.map(async (t) => {
      const r = await logs.filterEvents({ ...t.filter, ...extra }, { limit, keep, ...(signal ? { signal } : {}) });
      return { ...r, events: r.events.map((e) => ({ ...e, container: t.container })) };
    }),
  );
  const all = parts.flatMap((p) => p.events).sort((a, b) => a.timestamp - b.timestamp);
  const lines = keep === 'last' ? all.slice(Math.max(0, all.length - limit)) : all.slice(0, limit);
  return { lines, matched: parts.reduce((n, p) => n + p.matched, 0), incomplete: parts.some((p) => p.incomplete) };
}

const logsOptions = [
  { name: 'service', type: 'string', description: 'The service name', positional: true, required: true, example: 'web' },
  { name: 'since', type: 'duration', description: 'How far back to look (default 15m)', min: 1_000, max: 14 * 86_400_000 },
  // CloudWatch Logs takes filter patterns of up to 1,024 characters; quoting a phrase adds two.
  { name: 'filter', type: 'string', description: 'Only lines with this text (a CloudWatch Logs filter pattern)', max: 1_000, kind: 'a CloudWatch Logs filter pattern', example: 'ERROR' },
  { name: 'lines', type: 'integer', description: 'How many of the newest lines to show (default 50)', min: 1, max: 1_000 },
  { name: 'task', type: 'string', description: 'Only this task (its id or the start of it)', kind: 'a task id or the start of one', example: 'e72af3cb' },
  { name: 'container', type: 'string', description: 'Only this container of the task definition', example: 'app' },
  { name: 'follow', type: 'duration', description: 'Keep posting new lines into a thread for this long', min: 10_000, max: 30 * 60_000 },
  clusterOption,
] as const;

async function stopFollows(ctx: CommandContext, service: string | undefined): Promise<Reply> {
  const chan = channelKey(ctx.caller);
  const set = follows.get(chan);
  const all = [...(set ?? [])];
  const matches = (name: string | null): boolean => name !== null && (service === undefined || name.toLowerCase() === service.toLowerCase());
  const hit = all.filter((f) => matches(f.service));
  for (const f of hit) f.controller.abort(new Error(`stopped by ${ctx.caller.displayName}`));
  // Follows that other replicas run stop at their next lease renewal, a few seconds from now.
  const jobs = ctx.ports.jobs;
  const elsewhere = jobs ? (await jobs.running(chan, [LOGS_FOLLOW_JOB])).filter((j) => matches(j.service)) : [];
  for (const name of new Set(elsewhere.map((j) => j.service!))) await jobs!.requestStop(chan, name, [LOGS_FOLLOW_JOB]);
  const local = new Set(hit.map((f) => f.service));
  const remote = [...new Set(elsewhere.map((j) => j.service!).filter((n) => !local.has(n)))];
  if (hit.length === 0 && remote.length === 0) {
    const running = [...new Set(all.map((f) => f.service))];
    const text =
      service === undefined || running.length === 0
        ? 'No log follow is running in this channel.'
        : `No follow of ${clipInput(service)} is running in this channel; following: ${running.join(', ')}.`;
    return reply([{ kind: 'text', text }], { visibility: 'ephemeral' });
  }
  const names = [...new Set([...hit.map((f) => `${f.service} in ${f.place}`), ...remote])].join(', ');
  return reply([{ kind: 'text', text: `Stopped following the logs of ${names}.` }], { summary: 'Stopped following logs' });
}

/** True when the cluster has an active service of exactly this name (so `/ecs logs stop` means that service). */
async function serviceNamed(ctx: CommandContext, choice: ClusterChoice, name: string): Promise<boolean> {
  try {
    const out = await containersOf(ctx).describeServices(choice.target, [name]);
    return out.items.some((s) => s.status !== 'INACTIVE' && s.name === name);
  } catch {
    return false;
  }
}

/** `/ecs unfollow [service]`: ends the `--follow`s running in this channel (all, or one service's). */
export const unfollowSub = defineSubcommand({
  name: 'unfollow',
  description: 'Stop following logs in this channel: one service, or every --follow running here',
  options: [{ name: 'service', type: 'string', description: 'The service whose follow to stop (default: all in this channel)', positional: true }] as const,
  role: 'viewer',
  changes: false,
  example: '/ecs unfollow web',
  handler: (args, ctx) => stopFollows(ctx, args.service),
});

/** `/ecs logs <service> ...`; the old `/ecs logs stop` still ends follows where no service is called `stop`. */
export const logsSub = defineSubcommand({
  name: 'logs',
  description: 'Show the newest log lines of a service, oldest first; --follow keeps posting new ones into a thread',
  options: logsOptions,
  role: 'viewer',
  changes: false,
  example: '/ecs logs web --since 30m --filter error --lines 100',
  formerly: { stop: 'unfollow' },
  handler: async (args, ctx) => {
    const choice = chooseCluster(ctx, args.cluster);
    if (args.service.toLowerCase() === 'stop' && args.follow === undefined && !(await serviceNamed(ctx, choice, args.service))) {
      const r = await stopFollows(ctx, undefined);
      return { ...r, blocks: [...r.blocks, { kind: 'context', text: '`/ecs logs stop` is now `/ecs unfollow [service]`.' }] };
    }
    const s = await findService(ctx, choice, args.service);
    const resolved = await logTargets(ctx, choice, s, { container: args.container, task: args.task });
    let targets = resolved.targets;
    const { taskId, forgotten } = resolved;
    const now = awsNow(ctx);
    const since = args.since ?? DEFAULT_SINCE_MS;
    const limit = args.lines ?? DEFAULT_LINES;
    const pattern: Partial<LogFilter> = args.filter ? { filterPattern: filterPatternFor(args.filter) } : {};
    // A forgotten task has stopped, so its stream ended then: its newest lines may be older than --since.
    const extra: Partial<LogFilter> = forgotten ? pattern : { startTime: now - since, ...pattern };
    let read = await readLines(ctx, targets, extra, limit, 'last');
    if (forgotten && read.lines.length === 0) {
      // The task may have run a task definition an older deployment of the service still uses.
      const others = [...new Set(s.deployments.map((dep) => dep.taskDefinition))].filter((td) => td !== s.taskDefinition);
      for (const td of others) {
        let alt: LogTarget[];
        try {
          alt = (await logTargets(ctx, choice, { name: s.name, taskDefinition: td }, { container: args.container, forgottenTask: taskId })).targets;
        } catch (e) {
          if (e instanceof UserError) continue;
          throw e;
        }
        const r = await readLines(ctx, alt, extra, limit, 'last');
        targets = [...targets, ...alt];
        if (r.lines.length > 0) {
          read = r;
          break;
        }
      }
    }
    const showContainer = targets.length > 1;
    const budget = textBudget(ctx.caller.platform);
    const fit = fitLines(read.lines.map((l) => formatLine(l, showContainer)), budget, 'end');
    const scope = [taskId ? `task ${taskId.slice(0, 8)}` : '', args.container ? `container ${args.container}` : '', args.filter ? `matching “${clipInput(args.filter)}”` : '']
      .filter(Boolean)
      .join(', ');
    const heading = `Logs of ${s.name}${scope ? ` (${scope})` : ''} in ${where(choice.ref)} — ${forgotten ? 'the newest lines of its log stream' : `since ${formatDuration(since)} ago`}`;
    const blocks: Block[] = [{ kind: 'heading', text: heading }];
    const streams = [...new Set(targets.flatMap((t) => t.filter.streamNames?.map((n) => `${n} in ${t.filter.group}`) ?? []))];
    if (forgotten) {
      blocks.push({ kind: 'context', text: `ECS no longer lists task ${taskId} (it forgets stopped tasks after about an hour), so dockhand read its log stream directly.` });
    }
    if (forgotten && read.lines.length === 0) {
      blocks.push({
        kind: 'text',
        text: `No log lines${args.filter ? ` matching “${clipInput(args.filter)}”` : ''} found for task ${taskId}: no such stream, or it is empty (looked in ${streams.join(', ') || 'no stream'}).`,
      });
      blocks.push({ kind: 'context', text: 'The task may have run a task definition the service no longer uses, or its logs expired under the group’s retention.' });
    } else if (read.lines.length === 0) {
      blocks.push({ kind: 'text', text: `No log lines${args.filter ? ` matching “${clipInput(args.filter)}”` : ''} in the last ${formatDuration(since)}.` });
      // CloudWatch Logs filter patterns are case-sensitive: `error` misses `ERROR`. Say so when another case would match.
      const otherCase = args.filter ? await otherCaseMatch(ctx, targets, extra, args.filter) : undefined;
      if (otherCase) blocks.push({ kind: 'context', text: `CloudWatch Logs filter patterns are case-sensitive: --filter ${otherCase} finds lines.` });
      // Suggest a window longer than the one just read; past the longest, only the filter is left to change.
      const further = FURTHER_BACK.find((d) => (parseDuration(d) ?? 0) > since);
      const hint = further ? `Look further back with --since ${further}${args.filter ? ', or drop --filter' : ''}.` : args.filter ? 'That is as far back as --since goes; try without --filter.' : 'That is as far back as --since goes.';
      blocks.push({ kind: 'context', text: `${hint} Groups: ${[...new Set(targets.map((t) => t.filter.group))].join(', ')}` });
    } else {
      if (fit.omitted > 0) {
        blocks.push({
          kind: 'text',
          text: `… ${count(fit.omitted)} earlier line${fit.omitted === 1 ? '' : 's'} left out to fit the message limit; narrow with --since, --filter, --task or fewer --lines.`,
        });
      }
      blocks.push({ kind: 'code', text: fit.lines.join('\n') });
      const shown = read.lines.length - fit.omitted;
      const of = read.matched > shown ? `showing the newest ${count(shown)} of ${count(read.matched)} lines${read.incomplete ? '+' : ''}` : `${count(shown)} line${shown === 1 ? '' : 's'}`;
      blocks.push({ kind: 'context', text: `${of} · times UTC · task ids shortened` });
    }

    if (args.follow === undefined) {
      blocks.push(footer(ctx, choice.ref));
      return reply(blocks, { summary: `${read.lines.length} log lines of ${s.name}` });
    }

    const key = `logs:${randomBytes(5).toString('hex')}`;
    const followMs = args.follow;
    blocks.push({ kind: 'context', text: `Following for ${formatDuration(followMs)} in a thread; /ecs unfollow ends it.` });
    blocks.push(footer(ctx, choice.ref));
    const own = new AbortController();
    const entry: ActiveFollow = { service: s.name, place: whereIn(ctx, choice.ref), startedBy: ctx.caller.displayName, controller: own };
    const chan = channelKey(ctx.caller);
    if (!follows.has(chan)) follows.set(chan, new Set());
    // Two follows of one service in one channel would post every line twice; the newer one wins.
    const older = [...follows.get(chan)!].filter((f) => f.service === entry.service && f.place === entry.place);
    for (const f of older) {
      f.controller.abort(new Error('replaced by a newer --follow'));
      follows.get(chan)!.delete(f);
    }
    if (older.length > 0) {
      blocks.splice(blocks.length - 1, 0, { kind: 'context', text: `Replaces the follow of ${s.name} started by ${older.map((f) => f.startedBy).join(', ')}.` });
    }
    follows.get(chan)!.add(entry);
    const last = read.lines.at(-1);
    const startCursor = last ? last.timestamp : now;
    const seenAtCursor = new Set(read.lines.filter((l) => l.timestamp === startCursor).map(lineId));

    const followUp = async (post: PostFollowUp, signal: AbortSignal): Promise<void> => {
      const both = AbortSignal.any([signal, own.signal]);
      const threadPost = (r: Reply): Promise<void> => post({ ...r, thread: { key, parent: false } });
      // The follow lasts real time; only the log window is measured on AWS's clock.
      const clock = ctx.ports.clock;
      const endAt = clock.now() + followMs;
      let cursor = startCursor;
      let seen = seenAtCursor;
      let pause = FOLLOW_POLL_MS;
      let throttledNoted = false;
      let posted = 0;
      try {
        while (clock.now() < endAt) {
          await clock.sleep(Math.min(pause, Math.max(1, endAt - clock.now())), both);
          let got;
          try {
            got = await readLines(ctx, targets, { ...extra, startTime: cursor }, FOLLOW_BATCH, 'first', both);
          } catch (e) {
            if (!isCloudError(e, 'throttled')) throw e;
            pause = Math.min(FOLLOW_MAX_POLL_MS, pause * 2);
            if (!throttledNoted) {
              throttledNoted = true;
              await threadPost(reply([{ kind: 'context', text: `${ctx.settings.sandbox ? 'The sandbox' : 'AWS'} is throttling log reads; checking every ${formatDuration(pause)} for now.` }]));
            }
            continue;
          }
          if (pause !== FOLLOW_POLL_MS) {
            pause = FOLLOW_POLL_MS;
            throttledNoted = false;
          }
          const fresh = got.lines.filter((l) => !seen.has(lineId(l)));
          if (fresh.length === 0) continue;
          const top = fresh.at(-1)!.timestamp;
          seen = top === cursor ? new Set([...seen, ...fresh.map(lineId)]) : new Set(fresh.filter((l) => l.timestamp === top).map(lineId));
          cursor = top;
          posted += fresh.length;
          const f = fitLines(fresh.map((l) => formatLine(l, showContainer)), budget, 'end');
          const parts: Block[] = [];
          if (f.omitted > 0) parts.push({ kind: 'context', text: `… ${count(f.omitted)} line${f.omitted === 1 ? '' : 's'} left out to fit the message limit; narrow with --filter or --task.` });
          parts.push({ kind: 'code', text: f.lines.join('\n') });
          await threadPost(reply(parts, { summary: `${fresh.length} new log lines of ${s.name}` }));
        }
        await threadPost(reply([{ kind: 'context', text: `Stopped following ${s.name} after ${formatDuration(followMs)} (${count(posted)} new lines).` }, footer(ctx, choice.ref)]));
      } catch (e) {
        if (own.signal.aborted && !signal.aborted) {
          const why = own.signal.reason instanceof Error ? own.signal.reason.message : 'stopped';
          await threadPost(reply([{ kind: 'context', text: `Stopped following ${s.name} (${why}; ${count(posted)} new lines).` }, footer(ctx, choice.ref)]));
          return;
        }
        throw e;
      } finally {
        follows.get(chan)?.delete(entry);
      }
    };
    const job = { kind: LOGS_FOLLOW_JOB, args: { service: s.name, cluster: choice.ref.name, key, endAt: ctx.ports.clock.now() + followMs, command: ctx.text.trim().slice(0, 300) }, service: s.name };
    return { reply: reply(blocks, { thread: { key, parent: true }, summary: `Following logs of ${s.name}` }), followUp: resumable(followUp, job) };
  },
});

function lineId(l: LogLine): string {
  return l.eventId ?? `${l.stream}|${l.timestamp}|${l.message}`;
}
