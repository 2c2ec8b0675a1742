import { defineSubcommand, type CommandDef } from '../src/core/command.ts';
import { clipInput } from '../src/core/errors.ts';
import { reply } from '../src/core/reply.ts';
import { utcTime } from '../src/core/time.ts';


/** `/audit [n]`: the latest command attempts, for admins. */
export const audit = {
  name: 'audit',
  description: 'Show the latest command attempts from the audit log',
  subcommands: [
    defineSubcommand({
      name: 'audit',
      description: 'Show the latest n command attempts, newest first',
      options: [{ name: 'n', type: 'integer', description: 'How many attempts to show', positional: true, min: 1, max: 100 }] as const,
      role: 'admin',
      changes: false,
      example: '/audit 20',
      handler: async (args, ctx) => {
        const rows = await ctx.ports.audit.latest(args.n ?? 20);
        return reply(
          [
            { kind: 'heading', text: `Audit log — latest ${rows.length}` },
            {
              kind: 'table',
              columns: ['Time', 'Where', 'User', 'Command', 'Outcome', 'ms'],
              align: ['left', 'left', 'left', 'left', 'left', 'right'],
              rows: rows.map((r) => [
                utcTime(r.at, true),
                `${r.platform}/${r.channelId}`,
                r.userName,
                clipInput(r.command, 60),
                r.detail && r.outcome !== 'ok' ? `${r.outcome} (${clipInput(r.detail, 40)})` : r.outcome,
                r.durationMs === null ? '' : String(r.durationMs),
              ]),
            },
          ],
          { visibility: 'ephemeral', summary: `Audit log: ${rows.length} entries` },
        );
      },
    }),
  ],
} satisfies CommandDef;
