/**
 * Follow-ups as jobs any replica can finish: a follow-up that says how to continue it (`resumable`)
 * is recorded with its conversation handle, an owner and a lease. The owner renews the lease while
 * it runs and ends it when asked to stop (`/ecs unfollow` on any replica); when the owner dies, the
 * lease runs out and another replica takes the job over (`takeOver`) within one lease period.
 */
import { randomBytes } from 'node:crypto';
import type { ConversationHandle, JobRecord, Jobs, StoredCaller } from '../ports/coordination.ts';
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
}

/** How long a follow-up's lease lasts: another replica finishes it at most this long after its owner died. */
export const JOB_LEASE_MS = 15_000;

/** See the module comment. */
export class JobRunner {
  private readonly o: JobRunnerOptions;
  private readonly running = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | undefined;
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
    this.running.set(id, controller);
    return id;
  }

  /** Adopts a job taken over from another replica, so it is renewed and can be stopped here. */
  adopt(id: string, controller: AbortController): void {
    this.running.set(id, controller);
  }

  /**
   * Ends a job: `done` or `stopped` when it finished; `released` when this replica is stopping in the
   * middle, so its lease ends now and another replica (or the next start) takes it over at once.
   */
  async end(id: string, how: 'done' | 'stopped' | 'released'): Promise<void> {
    this.running.delete(id);
    if (how === 'released') await this.o.jobs.renew(this.o.owner, [id], this.o.clock.now());
    else await this.o.jobs.finish(id, this.o.owner, how);
  }

  /** Renews this replica's leases and takes over jobs whose owner stopped renewing, every third of a lease. */
  start(onTakeOver: (job: JobRecord) => Promise<void>): void {
    this.onTakeOver = onTakeOver;
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(this.o.leaseMs / 3)));
    this.timer.unref();
    void this.tick();
  }

  /** Stops renewing and taking over. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.onTakeOver = undefined;
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
          const controller = this.running.get(id);
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
      const take = this.onTakeOver;
      if (take) {
        for (const job of await this.o.jobs.takeOver(this.o.owner, now, now + this.o.leaseMs, 10)) {
          this.o.log.info({ job: job.id, kind: job.kind, from: 'lease expired' }, 'job taken over from a replica that stopped');
          await take(job).catch((e: unknown) => this.o.log.error({ job: job.id, err: e instanceof Error ? e.message : String(e) }, 'could not continue a job taken over'));
        }
      }
    } catch (e) {
      this.o.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'jobs: could not renew or take over leases');
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

/** Why a job's follow-up was aborted: another replica holds it now. */
export class JobLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobLost';
  }
}

/** How to continue a job of each kind on a replica that took it over: its follow-up, or undefined when the arguments make none. */
export type JobResumers = Readonly<Record<string, (args: Record<string, unknown>, ctx: CommandContext) => FollowUpTask | undefined>>;
