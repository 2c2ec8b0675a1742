/**
 * Follow-ups as jobs: a follow-up whose replica died (stopped renewing its lease) is finished by the
 * other replica, once; `/ecs unfollow`-style stop requests reach the replica running it; a replica
 * stopping cleanly hands its follow-ups on at once instead of ending them.
 */
import { describe, expect, it } from 'vitest';
import { defineSubcommand, type Caller, type CommandDef } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { JobRunner, resumable, type JobResumers } from '../../src/core/job-runner.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { textReply, type Reply } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SystemClock } from '../../src/ports/clock.ts';
import type { ConversationHandle } from '../../src/ports/coordination.ts';
import { MemoryJobs } from '../../src/ports/memory-coordination.ts';
import { MemoryAudit } from '../fakes/memory-audit.ts';

const LEASE_MS = 300;
const caller: Caller = { platform: 'slack', workspaceId: 'T1', channelId: 'C1', userId: 'U1', displayName: 'ana' };
const handle: ConversationHandle = { platform: 'slack', channelId: 'C1', userId: 'U1' };

/** A follow command whose follow-up waits until released (or aborted), then posts which replica finished it. */
function followCommand(replica: string, release: Promise<void>): CommandDef {
  return {
    name: 'watch',
    description: 'Follows something',
    subcommands: [
      defineSubcommand({
        name: 'watch',
        description: 'Follows a service',
        options: [{ name: 'service', type: 'string', description: 'The service', positional: true, required: true }] as const,
        role: 'viewer',
        changes: false,
        example: '/watch web',
        handler: (args) => ({
          reply: textReply(`following ${args.service}`),
          followUp: resumable(
            async (post, signal) => {
              // Only `db` is ever released; the others run until their replica stops.
              await Promise.race([args.service === 'db' ? release : new Promise(() => undefined), new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)))]);
              await post(textReply(`${args.service} steady (seen by ${replica})`));
            },
            { kind: 'watch', args: { service: args.service }, service: args.service },
          ),
        }),
      }),
    ],
  };
}

function replica(name: string, jobs: MemoryJobs, release: Promise<void>): { dispatcher: Dispatcher; runner: JobRunner; posted: Reply[] } {
  const runner = new JobRunner({ jobs, owner: name, clock: new SystemClock(), leaseMs: LEASE_MS, log: silentLogger });
  const posted: Reply[] = [];
  const resumers: JobResumers = {
    watch: (args) => async (post) => {
      await post(textReply(`${String(args.service)} steady (finished by ${name})`));
    },
  };
  const dispatcher = new Dispatcher({ commands: [followCommand(name, release)], ports: { clock: new SystemClock(), audit: new MemoryAudit() }, settings: defaultSettings(), log: silentLogger, jobs: runner, resumers });
  runner.start((job) => dispatcher.resumeJob(job, async (r) => void posted.push(r)));
  return { dispatcher, runner, posted };
}

const textOf = (r: Reply): string => r.blocks.map((b) => ('text' in b ? b.text : '')).join(' ');
const until = async (what: string, ok: () => boolean, ms = 3_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('follow-ups as jobs', () => {
  it('is finished once by the other replica within a lease when the replica running it dies', async () => {
    const jobs = new MemoryJobs();
    const never = new Promise<void>(() => undefined);
    const a = replica('a', jobs, never);
    const b = replica('b', jobs, never);
    const r = await a.dispatcher.run('/watch web', caller);
    const aPosted: Reply[] = [];
    void r.followUp!(async (x) => void aPosted.push(x), handle);
    await new Promise((res) => setTimeout(res, 20));
    expect((await jobs.running('slack:T1:C1', ['watch'])).map((j) => j.owner)).toEqual(['a']);
    // Replica a dies: it renews nothing any more and its follow-up never posts.
    a.runner.stop();
    const diedAt = Date.now();
    await until('b to finish it', () => b.posted.length > 0);
    expect(Date.now() - diedAt).toBeLessThan(LEASE_MS * 3);
    expect(b.posted.map(textOf)).toEqual(['web steady (finished by b)']);
    expect(aPosted).toEqual([]);
    // Only one replica takes it, and it ends there.
    await new Promise((res) => setTimeout(res, LEASE_MS * 2));
    expect(b.posted).toHaveLength(1);
    b.runner.stop();
  });

  it('stops a follow-up on the replica running it when another replica asks (as /ecs unfollow does)', async () => {
    const jobs = new MemoryJobs();
    const never = new Promise<void>(() => undefined);
    const a = replica('a', jobs, never);
    const r = await a.dispatcher.run('/watch api', caller);
    const posted: Reply[] = [];
    const done = r.followUp!(async (x) => void posted.push(x), handle);
    await new Promise((res) => setTimeout(res, 20));
    expect((await jobs.running('slack:T1:C1', ['watch'])).map((j) => j.service)).toEqual(['api']);
    expect(await jobs.requestStop('slack:T1:C1', 'api', ['watch'])).toBe(1);
    expect(await done).toBe('ok');
    expect(posted).toEqual([]);
    expect(await jobs.running('slack:T1:C1', ['watch'])).toEqual([]);
    const [row] = await Promise.all([jobs.takeOver('b', Date.now() + 60_000, Date.now() + 60_000, 10)]);
    // Stopped is final: nobody takes it over later.
    expect(row).toEqual([]);
    a.runner.stop();
  });

  it('hands its follow-ups on at once when the replica stops cleanly, and finishes them itself when they end', async () => {
    const jobs = new MemoryJobs();
    let release!: () => void;
    const later = new Promise<void>((r) => (release = r));
    const a = replica('a', jobs, later);
    const first = await a.dispatcher.run('/watch db', caller);
    const aPosted: Reply[] = [];
    const ended = first.followUp!(async (x) => void aPosted.push(x), handle);
    release();
    await ended;
    expect(aPosted.map(textOf)).toEqual(['db steady (seen by a)']);
    const second = await a.dispatcher.run('/watch cache', caller);
    const stopped = second.followUp!(async () => undefined, handle);
    await new Promise((res) => setTimeout(res, 50));
    a.dispatcher.abortAll();
    await stopped;
    a.runner.stop();
    const b = replica('b', jobs, new Promise<void>(() => undefined));
    await until('b to take the released job', () => b.posted.length > 0, LEASE_MS);
    expect(b.posted.map(textOf)).toEqual(['cache steady (finished by b)']);
    b.runner.stop();
  });
});

describe("the leader's kinds of job (quiz timers)", () => {
  /** A replica whose `tick` follow-up is a leader kind: it posts which replica ran it, once released (or runs until stopped). */
  function leaderReplica(name: string, jobs: MemoryJobs, lead: { now: boolean }, release: Promise<void>): { dispatcher: Dispatcher; runner: JobRunner; posted: string[] } {
    const runner = new JobRunner({ jobs, owner: name, clock: new SystemClock(), leaseMs: 60_000, log: silentLogger, leaderKinds: ['tick'], isLeader: () => lead.now });
    const posted: string[] = [];
    const task = (): ReturnType<typeof resumable> =>
      resumable(
        async (post, signal) => {
          await Promise.race([release, new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)))]);
          await post(textReply(`time is up (posted by ${name})`));
        },
        { kind: 'tick', args: { session: 's1' } },
      );
    const cmd: CommandDef = {
      name: 'tick',
      description: 'Starts a timer',
      subcommands: [defineSubcommand({ name: 'tick', description: 'Starts a timer', options: [] as const, role: 'viewer', changes: false, example: '/tick', handler: () => ({ reply: textReply('started'), followUp: task() }) })],
    };
    const dispatcher = new Dispatcher({ commands: [cmd], ports: { clock: new SystemClock(), audit: new MemoryAudit() }, settings: defaultSettings(), log: silentLogger, jobs: runner, resumers: { tick: () => task() } });
    runner.start((job) => dispatcher.resumeJob(job, async (r) => void posted.push(textOf(r))));
    return { dispatcher, runner, posted };
  }

  it('is handed by a follower to the leader, which runs it; asking again while it waits records it once', async () => {
    const jobs = new MemoryJobs();
    let release!: () => void;
    const later = new Promise<void>((r) => (release = r));
    const leader = leaderReplica('leader', jobs, { now: true }, later);
    const follower = leaderReplica('follower', jobs, { now: false }, later);
    const followerPosted: Reply[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await follower.dispatcher.run('/tick', caller);
      expect(await r.followUp!(async (x) => void followerPosted.push(x), handle)).toBe('ok');
    }
    await until('the leader to take it', () => leader.runner['running'].size === 1, 2_000);
    expect((await jobs.running('slack:T1:C1', ['tick'])).map((j) => j.owner)).toEqual(['leader']);
    release();
    await until('the reveal', () => leader.posted.length > 0);
    await leader.dispatcher.idle();
    expect(leader.posted).toEqual(['time is up (posted by leader)']);
    expect(follower.posted).toEqual([]);
    expect(followerPosted).toEqual([]);
    leader.runner.stop();
    follower.runner.stop();
  });

  it('runs on the leader that asked, is never taken over by a follower, and goes to the next leader when the first stops leading', async () => {
    const jobs = new MemoryJobs();
    const never = new Promise<void>(() => undefined);
    const firstLead = { now: true };
    const secondLead = { now: false };
    const first = leaderReplica('first', jobs, firstLead, never);
    const second = leaderReplica('second', jobs, secondLead, never);
    const r = await first.dispatcher.run('/tick', caller);
    void r.followUp!(async () => undefined, handle);
    await until('the job', () => first.runner['running'].size === 1);
    expect((await jobs.running('slack:T1:C1', ['tick'])).map((j) => j.owner)).toEqual(['first']);
    // Leadership moves: the first replica lets its timer go, the follower (not yet leading) leaves it alone.
    firstLead.now = false;
    expect(first.runner.releaseLeaderJobs()).toBe(1);
    await first.dispatcher.idle();
    await second.runner.tick();
    expect((await jobs.running('slack:T1:C1', ['tick'])).map((j) => j.owner)).toEqual(['first']);
    secondLead.now = true;
    await until('the new leader to take it', () => second.runner['running'].size === 1, 2_000);
    expect((await jobs.running('slack:T1:C1', ['tick'])).map((j) => j.owner)).toEqual(['second']);
    first.runner.stop();
    second.runner.stop();
  });

  it('runs in a piped script (no leader anywhere) where it was asked', async () => {
    const jobs = new MemoryJobs();
    const runner = new JobRunner({ jobs, owner: 'script', clock: new SystemClock(), leaseMs: 60_000, log: silentLogger, leaderKinds: ['tick'] });
    expect(runner.handsOver({ kind: 'tick', args: {} }, handle)).toBe(false);
    const withLeader = new JobRunner({ jobs, owner: 'follower', clock: new SystemClock(), leaseMs: 60_000, log: silentLogger, leaderKinds: ['tick'], isLeader: () => false });
    expect(withLeader.handsOver({ kind: 'tick', args: {} }, handle)).toBe(true);
    expect(withLeader.handsOver({ kind: 'watch', args: {} }, handle)).toBe(false);
    // A terminal's conversation cannot be posted to from another process.
    expect(withLeader.handsOver({ kind: 'tick', args: {} }, { platform: 'console', channelId: 'terminal' })).toBe(false);
  });
});
