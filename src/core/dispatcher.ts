import { randomBytes } from 'node:crypto';
import type { Ports } from '../ports/index.ts';
import type { AuditOutcome } from '../ports/audit-log.ts';
import type { ArgMap, Caller, CommandContext, CommandDef, SubcommandDef } from './command.ts';
import { usageOf } from './command.ts';
import { isUserError, userMessage } from './errors.ts';
import { helpReply } from './help.ts';
import type { Logger } from './logger.ts';
import { noTelemetry, type Telemetry } from '../ports/telemetry.ts';
import type { HelpRequest, ParsedCommand, StructuredInput } from './parser.ts';
import { formatDuration, parseCommandLine, parseStructured, structuredToText } from './parser.ts';
import { mayRun, resolveRole, visibleCommands } from './policy.ts';
import type { FollowUpOutcome, FollowUpTask, HandlerResult, PostFollowUp, Reply } from './reply.ts';
import { ConversationClosed, hasFollowUp, reply } from './reply.ts';
import type { Role } from './roles.ts';
import type { Confirmations, ConversationHandle, JobRecord, StoredCaller, StoredConfirmation } from '../ports/coordination.ts';
import { MemoryConfirmations } from '../ports/memory-coordination.ts';
import { JobHandedOver, jobSpecOf, JobLost, JobStopRequested, type JobArgs, type JobResumers, type JobRunner } from './job-runner.ts';
import type { CoreSettings } from './settings.ts';
import { suggest, SuggestionCache, type SuggestRequest } from './suggest.ts';

/** How one request ended, as the audit log says it; `pending` while a confirmation waits for an answer. */
export type DispatchOutcome = AuditOutcome | 'pending';

/** What an adapter gets back: the reply to show now, and optional work that posts more later. */
export interface DispatchResult {
  /** The reply to show at once. */
  reply: Reply;
  /** How the request ended (a script's exit code follows it). */
  outcome: DispatchOutcome;
  /**
   * Starts the command's background work, posting through `post`, and resolves with how it ended.
   * Already tracked by the dispatcher (see `idle`) and guarded: it never rejects. With `handle` (where
   * its messages go, as data), a follow-up that is a job is recorded so another replica can finish it.
   */
  followUp?: (post: PostFollowUp, handle?: ConversationHandle) => Promise<FollowUpOutcome>;
}

/** A confirmation that ended unanswered because dockhand stopped. */
export interface ExpiredAtStop {
  /** Who ran the command. */
  caller: Caller;
  /** The command line that was never confirmed. */
  text: string;
}

/** Where one request's audit outcome is noted as it is written, so the result can carry it. */
interface OutcomeBox {
  value: DispatchOutcome;
  /** When the request reached the dispatcher. */
  receivedAt: number;
}

/** Completes one request's audit row (and notes its outcome); resolves once the row is written or the failure logged. */
type Finish = (outcome: AuditOutcome, detail?: string | null) => Promise<void>;

/** How long a two-person approval waits when config does not say: finding a second person takes longer than a confirm. */
export const DEFAULT_APPROVAL_EXPIRY_MS = 30 * 60_000;

/** Options for building a dispatcher. */
export interface DispatcherOptions {
  /** The commands, in the order help lists them. */
  commands: readonly CommandDef[];
  /** The ports handlers use. */
  ports: Ports;
  /** Roles, confirmation policy, clusters, guardrails. */
  settings: CoreSettings;
  /** Where errors are logged under their error id. */
  log: Logger;
  /** Where finished commands are counted (for /metrics); nothing is counted without it. */
  telemetry?: Telemetry;
  /** Where confirmations wait for their press (the database in main.ts; this process's memory when absent). */
  confirmations?: Confirmations;
  /** Records follow-ups as jobs with leases, so another replica finishes what this one could not (absent: they run here only). */
  jobs?: JobRunner;
  /** How each kind of job is continued on a replica that takes it over. */
  resumers?: JobResumers;
}


/** A short, readable id for an error or a confirmation. */
function shortId(prefix: string): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(6);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return `${prefix}${s}`;
}

/** A caller as a confirmation row keeps it. */
function storedCaller(c: Caller): StoredCaller {
  return { platform: c.platform, workspaceId: c.workspaceId, channelId: c.channelId, userId: c.userId, displayName: c.displayName, ...(c.platformRoles ? { platformRoles: [...c.platformRoles] } : {}) };
}

/** The id that ties a command's log lines to its audit row. */
function requestId(auditId: number): string {
  return `cmd-${auditId}`;
}

/** A reply that says what went wrong, for the caller only. */
function problem(message: string, hint?: string): Reply {
  const text = message;
  return reply(
    [{ kind: 'text', text: `⚠️ ${text}` }, ...(hint ? [{ kind: 'context' as const, text: hint }] : [])],
    { visibility: 'ephemeral', summary: text },
  );
}

/**
 * The core: parses, validates, authorizes, asks for confirmation, runs, audits.
 * Every adapter hands it text (or structured input, or a pressed button) and renders what comes back.
 */
export class Dispatcher {
  private readonly commands: readonly CommandDef[];
  private readonly ports: Ports;
  private readonly settings: CoreSettings;
  private readonly log: Logger;
  /** Pending and recently expired confirmations: in the database, so a press on any replica finds them. */
  private readonly confirmations: Confirmations;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly controllers = new Set<AbortController>();
  /** Commands and presses being answered right now (not their follow-ups). */
  private readonly answering = new Set<Promise<unknown>>();
  private draining = false;
  private readonly suggestions = new SuggestionCache();
  private readonly telemetry: Telemetry;
  private readonly jobs: JobRunner | undefined;
  private readonly resumers: JobResumers;
  /** Follow-ups stopped because dockhand is stopping: their jobs are released for another replica, not ended. */
  private shuttingDown = false;

  constructor(opts: DispatcherOptions) {
    this.jobs = opts.jobs;
    this.confirmations = opts.confirmations ?? new MemoryConfirmations();
    this.resumers = opts.resumers ?? {};
    this.commands = opts.commands;
    this.ports = opts.ports;
    this.settings = opts.settings;
    this.log = opts.log;
    this.telemetry = opts.telemetry ?? noTelemetry;
  }

  /** The caller's effective role. */
  roleOf(caller: Caller): Role {
    return resolveRole(caller, this.settings);
  }

  /** The commands this caller may run (for help and for platform registration). */
  commandsFor(caller: Caller): CommandDef[] {
    return visibleCommands(this.roleOf(caller), this.commands);
  }

  /** All commands, unfiltered (for registering slash commands with a platform). */
  allCommands(): readonly CommandDef[] {
    return this.commands;
  }

  /** Runs a typed command line such as `/ecs scale web 5`. */
  async run(text: string, caller: Caller): Promise<DispatchResult> {
    return this.guard(text, (box) => this.execute(text, caller, () => parseCommandLine(text, this.commands), box));
  }

  /** Runs structured input (Discord options) through the same validation as typed text. */
  async runStructured(input: StructuredInput, caller: Caller): Promise<DispatchResult> {
    const label = `/${input.command}${input.subcommand ? ` ${input.subcommand}` : ''}`;
    return this.guard(label, (box) => {
      const text = structuredToText(input, this.commands);
      return this.execute(text, caller, () => parseStructured(input, this.commands), box);
    });
  }

  /**
   * Values to suggest while an option is typed (platform autocomplete): at most 25, prefix matches
   * first. Never rejects; a caller who may not run the subcommand gets none.
   */
  async suggest(req: SuggestRequest, caller: Caller): Promise<string[]> {
    const cmd = this.commands.find((c) => c.name === req.command);
    const sub = cmd?.subcommands.find((s) => s.name === (req.subcommand ?? cmd.name));
    if (!sub || !mayRun(this.roleOf(caller), sub)) return [];
    return suggest(req, this.ports, this.settings, this.suggestions);
  }

  /** Handles a pressed button: `run:<command>`, `confirm:<id>`, `cancel:<id>` or `ask:<command>`. */
  async press(action: string, caller: Caller): Promise<DispatchResult> {
    return this.guard(`button ${action.slice(0, 40)}`, (box) => this.pressUnguarded(action, caller, box));
  }

  /**
   * Runs one request so that it always resolves with a reply: a failure outside any handler
   * (the audit log's database, a broken port) becomes an error id too, never a rejection an
   * adapter could turn into a crash or a stack trace.
   */
  private async guard(text: string, run: (box: OutcomeBox) => Promise<Omit<DispatchResult, 'outcome'> & { outcome?: DispatchOutcome }>): Promise<DispatchResult> {
    if (this.draining) {
      // Nothing of it runs, so nothing is audited: the same command on the next replica is the one that counts.
      return { reply: problem('dockhand is restarting and takes no new commands now', 'Run it again in a minute; nothing was changed.'), outcome: 'error' };
    }
    const box: OutcomeBox = { value: 'pending', receivedAt: this.ports.clock.now() };
    const answer = (async (): Promise<DispatchResult> => {
      try {
        const r = await run(box);
        return { ...r, outcome: r.outcome ?? box.value };
      } catch (e) {
        return { reply: await this.internalError(e, text, async () => undefined), outcome: 'error' };
      }
    })();
    this.answering.add(answer);
    try {
      return await answer;
    } finally {
      this.answering.delete(answer);
    }
  }

  /**
   * Stops taking commands (each new one is told dockhand is restarting) and waits up to `withinMs`
   * for the answers already being worked on, so a shutdown never cuts a reply in half.
   * Resolves true when all of them finished in time.
   */
  async drain(withinMs: number): Promise<boolean> {
    this.draining = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), withinMs);
      timer.unref();
    });
    const done = (async (): Promise<true> => {
      while (this.answering.size > 0) await Promise.allSettled([...this.answering]);
      return true;
    })();
    try {
      return await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async pressUnguarded(action: string, caller: Caller, box: OutcomeBox): Promise<Omit<DispatchResult, 'outcome'> & { outcome?: DispatchOutcome }> {
    await this.sweepExpired();
    const colon = action.indexOf(':');
    const kind = colon >= 0 ? action.slice(0, colon) : action;
    const arg = colon >= 0 ? action.slice(colon + 1) : '';
    if (kind === 'run') return this.run(arg, caller);
    if (kind === 'confirm' || kind === 'cancel') return this.answerConfirmation(kind, arg, caller, box);
    // Adapters with a form (Slack's modal) handle `ask:` themselves; reaching here means there is none.
    if (kind === 'ask' && arg.trim()) return { reply: reply([{ kind: 'text', text: `Type \`${arg.trim()} <your text>\` to send it.` }], { visibility: 'ephemeral' }), outcome: 'ok' };
    return { reply: problem(`this button is not one dockhand knows ('${action.slice(0, 40)}')`, 'It may come from an older version; run the command again.'), outcome: 'invalid' };
  }

  /** Resolves when every follow-up in flight has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** The number of follow-ups still running. */
  get busy(): number {
    return this.inFlight.size;
  }

  /** The command's name for metrics: known names only, so typed text can never create new series. */
  private metricName(text: string): string {
    const [first = '', second = ''] = text.trim().split(/\s+/);
    const cmd = this.commands.find((c) => `/${c.name}` === first.toLowerCase());
    if (!cmd) return first === '/help' ? '/help' : 'unknown';
    const sub = cmd.subcommands.find((s) => s.name === second.toLowerCase());
    return sub && sub.name !== cmd.name ? `/${cmd.name} ${sub.name}` : `/${cmd.name}`;
  }

  /** Stops every follow-up in flight (on shutdown). */
  abortAll(): void {
    this.shuttingDown = true;
    for (const c of this.controllers) c.abort(new Error('dockhand is shutting down'));
  }

  /**
   * Continues a job another replica started and stopped renewing (it died): the kind's resumer
   * rebuilds the follow-up for the same caller and command, posting through `post`. When it cannot
   * go on (no way to post, or a kind this version does not know), the job ends and, where possible,
   * its conversation is told the follow-up ended early.
   */
  async resumeJob(job: JobRecord, post: PostFollowUp | undefined): Promise<void> {
    const runner = this.jobs;
    if (!runner) return;
    const a = job.args as unknown as Partial<JobArgs>;
    const caller = a.caller as Caller | undefined;
    const text = typeof a.text === 'string' ? a.text : job.kind;
    const resumer = this.resumers[job.kind];
    let task: FollowUpTask | undefined;
    if (caller && resumer && post) {
      const role = this.roleOf(caller);
      try {
        task = resumer(a.params ?? {}, this.context(caller, role, text, visibleCommands(role, this.commands)));
      } catch (e) {
        this.log.warn({ job: job.id, err: e instanceof Error ? e.message : String(e) }, 'could not continue a follow-up taken over');
      }
    }
    if (!task || !post) {
      await runner.end(job.id, 'stopped');
      this.log.warn({ job: job.id, kind: job.kind, platform: job.handle.platform }, 'a follow-up taken over could not continue; it ended early');
      if (post) await post(problem(`the follow-up of \`${text.trim().slice(0, 80)}\` ended early: the dockhand replica running it stopped`, 'Run the command again to follow it.')).catch(() => undefined);
      return;
    }
    void this.track(task, text, caller, { id: job.id, kind: job.kind })(post);
  }

  /**
   * Runs background work that belongs to no command (a quiz timer resumed at boot), tracked and
   * guarded like a follow-up: `idle` waits for it, `abortAll` stops it, errors are logged under an id.
   */
  runBackground(task: FollowUpTask, label: string, post: PostFollowUp): Promise<FollowUpOutcome> {
    return this.track(task, label)(post);
  }

  /**
   * Expires every confirmation still waiting (dockhand is stopping, so nobody can answer it any
   * more): each is audited as `expired`, and a late press is told so. Returns what expired.
   */
  async expirePending(): Promise<ExpiredAtStop[]> {
    const now = this.ports.clock.now();
    const out: ExpiredAtStop[] = [];
    for (const p of await this.confirmations.expireAll(now)) {
      await this.finishAudit(p.auditId, 'expired', now - p.startedAt, 'confirmation not answered before dockhand stopped');
      out.push({ caller: p.caller as Caller, text: p.text });
    }
    return out;
  }

  /** Marks unanswered confirmations past their time as expired in the audit log (each once, whichever replica sweeps). Never rejects. */
  async sweepExpired(): Promise<void> {
    const now = this.ports.clock.now();
    let due: StoredConfirmation[];
    try {
      due = await this.confirmations.expireDue(now);
    } catch (e) {
      this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not look for expired confirmations');
      return;
    }
    for (const p of due) await this.finishAudit(p.auditId, 'expired', now - p.startedAt, 'confirmation not answered in time');
  }

  /**
   * Completes an audit row; a failure to write it is logged, not thrown, because by then the
   * command has run and its reply must still reach the user.
   */
  private async finishAudit(auditId: number, outcome: AuditOutcome, durationMs: number, detail: string | null): Promise<void> {
    this.log.info({ requestId: requestId(auditId), outcome, durationMs }, 'command finished');
    try {
      await this.ports.audit.finish(auditId, outcome, durationMs, detail);
    } catch (e) {
      this.log.error({ errorId: shortId('E-'), err: e, auditId, outcome }, 'could not complete the audit row');
    }
  }

  /** Audits a press of someone else's Confirm or Cancel that was refused, as the presser and with why. */
  private async auditRefusedPress(caller: Caller, command: string, at: number, detail: string): Promise<void> {
    const id = await this.ports.audit.begin({
      at,
      platform: caller.platform,
      workspaceId: caller.workspaceId,
      channelId: caller.channelId,
      userId: caller.userId,
      userName: caller.displayName,
      command: command.slice(0, 2000),
    });
    await this.ports.audit.finish(id, 'denied', 0, detail);
  }


  private async execute(text: string, caller: Caller, parse: () => ParsedCommand | HelpRequest, box: OutcomeBox): Promise<Omit<DispatchResult, 'outcome'>> {
    await this.sweepExpired();
    const started = this.ports.clock.now();
    const auditId = await this.ports.audit.begin({
      at: started,
      platform: caller.platform,
      workspaceId: caller.workspaceId,
      channelId: caller.channelId,
      userId: caller.userId,
      userName: caller.displayName,
      command: text.trim().slice(0, 2000),
    });
    // The audit row's id is the request id: one log line when a command arrives, one when it ends, both findable from /audit.
    this.log.info({ requestId: requestId(auditId), platform: caller.platform, user: caller.userId, channel: caller.channelId, command: text.trim().slice(0, 200) }, 'command');
    const finish = async (outcome: AuditOutcome, detail?: string | null): Promise<void> => {
      box.value = outcome;
      this.telemetry.commandFinished(this.metricName(text), outcome, this.ports.clock.now() - started);
      await this.finishAudit(auditId, outcome, this.ports.clock.now() - started, detail ?? null);
    };
    const role = this.roleOf(caller);
    let parsed: ParsedCommand | HelpRequest;
    try {
      parsed = parse();
    } catch (e) {
      if (isUserError(e)) {
        await finish('invalid', `${e.id}: ${userMessage(e, this.settings.sandbox)}`.slice(0, 500));
        return { reply: problem(userMessage(e, this.settings.sandbox), e.hint) };
      }
      return { reply: await this.internalError(e, text, finish) };
    }
    const visible = visibleCommands(role, this.commands);
    if ('help' in parsed) {
      await finish('ok', 'help');
      const cmd = parsed.command && visible.find((c) => c.name === parsed.command!.name);
      if (parsed.command && !cmd) {
        return { reply: problem(`/${parsed.command.name} needs a role above yours (${role})`, 'Ask an admin of dockhand if you need it.') };
      }
      if (parsed.sub && cmd && !mayRun(role, parsed.sub)) {
        return { reply: this.deniedReply(parsed.command!, parsed.sub, role) };
      }
      return { reply: helpReply(role, visible, cmd ?? undefined, parsed.sub) };
    }
    const { command, sub, args } = parsed;
    if (!mayRun(role, sub)) {
      await finish('denied', `needs ${sub.role}, caller is ${role}`);
      return { reply: this.deniedReply(command, sub, role) };
    }
    const ctx = { ...this.context(caller, role, text, visible), receivedAt: box.receivedAt };
    // A change whose arguments name no service (an Undo token) says itself what it acts on; an unknown one is refused by its confirm.
    const own = sub.changes && sub.target ? await sub.target(args as never, ctx).catch(() => undefined) : undefined;
    const service = own?.service ?? (typeof args['service'] === 'string' ? args['service'] : undefined);
    if (sub.changes && service) {
      // /ecs history reads these columns rather than parsing command text.
      const cluster = own?.cluster ?? (typeof args['cluster'] === 'string' ? args['cluster'] : this.settings.clusters[0]?.name);
      try {
        if (cluster) await this.ports.audit.target?.(auditId, cluster, service);
      } catch (e) {
        this.log.warn({ err: e, auditId }, 'could not note the service on the audit row');
      }
    }
    const approvalCluster = this.approvalClusterOf(sub, own?.cluster ?? args['cluster']);
    if (sub.confirm || approvalCluster) {
      let question: string | null = null;
      try {
        if (sub.confirm) question = await sub.confirm(args as never, ctx);
      } catch (e) {
        return this.failure(e, text, finish);
      }
      // On a two-person cluster every change asks, even one that would run at once elsewhere.
      if (!question && approvalCluster) question = `Run \`${text.trim()}\` in cluster ${approvalCluster}?`;
      if (question) {
        const token = shortId('c');
        const waitMs = approvalCluster ? (this.settings.approvalExpiryMs ?? DEFAULT_APPROVAL_EXPIRY_MS) : this.settings.confirmExpiryMs;
        // Stored with the command line, so the replica that gets the press parses and runs it there.
        await this.confirmations.save({ token, caller: storedCaller(caller), text, question, expiresAt: started + waitMs, auditId, startedAt: started, approvalCluster: approvalCluster ?? null });
        // The audit row says "expired" when the time is up, not only when someone next runs a command.
        // finishAudit logs its own failures, so the sweep never rejects.
        setTimeout(() => void this.sweepExpired(), waitMs + 100).unref();
        const who = this.settings.operatorsMayConfirm ? `${caller.displayName} or another ${sub.role}` : caller.displayName;
        const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
        const note = approvalCluster
          ? `Needs a second person: ${caller.displayName} asked at ${hhmm(started)} UTC; another operator or admin must confirm (cluster ${approvalCluster} requires two people). Expires at ${hhmm(started + waitMs)} UTC (in ${formatDuration(waitMs)}); then nothing happens.`
          : `Only ${who} can confirm. Expires in ${formatDuration(waitMs)}; then nothing happens.`;
        return {
          reply: reply(
            [
              { kind: 'text', text: `❓ ${question}` },
              { kind: 'context', text: note },
              {
                kind: 'actions',
                buttons: [
                  { label: 'Confirm', action: `confirm:${token}`, style: 'danger' },
                  { label: 'Cancel', action: `cancel:${token}` },
                ],
              },
            ],
            { summary: question },
          ),
        };
      }
    }
    return this.invoke(sub, args, ctx, text, finish);
  }

  /** The cluster a changing command acts on, when that cluster requires a second person's Confirm. */
  private approvalClusterOf(sub: SubcommandDef, cluster: ArgMap[string]): string | undefined {
    if (!sub.changes || !sub.options.some((o) => o.name === 'cluster')) return undefined;
    const named = typeof cluster === 'string' ? cluster : undefined;
    const clusters = this.settings.clusters;
    const ref = named === undefined ? clusters[0] : (clusters.find((c) => c.name === named) ?? clusters.find((c) => c.name.toLowerCase() === named.toLowerCase()));
    return ref?.approval === 'second-operator' ? ref.name : undefined;
  }

  private deniedReply(cmd: CommandDef, sub: SubcommandDef, role: Role): Reply {
    return problem(
      `${usageOf(cmd, sub).split(' <')[0]!.split(' [')[0]} needs the ${sub.role} role; you are ${role === 'admin' || role === 'operator' ? 'an' : 'a'} ${role}`,
      'Ask a dockhand admin to grant it (DOCKHAND_OPERATORS / DOCKHAND_ADMINS or roles in dockhand.yaml).',
    );
  }

  private context(caller: Caller, role: Role, text: string, visible: readonly CommandDef[]): CommandContext {
    return {
      caller,
      role,
      ports: this.ports,
      settings: this.settings,
      text,
      log: this.log.child({ user: `${caller.platform}:${caller.userId}` }),
      commands: visible,
    };
  }

  private async invoke(
    sub: SubcommandDef,
    args: ArgMap,
    ctx: CommandContext,
    text: string,
    finish: Finish,
  ): Promise<Omit<DispatchResult, 'outcome'>> {
    let result: HandlerResult;
    try {
      result = await sub.handler(args as never, ctx);
    } catch (e) {
      return this.failure(e, text, finish);
    }
    await finish('ok');
    if (hasFollowUp(result)) return { reply: result.reply, followUp: this.track(result.followUp, text, ctx.caller) };
    return { reply: result };
  }

  private async failure(e: unknown, text: string, finish: Finish): Promise<Omit<DispatchResult, 'outcome'>> {
    if (isUserError(e)) {
      await finish('invalid', `${e.id}: ${userMessage(e, this.settings.sandbox)}`.slice(0, 500));
      return { reply: problem(userMessage(e, this.settings.sandbox), e.hint) };
    }
    return { reply: await this.internalError(e, text, finish) };
  }

  private async internalError(e: unknown, text: string, finish: Finish): Promise<Reply> {
    const errorId = shortId('E-');
    this.log.error({ errorId, err: e, command: text }, 'command failed');
    await finish('error', errorId);
    return problem(
      `something went wrong running \`${text.trim().slice(0, 80)}\` (error id ${errorId})`,
      'Nothing more was done. The details are in dockhand\'s log under that id.',
    );
  }

  private track(task: FollowUpTask, text: string, caller?: Caller, takenOver?: { id: string; kind: string }): (post: PostFollowUp, handle?: ConversationHandle) => Promise<FollowUpOutcome> {
    return (post, handle) => {
      const spec = jobSpecOf(task);
      // A leader's kind of follow-up (a quiz timer) asked on a follower is the leader's to run.
      if (!takenOver && spec && handle && caller && this.jobs?.handsOver(spec, handle)) {
        const runner = this.jobs;
        const handed = runner.handOver(spec, { params: spec.args, caller, text }, handle).then(
          (): FollowUpOutcome => 'ok',
          (e: unknown) => {
            // The store refused: run it here rather than not at all.
            this.log.warn({ err: e instanceof Error ? e.message : String(e), command: text }, 'could not hand a follow-up to the leader; running it here');
            return this.runHere(task, text, caller, undefined)(post, handle);
          },
        );
        this.inFlight.add(handed);
        void handed.finally(() => this.inFlight.delete(handed));
        return handed;
      }
      return this.runHere(task, text, caller, takenOver)(post, handle);
    };
  }

  private runHere(task: FollowUpTask, text: string, caller: Caller | undefined, takenOver: { id: string; kind: string } | undefined): (post: PostFollowUp, handle?: ConversationHandle) => Promise<FollowUpOutcome> {
    return (post, handle) => {
      const controller = new AbortController();
      this.controllers.add(controller);
      const p = (async (): Promise<FollowUpOutcome> => {
        // Only a job waits for the store: a plain follow-up starts at once, as it always did.
        const jobId = this.jobs && (takenOver || (handle && caller && jobSpecOf(task))) ? await this.recordJob(task, text, caller, handle, controller, takenOver) : undefined;
        let how: 'done' | 'stopped' | 'released' = 'done';
        try {
          return (await task(post, controller.signal)) ?? 'ok';
        } catch (e) {
          // Stopped mid-way: released for another replica when this one stops or no longer leads, else ended.
          if (controller.signal.aborted) how = this.shuttingDown || controller.signal.reason instanceof JobHandedOver ? 'released' : controller.signal.reason instanceof JobStopRequested ? 'stopped' : 'done';
          if (controller.signal.aborted) return 'ok';
          if (e instanceof ConversationClosed) {
            // The platform can take no more of this command's messages; its last one said why.
            this.log.info({ command: text, why: e.message }, 'follow-up ended: the conversation is closed');
            return 'ok';
          }
          const errorId = shortId('E-');
          this.log.error({ errorId, err: e, command: text }, 'follow-up failed');
          await post(problem(`the follow-up of \`${text.trim().slice(0, 80)}\` failed (error id ${errorId})`, 'The details are in dockhand\'s log under that id.')).catch(() => undefined);
          return 'failed';
        } finally {
          this.controllers.delete(controller);
          // A job another replica took over is no longer this one's to end.
          if (jobId && !(controller.signal.reason instanceof JobLost)) await this.jobs!.end(jobId, how).catch((e: unknown) => this.log.warn({ job: jobId, err: e instanceof Error ? e.message : String(e) }, 'could not end a job'));
        }
      })();
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
      return p;
    };
  }

  /** Records a follow-up that is a job (or adopts one taken over); resolves with its id, or undefined when it runs here only. */
  private async recordJob(task: FollowUpTask, text: string, caller: Caller | undefined, handle: ConversationHandle | undefined, controller: AbortController, takenOver?: { id: string; kind: string }): Promise<string | undefined> {
    if (!this.jobs) return undefined;
    if (takenOver) {
      this.jobs.adopt(takenOver.id, controller, takenOver.kind);
      return takenOver.id;
    }
    const spec = jobSpecOf(task);
    if (!spec || !handle || !caller) return undefined;
    try {
      return await this.jobs.record(spec, { params: spec.args, caller, text }, handle, controller);
    } catch (e) {
      // The follow-up still runs here; only another replica could not finish it.
      this.log.warn({ err: e instanceof Error ? e.message : String(e), command: text }, 'could not record a follow-up as a job');
      return undefined;
    }
  }

  private async answerConfirmation(kind: 'confirm' | 'cancel', token: string, caller: Caller, box: OutcomeBox): Promise<Omit<DispatchResult, 'outcome'> & { outcome?: DispatchOutcome }> {
    const now = this.ports.clock.now();
    const stored = await this.confirmations.get(token);
    if (stored?.state === 'pending' && stored.expiresAt <= now) await this.sweepExpired();
    if (stored && (stored.state === 'expired' || stored.expiresAt <= now) && stored.state !== 'answered') {
      return {
        outcome: 'expired',
        reply: problem(
          `this confirmation of \`${stored.text.trim()}\` expired after ${formatDuration(stored.expiresAt - stored.startedAt)}; nothing was changed`,
          `It asked: ${stored.question} Run the command again if you still want it.`,
        ),
      };
    }
    const alreadyAnswered = (): Omit<DispatchResult, 'outcome'> & { outcome?: DispatchOutcome } => ({
      reply: problem('this confirmation was already answered or is unknown (dockhand may have restarted); nothing was changed', 'Run the command again if you still want it.'),
      outcome: 'invalid',
    });
    if (!stored || stored.state !== 'pending') return alreadyAnswered();
    let parsed: ParsedCommand | HelpRequest;
    try {
      parsed = parseCommandLine(stored.text, this.commands);
    } catch {
      parsed = { help: true };
    }
    if ('help' in parsed) {
      // Only a version with other commands could get here (a rolling deploy): say so rather than guess.
      return { reply: problem(`this version of dockhand cannot run \`${stored.text.trim().slice(0, 80)}\`; nothing was changed`, 'Run the command again.'), outcome: 'invalid' };
    }
    const p = { ...stored, caller: stored.caller as Caller, parsed, approvalCluster: stored.approvalCluster ?? undefined };
    const role = this.roleOf(caller);
    const same = p.caller.platform === caller.platform && p.caller.userId === caller.userId;
    const mayApprove = mayRun(role, p.parsed.sub) && role !== 'viewer';
    // Two-person approval takes precedence over confirm.operatorsMayConfirm: another operator or admin only.
    const allowedOther = p.approvalCluster ? mayApprove : this.settings.operatorsMayConfirm && mayApprove;
    if (p.approvalCluster && kind === 'confirm' && (same || caller.platform === 'console')) {
      const why = caller.platform === 'console' && !same ? 'the terminal, one person\'s shell, cannot approve' : 'the requester cannot approve their own change';
      await this.auditRefusedPress(caller, `${kind} ${p.text.trim()}`, now, `${why} (cluster ${p.approvalCluster} needs a second person)`);
      return {
        reply: problem(
          caller.platform === 'console'
            ? `the terminal cannot approve \`${p.text.trim()}\`: cluster ${p.approvalCluster} needs a second person, and a terminal is one person's shell`
            : `\`${p.text.trim()}\` needs someone else: cluster ${p.approvalCluster} requires another operator or admin to confirm what you asked for`,
          caller.platform === 'console' ? 'Run it from Slack or Discord, where a teammate can press Confirm.' : 'Ask a teammate with the operator or admin role to press Confirm.',
        ),
        outcome: 'denied',
      };
    }
    if (!same && !allowedOther) {
      await this.auditRefusedPress(caller, `${kind} ${p.text.trim()}`, now, `only ${p.caller.platform}:${p.caller.userId} may ${kind}`);
      return { reply: problem(`only ${p.caller.displayName}, who ran \`${p.text.trim()}\`, can ${kind} it`, 'Run the command yourself if you need it.'), outcome: 'denied' };
    }
    // One press wins across every replica; a second (or one racing the expiry) is told it was answered.
    if (!(await this.confirmations.take(token, now))) return alreadyAnswered();
    const finish = async (outcome: AuditOutcome, detail?: string | null): Promise<void> => {
      box.value = outcome;
      this.telemetry.commandFinished(this.metricName(p.text), outcome, this.ports.clock.now() - p.startedAt);
      const by = same ? '' : ` by ${caller.platform}:${caller.userId}`;
      const approved = p.approvalCluster ? `approved by ${caller.platform}:${caller.userId}, requested by ${p.caller.platform}:${p.caller.userId}` : null;
      await this.finishAudit(p.auditId, outcome, this.ports.clock.now() - p.startedAt, detail ?? approved ?? (by ? `confirmed${by}` : null));
    };
    if (kind === 'cancel') {
      await finish('cancelled', `cancelled by ${caller.platform}:${caller.userId}`);
      return {
        reply: reply([{ kind: 'text', text: `Cancelled \`${p.text.trim()}\`; nothing was changed.` }, { kind: 'context', text: `It asked: ${p.question}` }], {
          replaceOriginal: true,
          summary: `Cancelled ${p.text.trim()}`,
        }),
      };
    }
    const ctx = this.context(p.caller, this.roleOf(p.caller), p.text, visibleCommands(this.roleOf(p.caller), this.commands));
    const result = await this.invoke(p.parsed.sub, p.parsed.args, ctx, p.text, finish);
    if (box.value === 'ok') return { ...result, reply: { ...result.reply, replaceOriginal: true } };
    // A failure is for the one who pressed Confirm only. Replacing the public question with it would
    // show it to everyone (Slack's replace_original ignores `ephemeral`), so the question is replaced
    // by a public line saying the command did not complete, and the reason follows privately.
    const { replaceOriginal: _drop, ...why } = result.reply;
    const privately: Reply = { ...why, visibility: 'ephemeral' };
    const line = `⚠️ \`${p.text.trim()}\` did not complete; nothing more was done. ${caller.displayName} was shown why.`;
    return {
      reply: reply([{ kind: 'text', text: line }, { kind: 'context', text: `It asked: ${p.question}` }], { replaceOriginal: true, summary: line }),
      followUp: async (post) => {
        await post(privately);
        return 'ok';
      },
    };
  }
}
