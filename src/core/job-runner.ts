/**
 * Follow-ups as jobs any replica can finish: a follow-up that says how to continue it (`resumable`)
 * is recorded with its conversation handle, an owner and a lease. The owner renews the lease while
 * it runs and ends it when asked to stop (`/ecs unfollow` on any replica); when the owner dies, the
 * lease runs out and another replica takes the job over (`takeOver`) within one lease period.
 *
 * Some kinds belong to the leader (`leaderKinds`: quiz timers, so each reveal is posted by one replica
 * whatever replica asked): a replica that is not the leader hands such a job over at once (recorded
 * with no owner and a lapsed lease) instead of running it, the leader picks handed jobs up within
 * `LEADER_PICKUP_MS`, and a replica that stops leading releases them to the next leader.
 */
import { randomBytes } from 'node:crypto';
import type { ConversationHandle, JobKinds, JobRecord, Jobs, StoredCaller } from '../ports/coordination.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from './logger.ts';
import type { FollowUpTask } from './reply.ts';
import type { CommandContext } from './command.ts';

/** What a follow-up is, as data, so another replica can continue it. */
export interface JobSpec {
  /** How to continue it: a key of the dispatcher's resumers. */
  kind: string;
  /** Its arguments, JSON only. */
  args: Record<string, unknown>;
  /** The service it is about (for `/ecs unfollow <service>`). */
  service?: string;
}

const SPEC = Symbol('job');

/** Marks a follow-up as a job another replica can continue (or at least stop and report). */
export function resumable(task: FollowUpTask, spec: JobSpec): FollowUpTask {
  return Object.assign(task, { [SPEC]: spec });
}

/** The job spec of a follow-up, when it has one. */
export function jobSpecOf(task: FollowUpTask): JobSpec | undefined {
  return (task as FollowUpTask & { [SPEC]?: JobSpec })[SPEC];
}

/** The arguments a job row carries: the follow-up's own, and who ran which command. */
export interface JobArgs {
  /** The follow-up's arguments. */
  params: Record<string, unknown>;
  /** Who ran the command. */
  caller: StoredCaller;
  /** The command line. */
  text: string;
}

/** Options of the runner. */
export interface JobRunnerOptions {
  /** The job store. */
  jobs: Jobs;
  /** This replica's id. */
  owner: string;
  /** Real time (leases are wall-clock). */
  clock: Clock;
  /** How long a lease lasts; renewed every third of it, ms. */
  leaseMs: number;
  /** Where problems are logged. */
  log: Logger;
  /** Kinds only the leader runs; a follower hands them over. None when omitted. */
  leaderKinds?: readonly string[];
  /** Whether this replica leads now. A runner without it (a piped script: no replica) runs every kind itself. */
  isLeader?: () => boolean;
}

/** How often the leader looks for jobs handed to it: a question's timer is at least 5 s, so it is picked up well before time is up. */
export const LEADER_PICKUP_MS = 500;

/** How long a follow-up's lease lasts: another replica finishes it at most this long after its owner died. */
export const JOB_LEASE_MS = 15_000;

/** See the module comment. */
export class JobRunner {
  private readonly o: JobRunnerOptions;
  private readonly running = new Map<string, { controller: AbortController; kind: string | undefined }>();
  private timer: NodeJS.Timeout | undefined;
  private pickup: NodeJS.Timeout | undefined;
  private onTakeOver: ((job: JobRecord) => Promise<void>) | undefined;
  private busy = false;

  constructor(o: JobRunnerOptions) {
    this.o = o;
  }

  /** This replica's id. */
  get owner(): string {
    return this.o.owner;
  }

  /** Records a running job for this replica; `controller` is aborted when someone asks it to stop. Resolves with its id. */
  async record(spec: JobSpec, args: JobArgs, handle: ConversationHandle, controller: AbortController): Promise<string> {
    const id = `j${randomBytes(8).toString('hex')}`;
    const now = this.o.clock.now();
    const c = args.caller;
    await this.o.jobs.create({
      id,
      kind: spec.kind,
      args: { ...args, params: spec.args },
      handle,
      channelKey: `${c.platform}:${c.workspaceId}:${c.channelId}`,
      service: spec.service ?? null,
      owner: this.o.owner,
      leaseUntil: now + this.o.leaseMs,
      createdAt: now,
    });
    this.running.set(id, { controller, kind: spec.kind });
    return id;
  }

  /**
   * True when this replica hands a job of this spec to the leader rather than running it: a kind the
   * leader runs, on a follower, in a conversation another process can post to (a terminal's cannot).
   */
  handsOver(spec: JobSpec, handle: ConversationHandle): boolean {
    const isLeader = this.o.isLeader;
    return isLeader !== undefined && !isLeader() && (this.o.leaderKinds ?? []).includes(spec.kind) && handle.platform !== 'console';
  }

  /**
   * Hands a job to the leader: recorded with no owner and a lease that has already ended, so the leader
   * takes it over at its next pickup. A job of the same kind and arguments already waiting for the
   * leader or running there is not recorded twice (every answer to a timed question asks for its timer).
   */
  async handOver(spec: JobSpec, args: JobArgs, handle: ConversationHandle): Promise<void> {
    const c = args.caller;
    const channelKey = `${c.platform}:${c.workspaceId}:${c.channelId}`;
    const same = JSON.stringify(spec.args);
    if ((await this.o.jobs.running(channelKey, [spec.kind])).some((j) => JSON.stringify((j.args as { params?: unknown }).params) === same)) return;
    const now = this.o.clock.now();
    await this.o.jobs.create({
      id: `j${randomBytes(8).toString('hex')}`,
      kind: spec.kind,
      args: { ...args, params: spec.args },
      handle,
      channelKey,
      service: spec.service ?? null,
      owner: '',
      leaseUntil: now,
      createdAt: now,
    });
  }

  /** Adopts a job taken over from another replica, so it is renewed and can be stopped here. */
  adopt(id: string, controller: AbortController, kind?: string): void {
    this.running.set(id, { controller, kind });
  }

  /** Stops the leader's jobs running here (this replica no longer leads); they end `released`, for the next leader. */
  releaseLeaderJobs(): number {
    let n = 0;
    for (const [id, r] of this.running) {
      if (r.kind === undefined || !(this.o.leaderKinds ?? []).includes(r.kind)) continue;
      this.running.delete(id);
      r.controller.abort(new JobHandedOver('this replica no longer leads'));
      n++;
    }
    return n;
  }

  /**
   * Ends a job: `done` or `stopped` when it finished; `released` when this replica is stopping in the
   * middle, so its lease ends now and another replica (or the next start) takes it over at once.
   */
  async end(id: string, how: 'done' | 'stopped' | 'released'): Promise<void> {
    this.running.delete(id);
    // A renew to now works only while this replica still owns it: a job already taken elsewhere stays theirs.
    if (how === 'released') await this.o.jobs.renew(this.o.owner, [id], this.o.clock.now());
    else await this.o.jobs.finish(id, this.o.owner, how);
  }

  /** Renews this replica's leases and takes over jobs whose owner stopped renewing, every third of a lease. */
  start(onTakeOver: (job: JobRecord) => Promise<void>): void {
    this.onTakeOver = onTakeOver;
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(this.o.leaseMs / 3)));
    this.timer.unref();
    if ((this.o.leaderKinds ?? []).length > 0 && this.o.isLeader) {
      this.pickup = setInterval(() => void this.pickUp(), LEADER_PICKUP_MS);
      this.pickup.unref();
    }
    void this.tick();
  }

  /** Stops renewing and taking over. */
  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.pickup);
    this.timer = undefined;
    this.pickup = undefined;
    this.onTakeOver = undefined;
  }

  /** On the leader: takes over the leader's kinds of job, handed to it or left by a leader that died. */
  async pickUp(): Promise<void> {
    const kinds = this.o.leaderKinds ?? [];
    if (this.busy || kinds.length === 0 || !this.o.isLeader?.()) return;
    await this.round({ only: kinds });
  }

  /** One round: renew, honour stop requests, take over. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = this.o.clock.now();
      const ids = [...this.running.keys()];
      if (ids.length > 0) {
        const held = await this.o.jobs.renew(this.o.owner, ids, now + this.o.leaseMs);
        const still = new Map(held.map((h) => [h.id, h.stopRequested]));
        for (const id of ids) {
          const controller = this.running.get(id)?.controller;
          if (!controller) continue;
          if (!still.has(id)) {
            // Another replica took it over (this one paused past its lease): only one may post.
            this.running.delete(id);
            controller.abort(new JobLost('another replica took this follow-up over'));
          } else if (still.get(id)) {
            controller.abort(new JobStopRequested('stopped with /ecs unfollow'));
          }
        }
      }
    } catch (e) {
      this.o.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'jobs: could not renew leases');
    } finally {
      this.busy = false;
    }
    // The leader's kinds only on the leader (its pickup runs more often); every other kind on any replica.
    const leaderKinds = this.o.leaderKinds ?? [];
    await this.round(leaderKinds.length === 0 ? undefined : this.o.isLeader?.() ? undefined : { except: leaderKinds });
  }

  /** Takes over the lapsed jobs of `kinds` and continues them here. */
  private async round(kinds: JobKinds | undefined): Promise<void> {
    const take = this.onTakeOver;
    if (!take || this.busy) return;
    this.busy = true;
    try {
      const now = this.o.clock.now();
      for (const job of await this.o.jobs.takeOver(this.o.owner, now, now + this.o.leaseMs, 10, kinds)) {
        this.o.log.info({ job: job.id, kind: job.kind }, kinds && 'only' in kinds ? 'leader took over a job handed to it or left by the last leader' : 'job taken over from a replica that stopped');
        await take(job).catch((e: unknown) => this.o.log.error({ job: job.id, err: e instanceof Error ? e.message : String(e) }, 'could not continue a job taken over'));
      }
    } catch (e) {
      this.o.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'jobs: could not take over leases');
    } finally {
      this.busy = false;
    }
  }
}

/** Why a job's follow-up was aborted: someone asked it to stop. */
export class JobStopRequested extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobStopRequested';
  }
}

/** Why a job's follow-up was aborted: this replica stopped leading, so the next leader runs it. */
export class JobHandedOver extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobHandedOver';
  }
}

/** Why a job's follow-up was aborted: another replica holds it now. */
export class JobLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobLost';
  }
}

/** How to continue a job of each kind on a replica that took it over: its follow-up, or undefined when the arguments make none. */
export type JobResumers = Readonly<Record<string, (args: Record<string, unknown>, ctx: CommandContext) => FollowUpTask | undefined>>;
