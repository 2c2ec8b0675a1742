import { defineSubcommand, type CommandDef } from '../../src/core/command.ts';
import { reply, textReply } from '../../src/core/reply.ts';

/** Calls the test commands made, so tests can check that nothing ran. */
export const calls: string[] = [];

/** A small command group shaped like /ecs, for testing the core without AWS. */
export const svc = {
  name: 'svc',
  description: 'Test service commands',
  subcommands: [
    defineSubcommand({
      name: 'list',
      description: 'List services',
      options: [{ name: 'cluster', type: 'string', description: 'Cluster to use' }] as const,
      role: 'viewer',
      changes: false,
      example: '/svc list',
      handler: (args) => {
        calls.push(`list ${args.cluster ?? ''}`.trim());
        return reply([{ kind: 'table', columns: ['Service', 'Desired'], rows: [['web', '2'], ['api', '3']] }]);
      },
    }),
    defineSubcommand({
      name: 'scale',
      description: 'Set the desired count of a service',
      options: [
        { name: 'service', type: 'string', description: 'The service', positional: true, required: true },
        { name: 'count', type: 'integer', description: 'The desired count', positional: true, required: true, min: 0, max: 50 },
      ] as const,
      role: 'operator',
      changes: true,
      example: '/svc scale web 5',
      confirm: (args) => (args.count === 0 || args.count > 4 ? `Scale ${args.service} to ${args.count}?` : null),
      handler: (args) => {
        // A failure only known once it runs (after any confirmation), as an AWS call can fail.
        if (args.service === 'boom') throw new Error('UpdateService failed: internal error');
        calls.push(`scale ${args.service} ${args.count}`);
        return textReply(`Scaling ${args.service} → ${args.count}`);
      },
    }),
    defineSubcommand({
      name: 'logs',
      description: 'Show log lines',
      options: [
        { name: 'service', type: 'string', description: 'The service', positional: true, required: true },
        { name: 'since', type: 'duration', description: 'How far back', min: 1000, max: 86_400_000 },
        { name: 'filter', type: 'string', description: 'Text to match' },
        { name: 'lines', type: 'integer', description: 'How many lines', min: 1, max: 500 },
        { name: 'follow', type: 'boolean', description: 'Keep following' },
        { name: 'level', type: 'string', description: 'Level', choices: ['info', 'warn', 'error'] },
      ] as const,
      role: 'viewer',
      changes: false,
      example: '/svc logs web --since 15m',
      handler: (args) => textReply(JSON.stringify(args)),
    }),
    defineSubcommand({
      name: 'watch',
      description: 'Reply now, then post a follow-up after a while',
      options: [{ name: 'fail', type: 'boolean', description: 'Make the follow-up throw' }] as const,
      role: 'viewer',
      changes: false,
      example: '/svc watch',
      handler: (args, ctx) => ({
        reply: textReply('watching'),
        followUp: async (post, signal) => {
          await ctx.ports.clock.sleep(30_000, signal);
          if (args.fail) throw new Error('follow-up exploded');
          await post(textReply('steady now'));
        },
      }),
    }),
    defineSubcommand({
      name: 'boom',
      description: 'Always fails',
      options: [] as const,
      role: 'viewer',
      changes: false,
      example: '/svc boom',
      handler: () => {
        throw new Error('secret internal detail at line 42');
      },
    }),
    defineSubcommand({
      name: 'nuke',
      description: 'Admin only',
      options: [] as const,
      role: 'admin',
      changes: true,
      example: '/svc nuke',
      handler: () => textReply('nuked'),
    }),
  ],
} satisfies CommandDef;

/** A command with a fallback, shaped like /quiz. */
export const study = {
  name: 'study',
  description: 'Test study commands',
  fallback: 'start',
  subcommands: [
    defineSubcommand({
      name: 'start',
      description: 'Start a pack',
      options: [
        { name: 'pack', type: 'string', description: 'The pack', positional: true, required: true },
        { name: 'questions', type: 'integer', description: 'How many', min: 1, max: 20 },
        { name: 'solo', type: 'boolean', description: 'Alone' },
      ] as const,
      role: 'viewer',
      changes: false,
      example: '/study ecs',
      handler: (args) => textReply(JSON.stringify(args)),
    }),
    defineSubcommand({
      name: 'answer',
      description: 'Answer',
      options: [{ name: 'text', type: 'string', description: 'Your answer', positional: true, required: true, rest: true }] as const,
      role: 'viewer',
      changes: false,
      example: '/study answer B',
      handler: (args) => textReply(JSON.stringify(args)),
    }),
  ],
} satisfies CommandDef;

/** The test command list. */
export const testCommands: readonly CommandDef[] = [svc, study];
