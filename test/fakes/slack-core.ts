/**
 * Shared setup of the Slack e2e tests: a real Dispatcher with small test commands standing in for
 * the ECS and quiz commands, an in-memory audit log, and a counter of what reached the core.
 */
import type { AuditLog, Confirmations, Ports } from '../../src/ports/index.ts';
import { SystemClock } from '../../src/ports/clock.ts';
import type { CommandDef } from '../../src/core/command.ts';
import { defineSubcommand } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import type { DispatchResult } from '../../src/core/dispatcher.ts';
import type { Caller } from '../../src/core/command.ts';
import { reply, textReply } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { UserError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { SlackDispatcher } from '../../src/adapters/slack/app.ts';
import { MemoryAudit } from './memory-audit.ts';

export { MemoryAudit };


/** What the test commands did, so tests can check nothing ran twice. */
export interface Effects {
  scaled: Array<{ service: string; count: number; by: string }>;
  answers: Array<{ user: string; choice: string }>;
  /** Batches a `/ecs logs --follow` got out. */
  followed: number[];
}

/** Test stand-ins for `/ecs` and `/quiz` with the shapes the real ones have: confirm, follow-ups, roles, buttons. */
export function testCommands(effects: Effects): CommandDef[] {
  const ecs: CommandDef = {
    name: 'ecs',
    description: 'Test ECS commands',
    subcommands: [
      defineSubcommand({
        name: 'scale',
        description: 'Scale a service',
        options: [
          { name: 'service', type: 'string', description: 'service', positional: true, required: true },
          { name: 'count', type: 'integer', description: 'count', positional: true, required: true, min: 0, max: 50 },
        ] as const,
        role: 'operator',
        changes: true,
        example: '/ecs scale web 5',
        confirm: (a) => `Scale ${a.service} from 2 to ${a.count} tasks?`,
        handler: (a, ctx) => {
          // A service deleted between the question and the Confirm press, as happens in real clusters.
          if (a.service === 'gone') throw new UserError('not-found', `service '${a.service}' no longer exists in cluster prod`, 'It was deleted after you asked; /ecs services lists what is there.');
          effects.scaled.push({ service: a.service, count: a.count, by: ctx.caller.userId });
          return reply([
            { kind: 'text', text: `Scaled ${a.service} to ${a.count}.` },
            { kind: 'fields', fields: [{ label: 'Desired', value: `2 → ${a.count}` }] },
          ]);
        },
      }),
      defineSubcommand({
        name: 'slow',
        description: 'Answers after a while, like a slow AWS call',
        options: [{ name: 'ms', type: 'integer', description: 'delay', positional: true, required: true }] as const,
        role: 'viewer',
        changes: false,
        example: '/ecs slow 100',
        handler: async (a) => {
          await new Promise((r) => setTimeout(r, a.ms));
          return textReply(`done after ${a.ms} ms`);
        },
      }),
      defineSubcommand({
        name: 'deploy',
        description: 'Starts work that reports back later',
        options: [{ name: 'service', type: 'string', description: 'service', positional: true, required: true }] as const,
        role: 'viewer',
        changes: false,
        example: '/ecs deploy web',
        handler: (a) => {
          const key = `deploy:${a.service}:${Math.random().toString(36).slice(2)}`;
          return {
            reply: textReply(`Following the deployment of ${a.service}…`, { thread: { key, parent: true } }),
            followUp: async (post) => {
              await post(textReply('rollout 50%', { thread: { key } }));
              await post(textReply('rollout COMPLETED', { thread: { key } }));
              await post(textReply(`${a.service} is deployed`));
            },
          };
        },
      }),
      defineSubcommand({
        name: 'logs',
        description: 'Says which filter it would send to CloudWatch, like /ecs logs; --follow posts batches of lines in a thread',
        options: [
          { name: 'service', type: 'string', description: 'service', positional: true, required: true },
          { name: 'filter', type: 'string', description: 'CloudWatch filter pattern' },
          { name: 'follow', type: 'boolean', description: 'keep posting new lines' },
          { name: 'batches', type: 'integer', description: 'batches a follow posts', min: 1, max: 50 },
        ] as const,
        role: 'viewer',
        changes: false,
        example: '/ecs logs web --filter ERROR',
        handler: (a) => {
          if (!a.follow) return textReply(`filter for ${a.service}: ${a.filter ?? '(none)'}`, { visibility: 'ephemeral' });
          const key = `follow:${a.service}:${Math.random().toString(36).slice(2)}`;
          return {
            reply: textReply(`Following logs of ${a.service}…`, { thread: { key, parent: true } }),
            followUp: async (post) => {
              for (let i = 1; i <= (a.batches ?? 8); i++) {
                await post(reply([{ kind: 'code', text: `${a.service} line batch ${i}` }], { thread: { key } }));
                effects.followed.push(i);
              }
            },
          };
        },
      }),
      defineSubcommand({
        name: 'whoami',
        description: 'Shows the caller as the core sees it',
        options: [] as const,
        role: 'viewer',
        changes: false,
        example: '/ecs whoami',
        handler: (_a, ctx) => textReply(`${ctx.caller.displayName} (${ctx.caller.userId}@${ctx.caller.workspaceId}) is ${ctx.role}`, { visibility: 'ephemeral' }),
      }),
    ],
  };
  const quiz: CommandDef = {
    name: 'quiz',
    description: 'Test quiz',
    subcommands: [
      defineSubcommand({
        name: 'start',
        description: 'Asks a question',
        options: [{ name: 'pack', type: 'string', description: 'pack', positional: true, required: true }] as const,
        role: 'viewer',
        changes: false,
        example: '/quiz ecs',
        handler: () =>
          reply([
            { kind: 'text', text: 'Q1. Which stop code means the container exited on its own?' },
            {
              kind: 'actions',
              buttons: ['A', 'B', 'C'].map((c) => ({ label: c === 'A' ? 'A) EssentialContainerExited' : c === 'B' ? 'B) UserInitiated' : 'C) SpotInterruption', action: `run:/quiz answer q1 ${c}` })),
            },
          ]),
      }),
      defineSubcommand({
        name: 'answer',
        description: 'Answers a question',
        options: [
          { name: 'question', type: 'string', description: 'q', positional: true, required: true },
          { name: 'choice', type: 'string', description: 'c', positional: true, required: true },
        ] as const,
        role: 'viewer',
        changes: false,
        example: '/quiz answer q1 A',
        handler: (a, ctx) => {
          effects.answers.push({ user: ctx.caller.userId, choice: a.choice });
          return textReply(a.choice === 'A' ? `✅ ${ctx.caller.displayName}: correct` : `❌ ${ctx.caller.displayName}: not quite, it is A`, { visibility: 'ephemeral' });
        },
      }),
    ],
    fallback: 'start',
  };
  return [ecs, quiz];
}

/** A dispatcher over the test commands that counts what reached it. */
export function testCore(shared: { confirmations?: Confirmations; audit?: AuditLog } = {}): { dispatcher: SlackDispatcher & { runs: string[]; presses: string[] }; audit: MemoryAudit; effects: Effects; core: Dispatcher } {
  const audit = new MemoryAudit();
  const effects: Effects = { scaled: [], answers: [], followed: [] };
  // Replicas share the audit log and confirmations through the database; one process keeps its own.
  const ports: Ports = { clock: new SystemClock(), audit: shared.audit ?? audit };
  const settings = defaultSettings({
    userRoles: new Map([
      ['slack:U0ANA', 'operator'],
      ['slack:U0BOB', 'viewer'],
    ]),
  });
  const core = new Dispatcher({ commands: testCommands(effects), ports, settings, log: silentLogger, ...(shared.confirmations ? { confirmations: shared.confirmations } : {}) });
  const runs: string[] = [];
  const presses: string[] = [];
  const dispatcher = {
    runs,
    presses,
    run(text: string, caller: Caller): Promise<DispatchResult> {
      runs.push(text);
      return core.run(text, caller);
    },
    press(action: string, caller: Caller): Promise<DispatchResult> {
      presses.push(action);
      return core.press(action, caller);
    },
  };
  return { dispatcher, audit, effects, core };
}
